#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 15-install: "make install" and "make uninstall".
#
# 1. Staged: "make install DESTDIR=... PREFIX=/usr" installs exactly the
#    expected files with their modes, the configuration files equal to
#    conf-examples/, creates no user and says so; a second install keeps
#    an administrator's edited files; "make uninstall" removes the
#    programs and man pages and keeps configuration and state.
# 2. Real, as root, with the standard directories, in a private mount
#    namespace whose /etc, /usr/local and /var/lib are throwaway overlays
#    (t/lib/sysroot.sh): the system user smtpdirect is created (no login
#    shell, no home) and owns /var/lib/smtpdirect (0750); the override
#    map is 0600 smtpdirect:smtpdirect: that user reads it and lint
#    accepts it without a warning, other users cannot read it, and lint
#    warns once its group can; a second install creates no second user and keeps
#    the files. Nothing outside the namespace changes: no file and no
#    user is left behind.
# 3. SYSCONFDIR and STATEDIR are honoured: in a copy of the tree whose
#    objects were built with the default directories, "make install
#    SYSCONFDIR=/opt/sd/etc STATEDIR=/opt/sd/state" recompiles (the
#    directories are compiled in as defaults) and installs a program,
#    configuration and man pages that name those directories.
#
# Needs root, unshare (mount namespaces) and overlayfs; starts no server.
set -eu

# shellcheck source=t/lib/sysroot.sh
. "$(dirname "$0")/../lib/sysroot.sh"
sysroot_enter "$@"
# shellcheck source=t/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

umask 022
command -v runuser >/dev/null || skip "no runuser (util-linux)"

# listing DIR - every file below DIR as "MODE OWNER:GROUP PATH", sorted.
listing() {
	(cd "$1" && find . -mindepth 1 -printf '%M %u:%g %P\n' | sort -k3)
}

# stat_is PATH WANT - check "MODE OWNER:GROUP" of PATH.
stat_is() {
	local got
	got=$(stat -c '%a %U:%G' "$1")
	[ "$got" = "$2" ] || fail "$1 is $got, want $2"
}

# 1. A staged install.
ST=$WORK/stage
timeout 600 make -C "$TOP" -s install DESTDIR="$ST" PREFIX=/usr \
    >"$WORK/out1" 2>&1 || { cat "$WORK/out1"; fail "make install DESTDIR"; }
cat "$WORK/out1"
grep -q "DESTDIR is set: not creating the user smtpdirect" "$WORK/out1" ||
	fail "install did not say that it skips the user"
{
	echo "drwxr-xr-x root:root etc"
	echo "drwxr-xr-x root:root etc/smtpdirect"
	echo "-rw------- root:root etc/smtpdirect/overrides"
	echo "-rw-r--r-- root:root etc/smtpdirect/smtpdirect.conf"
	echo "drwxr-xr-x root:root usr"
	echo "drwxr-xr-x root:root usr/sbin"
	echo "-rwxr-xr-x root:root usr/sbin/smtpdirect"
	echo "-rwxr-xr-x root:root usr/sbin/smtpdirect-core"
	[ -f "$TOP/milter/smtpdirect-milter" ] &&
		echo "-rwxr-xr-x root:root usr/sbin/smtpdirect-milter"
	echo "drwxr-xr-x root:root usr/share"
	echo "drwxr-xr-x root:root usr/share/man"
	echo "drwxr-xr-x root:root usr/share/man/man5"
	for m in "$TOP"/man/*.5; do
		echo "-rw-r--r-- root:root usr/share/man/man5/${m##*/}"
	done
	echo "drwxr-xr-x root:root usr/share/man/man8"
	for m in "$TOP"/man/*.8; do
		echo "-rw-r--r-- root:root usr/share/man/man8/${m##*/}"
	done
	echo "drwxr-xr-x root:root var"
	echo "drwxr-xr-x root:root var/lib"
	echo "drwxr-x--- root:root var/lib/smtpdirect"
} | sort -k3 >"$WORK/want1"
listing "$ST" >"$WORK/got1"
same "$WORK/got1" "$WORK/want1"
cmp "$ST/usr/sbin/smtpdirect" "$TOP/transport/smtpdirect"
cmp "$ST/usr/sbin/smtpdirect-core" "$TOP/transport/smtpdirect-core"
cmp "$ST/etc/smtpdirect/smtpdirect.conf" "$TOP/conf-examples/smtpdirect.conf"
cmp "$ST/etc/smtpdirect/overrides" "$TOP/conf-examples/overrides"
cmp "$ST/usr/share/man/man8/smtpdirect.8" "$TOP/man/smtpdirect.8"
echo "15: staged install: $(wc -l <"$WORK/got1") entries as expected"

