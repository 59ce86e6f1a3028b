#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 92-readme-milter: the "Use with Postfix: routing at receipt with
# smtpdirect-milter" steps of README.md, run as written, after the
# "Use with Postfix" steps they build on, so that the README cannot
# drift from what works.
#
# The shell blocks that follow a "<!-- test: postfix -->" or a
# "<!-- test: postfix-milter -->" line are extracted (in file order) and
# run with sh -e, as root, in the source directory, as 65-readme-postfix
# runs the first ones. One substitution, checked to apply to exactly one
# line: the map's relay "smtp.isp.example" becomes an smtp-sink on
# 127.0.18.8:25908. Everything else runs verbatim with its standard paths,
# in a private mount namespace whose /etc, /usr/local and /var/lib are
# throwaway overlays (t/lib/sysroot.sh), and where /var/spool/postfix is
# the stand-in Postfix's own queue directory (a bind mount), so that the
# systemd unit's socket path is the one Postfix's smtpd_milters names.
#
# There is no systemd here: "systemctl" is a stand-in, first on PATH, that
# does what systemd would with conf-examples/smtpdirect-milter.service as
# copied to /etc/systemd/system: daemon-reload checks the unit is there;
# enable --now runs its ExecStartPre= lines, then its ExecStart= line in
# the background with its UMask=; reload runs its ExecReload= line with
# $MAINPID. The test stops the milter by its PID.
#
# The steps send their test message with sendmail(1): it must reach the
# sink through the milter's FILTER and smtpdirect (default_transport is
# Postfix's smtp by then, which cannot reach example.net from here), and
# the milter must have logged it. Needs root, mount namespaces,
# overlayfs, postfix (smtp-sink), postfix-pcre, make, a built milter.
set -eu

# shellcheck source=t/lib/sysroot.sh
. "$(dirname "$0")/../lib/sysroot.sh"
sysroot_enter "$@"
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

[ -x "$TOP/milter/smtpdirect-milter" ] ||
	skip "milter/smtpdirect-milter is not built (libmilter-dev; make)"
pf_require
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"
command -v runuser >/dev/null || skip "no runuser (util-linux)"
[ -f /usr/lib/postfix/postfix-pcre.so ] ||
	skip "postfix-pcre is not installed (the README's table is pcre:)"
sysroot_fresh_host
rm -f /etc/systemd/system/smtpdirect-milter.service
umask 022

# readme_blocks FILE - the marked blocks, each followed by a line
# "# --- end of block N (MARK)"; fails on a marker without a sh block.
readme_blocks() {
	awk '
	/^<!-- test: postfix(-milter)? -->$/ {
		mark = $3; want = 1; next }
	want && /^```sh$/ { inblock = 1; want = 0; n++; next }
	want { print "marker not followed by a sh block: " $0 > "/dev/stderr"; exit 1 }
	inblock && /^```$/ { inblock = 0; print "# --- end of block " n " (" mark ")"; next }
	inblock { print }
	END { if (inblock) { print "unterminated block" > "/dev/stderr"; exit 1 } }
	' "$1"
}

# 1. The README's steps, and the one substitution.
readme_blocks "$TOP/README.md" >"$WORK/readme.sh"
np=$(grep -c '^# --- end of block .* (postfix)$' "$WORK/readme.sh" || true)
nm=$(grep -c '^# --- end of block .* (postfix-milter)$' "$WORK/readme.sh" || true)
[ "$np" -eq 5 ] || fail "README.md has $np marked Postfix blocks, want 5"
[ "$nm" -eq 4 ] || fail "README.md has $nm marked milter blocks, want 4"
sed -e 's/^example\.net   smtp\.isp\.example$/example.net   127.0.18.8:25908/' \
    "$WORK/readme.sh" >"$WORK/run.sh"
changed=$(diff "$WORK/readme.sh" "$WORK/run.sh" | grep -c '^>' || true)
[ "$changed" -eq 1 ] ||
	fail "the relay substitution changed $changed lines, want 1"
echo "92: running these README lines (relay line substituted):"
cat "$WORK/run.sh"

# 2. systemctl, as systemd would run the unit.
mkdir -p "$WORK/fakebin" /etc/systemd/system
MILTER_PIDF=$WORK/milter.pid
MILTER_LOG=$WORK/milter.log
cat >"$WORK/fakebin/systemctl" <<EOF
#!/bin/bash
# A stand-in for systemctl: runs the Exec lines of the unit.
set -eu
unit=/etc/systemd/system/smtpdirect-milter.service
echo "systemctl (stand-in): \$*" >&2
exec_lines() {
	sed -n "s/^\$1=//p" "\$unit"
}
case "\$*" in
daemon-reload)
	[ -f "\$unit" ] || { echo "no \$unit" >&2; exit 1; } ;;