# An administrator's files survive a second install.
echo "helo_name = mail.example.com" >>"$ST/etc/smtpdirect/smtpdirect.conf"
echo "example.com relay.example.com" >"$ST/etc/smtpdirect/overrides"
chmod 600 "$ST/etc/smtpdirect/overrides"
cp "$ST/etc/smtpdirect/smtpdirect.conf" "$WORK/conf.admin"
timeout 600 make -C "$TOP" -s install DESTDIR="$ST" PREFIX=/usr >"$WORK/out1b" 2>&1 ||
	{ cat "$WORK/out1b"; fail "second make install DESTDIR"; }
grep -q "keeping $ST/etc/smtpdirect/smtpdirect.conf" "$WORK/out1b" ||
	fail "no \"keeping\" for smtpdirect.conf: $(cat "$WORK/out1b")"
grep -q "keeping $ST/etc/smtpdirect/overrides" "$WORK/out1b" ||
	fail "no \"keeping\" for overrides: $(cat "$WORK/out1b")"
cmp "$ST/etc/smtpdirect/smtpdirect.conf" "$WORK/conf.admin"
[ "$(cat "$ST/etc/smtpdirect/overrides")" = "example.com relay.example.com" ] ||
	fail "the second install overwrote the override map"
stat_is "$ST/etc/smtpdirect/overrides" "600 root:root"
echo "15: a second install kept the administrator's files"

timeout 120 make -C "$TOP" -s uninstall DESTDIR="$ST" PREFIX=/usr >"$WORK/out1c"
cat "$WORK/out1c"
listing "$ST" | grep -E ' usr/sbin/| usr/share/man/man./' &&
	fail "uninstall left programs or man pages"
[ -f "$ST/etc/smtpdirect/smtpdirect.conf" ] && [ -d "$ST/var/lib/smtpdirect" ] ||
	fail "uninstall removed configuration or state"
echo "15: uninstall removed programs and man pages, kept configuration and state"

# 2. A real install, as root, into the namespace's throwaway overlays.
# Start as on a fresh host, whatever the host has installed.
sysroot_fresh_host
timeout 600 make -C "$TOP" -s install >"$WORK/out2" 2>&1 ||
	{ cat "$WORK/out2"; fail "make install as root"; }
cat "$WORK/out2"
grep -q "^useradd --system" "$WORK/out2" || fail "install did not create the user"
IFS=: read -r _ _ uid gid _ home shell <<EOF
$(getent passwd smtpdirect)
EOF
[ "$uid" -lt 1000 ] || fail "smtpdirect has uid $uid, not a system uid"
[ "$home" = /nonexistent ] || fail "home of smtpdirect: $home"
[ "$shell" = /usr/sbin/nologin ] || fail "shell of smtpdirect: $shell"
[ "$(getent group smtpdirect | cut -d: -f3)" = "$gid" ] ||
	fail "smtpdirect's primary group is not the group smtpdirect"
stat_is /var/lib/smtpdirect "750 smtpdirect:smtpdirect"
stat_is /etc/smtpdirect "755 root:root"
stat_is /etc/smtpdirect/smtpdirect.conf "644 root:root"
stat_is /etc/smtpdirect/overrides "600 smtpdirect:smtpdirect"
stat_is /usr/local/sbin/smtpdirect "755 root:root"
stat_is /usr/local/share/man/man8/smtpdirect.8 "644 root:root"
echo "15: user smtpdirect ($uid:$gid) owns /var/lib/smtpdirect; map 0600 smtpdirect:smtpdirect"

# The transport's user reads the map (which holds credentials) and lint
# is content; others cannot read it; readable by all, lint warns.
runuser -u smtpdirect -- /usr/local/sbin/smtpdirect lint >"$WORK/lint" 2>&1 ||
	fail "lint as smtpdirect: $(cat "$WORK/lint")"
echo "lint: 0 errors, 0 warnings in 1 file" >"$WORK/lint.want"
same "$WORK/lint" "$WORK/lint.want"
grep -q '@' /etc/smtpdirect/overrides || fail "the example map lost its credentials"
expect_exit 2 runuser -u nobody -- /usr/local/sbin/smtpdirect lint >"$WORK/lint"
runuser -u smtpdirect -- sh -c 'echo x >/var/lib/smtpdirect/probe' ||
	fail "smtpdirect cannot write its state directory"
rm -f /var/lib/smtpdirect/probe
chmod 640 /etc/smtpdirect/overrides
/usr/local/sbin/smtpdirect lint >"$WORK/lint" || true
grep -q "warning: credentials in a file that users other than its owner can read (mode 0640)" \
    "$WORK/lint" || fail "no warning for a group-readable map: $(cat "$WORK/lint")"
chmod 600 /etc/smtpdirect/overrides
echo "15: smtpdirect reads the map, nobody cannot, lint warns when others can"

# deliver run as root works but logs a warning; as smtpdirect it does
# not. A map with an error makes both defer (4.3.5) right after start-up.
DL=$WORK/deliver
mkdir -p "$DL/root" "$DL/user"
chmod 711 "$WORK"
chmod 755 "$DL"
chown smtpdirect "$DL/user"
printf 'example.com\n' >"$DL/broken.map"
chmod 644 "$DL/broken.map"
for who in root user; do
	printf 'dns_overrides = %s\nstate_dir = %s\nlog_file = %s\n' \
	    "$DL/broken.map" "$DL/$who/state" "$DL/$who/log" >"$DL/$who.conf"
	chmod 644 "$DL/$who.conf"
done
msg='Subject: t\n\nt\n'
# shellcheck disable=SC2059 # the message is a printf format
printf "$msg" | expect_exit 75 /usr/local/sbin/smtpdirect deliver \
    -c "$DL/root.conf" -f a@example.org -- b@example.com 2>"$DL/err"
grep -q '^4\.3\.5 ' "$DL/err" || fail "deliver as root: $(cat "$DL/err")"
grep -q 'warning: running as root' "$DL/root/log" ||
	fail "no warning as root: $(cat "$DL/root/log")"
# shellcheck disable=SC2059
printf "$msg" | expect_exit 75 runuser -u smtpdirect -- \
    /usr/local/sbin/smtpdirect deliver -c "$DL/user.conf" \
    -f a@example.org -- b@example.com 2>"$DL/err"
grep -q '^4\.3\.5 ' "$DL/err" || fail "deliver as smtpdirect: $(cat "$DL/err")"
[ -s "$DL/user/log" ] || fail "deliver as smtpdirect logged nothing"
grep -q 'running as root' "$DL/user/log" && fail "root warning as smtpdirect"
echo "15: deliver as root: $(grep -o 'warning: running as root.*' "$DL/root/log")"

# A second install: the same user, the files kept, and a warning about
# state that root left behind (smtpdirect run as root).
touch /var/lib/smtpdirect/left-by-root
timeout 600 make -C "$TOP" -s install >"$WORK/out2b" 2>&1 ||
	{ cat "$WORK/out2b"; fail "second make install as root"; }
cat "$WORK/out2b"
grep -q "warning: /var/lib/smtpdirect holds files that smtpdirect does not own" \
    "$WORK/out2b" || fail "no warning about root's files in the state directory"
rm /var/lib/smtpdirect/left-by-root
grep -q "^useradd" "$WORK/out2b" && fail "second install ran useradd again"
grep -c "^make install: keeping /etc/smtpdirect/" "$WORK/out2b" | grep -qx 2 ||
	fail "second install did not keep both files: $(cat "$WORK/out2b")"