"enable --now smtpdirect-milter")
	set -f
	while IFS= read -r l; do
		[ -n "\$l" ] || continue
		# shellcheck disable=SC2086 # systemd splits at white space
		\${l#-}
	done < <(exec_lines ExecStartPre)
	start=\$(exec_lines ExecStart)
	um=\$(sed -n 's/^UMask=//p' "\$unit")
	# shellcheck disable=SC2086
	(umask "\${um:-0022}" && exec \$start) </dev/null >>"$MILTER_LOG" 2>&1 &
	echo \$! >"$MILTER_PIDF"
	# systemd's Type=simple: started; wait for the socket all the same,
	# since the steps go on at once.
	n=0
	sock=\${start##*unix:}
	until [ -S "\$sock" ] || [ \$n -ge 100 ]; do
		kill -0 "\$(cat "$MILTER_PIDF")" || { cat "$MILTER_LOG" >&2; exit 1; }
		sleep 0.1
		n=\$((n + 1))
	done
	[ -S "\$sock" ] ;;
"reload smtpdirect-milter")
	MAINPID=\$(cat "$MILTER_PIDF")
	set -f
	l=\$(exec_lines ExecReload)
	l=\${l//\\\$MAINPID/\$MAINPID}
	# shellcheck disable=SC2086
	\$l ;;
*)
	echo "systemctl (stand-in): not supported: \$*" >&2
	exit 1 ;;
esac
EOF
chmod 755 "$WORK/fakebin/systemctl"
milter_stop() {
	local p n=0
	[ -s "$MILTER_PIDF" ] || return 0
	p=$(cat "$MILTER_PIDF")
	kill -TERM "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$p" 2>/dev/null || true
}
mta_at_exit milter_stop
milter_log() {
	echo "--- milter log"
	tail -n 30 "$MILTER_LOG" 2>/dev/null
}
mta_on_fail milter_log

# 3. The stand-in for the administrator's Postfix (its queue directory is
# /var/spool/postfix in this namespace), and the relay.
sink_start relay 127.0.18.8 25908
pf_init 127.0.18.7 25907
pf_conf "default_transport = retry:4.3.0 smtpdirect is not configured yet"
mount --bind "$PF_DIR/spool" /var/spool/postfix
cp "$PF_CONF/main.cf" "$PF_CONF/master.cf" /etc/postfix/
PF_CONF=/etc/postfix
pf_start
echo "92: stand-in postfix master $PF_PID on 127.0.18.7:25907, /etc/postfix"

# 4. Run the steps as the administrator would.
(
	cd "$TOP"
	PATH=$WORK/fakebin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	timeout 600 sh -ex "$WORK/run.sh"
) >"$WORK/steps.log" 2>&1 || {
	cat "$WORK/steps.log"
	fail "the README's steps failed"
}
cat "$WORK/steps.log"
grep -q '0 errors, 0 warnings; ok' "$WORK/steps.log" ||
	fail "smtpdirect-milter --check did not report a clean map"
p=$(cat "$MILTER_PIDF")
kill -0 "$p" || fail "the milter is not running"
[ "$(stat -c %U "/proc/$p")" = smtpdirect ] ||
	fail "the milter runs as $(stat -c %U "/proc/$p"), want smtpdirect"
echo "92: milter $p runs as smtpdirect; socket $(stat -c '%U:%G %a' /var/spool/postfix/smtpdirect/milter.sock)"

# 5. Both test messages arrived through smtpdirect: the one of "Use with
# Postfix" (default_transport), and the milter's (FILTER), which the
# milter saw and Postfix filtered. The queue is flushed now and then: a
# message picked up during "postfix reload" is deferred by the old
# queue manager (retry:), never bounced.
n=0
until sink_has relay "Subject: smtpdirect milter test" 1; do
	n=$((n + 1))
	[ "$n" -le 12 ] || fail "the README's milter test message did not arrive"
	sleep 5
	sink_has relay "Subject: smtpdirect milter test" 1 && break
	pf_flush
done
sink_has relay "Subject: smtpdirect test" 1 ||
	fail "the first test message: $(sink_grep relay "smtpdirect test")"
f=$(sink_files relay "Subject: smtpdirect milter test")
if grep -qi '^x-smtpdirect' "$f"; then
	fail "X-SMTPDirect-* left through smtpdirect: $(cat "$f")"
fi
pf_wait_log 'milter-header-filter: header X-SMTPDirect-Transport: smtpdirect: .*to=<you@example\.net>' 30
pf_wait_queue_empty 60
[ "$(grep -F 'to=<you@example.net>' "$PF_LOG" | grep -c 'relay=smtpdirect, .*status=sent')" -eq 2 ] ||
	fail "want 2 deliveries via smtpdirect: $(grep -F 'to=<you@example.net>' "$PF_LOG")"
grep -F 'filter: header X-SMTPDirect-Transport' "$PF_LOG"
grep -q 'overridden=1' "$MILTER_LOG" ||
	fail "the milter did not log the message: $(cat "$MILTER_LOG")"
grep -F 'overridden=1' "$MILTER_LOG"
grep -q 'reload: override map loaded' "$MILTER_LOG" ||
	fail "systemctl reload did not reload the map: $(cat "$MILTER_LOG")"
pf_log_has 'status=bounced' && fail "something bounced: $(pf_log)"
echo "92: the README's milter test message reached the relay through FILTER and smtpdirect"
echo "92: ok"