[ "$(getent passwd smtpdirect | cut -d: -f3)" = "$uid" ] || fail "uid changed"
stat_is /var/lib/smtpdirect "750 smtpdirect:smtpdirect"
timeout 120 make -C "$TOP" -s uninstall >/dev/null
[ ! -e /usr/local/sbin/smtpdirect ] || fail "uninstall left the program"
[ ! -e /usr/local/share/man/man8/smtpdirect.8 ] || fail "uninstall left a man page"
echo "15: second install and uninstall as root ok (all inside the namespace)"

# 3. Other directories, in a copy of the tree that holds objects built
# with the defaults: without the flags stamp they would look up to date.
SRC=$WORK/src
mkdir "$SRC"
tar -C "$TOP" --format=posix --exclude=./.git --exclude=./build \
    --exclude=./t/out -cf - . |
	tar -C "$SRC" -xf -
mkdir -p "$SRC/build/normal"
cp -a "$TOP/build/normal/flags" "$TOP/build/normal/link" \
    "$TOP/build/normal/transport" \
    "$TOP/build/normal/libsmtpdirect.a" \
    "$TOP/build/normal/libsmtpdirect-core.a" "$SRC/build/normal/"
# The milter's objects and program, when there is a milter.
if [ -d "$TOP/build/normal/milter" ]; then
	cp -a "$TOP/build/normal/milter" "$SRC/build/normal/"
fi
# The front's objects built against musl (Makefile, FRONT_LIBC), if so.
if [ -d "$TOP/build/normal/musl" ]; then
	cp -a "$TOP/build/normal/musl" "$SRC/build/normal/"
fi
timeout 120 make -C "$SRC" -s -q all ||
	fail "the copied tree is not up to date to begin with"
ST3=$WORK/stage3
timeout 600 make -C "$SRC" -s -j2 install DESTDIR="$ST3" PREFIX=/opt/sd \
    SYSCONFDIR=/opt/sd/etc STATEDIR=/opt/sd/state >"$WORK/out3" 2>&1 ||
	{ cat "$WORK/out3"; fail "make install SYSCONFDIR=... STATEDIR=..."; }
"$ST3/opt/sd/sbin/smtpdirect" --help 2>&1 |
	grep -qF /opt/sd/etc/smtpdirect/smtpdirect.conf ||
	fail "the installed program does not default to /opt/sd/etc"
grep -qF /opt/sd/state "$ST3/opt/sd/sbin/smtpdirect" ||
	fail "the installed program does not default to /opt/sd/state"
grep -qx "# dns_overrides = /opt/sd/etc/smtpdirect/overrides" \
    "$ST3/opt/sd/etc/smtpdirect/smtpdirect.conf" || fail "conf: dns_overrides"
grep -qx "# state_dir = /opt/sd/state" \
    "$ST3/opt/sd/etc/smtpdirect/smtpdirect.conf" || fail "conf: state_dir"
grep -qF "/opt/sd/etc/smtpdirect/smtpdirect.conf" \
    "$ST3/opt/sd/share/man/man8/smtpdirect.8" || fail "man page: config path"
grep -h /etc/smtpdirect "$ST3"/opt/sd/share/man/man*/* |
	grep -v /opt/sd/etc/smtpdirect && fail "a man page still names /etc/smtpdirect"
[ -d "$ST3/opt/sd/state" ] || fail "no state directory /opt/sd/state"
if [ -f "$TOP/milter/smtpdirect-milter" ]; then
	grep -qF /opt/sd/etc/smtpdirect "$ST3/opt/sd/sbin/smtpdirect-milter" ||
		fail "the installed milter does not default to /opt/sd/etc"
	[ -f "$ST3/opt/sd/share/man/man8/smtpdirect-milter.8" ] ||
		fail "no smtpdirect-milter(8)"
fi
echo "15: SYSCONFDIR and STATEDIR: recompiled, and named by program, configuration, man pages"
echo "15: ok"
