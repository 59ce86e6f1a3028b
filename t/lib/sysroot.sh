# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# sysroot.sh - run a test against the standard system directories
# without changing them. The test script re-executes itself in a private
# mount namespace where /etc, /usr/local and /var/lib are overlays: reads
# see the host's files, writes land in a tmpfs that vanishes with the
# namespace. "make install", useradd, "postconf -e", "postfix reload" and
# the like then run exactly as an administrator types them, with their
# standard paths, and the host is left as it was (no files, no user).
#
# Source it FIRST, before common.sh or mta.sh, then:
#   sysroot_enter ARGS...  re-run $0 with ARGS in the namespace (once),
#                          mount the overlays there; skip (77) without
#                          root, mount namespaces or overlayfs
#   sysroot_check          fail unless every directory is our overlay:
#                          call it before anything that deletes there
#   sysroot_fresh_host     remove, inside the overlays, what an earlier
#                          smtpdirect install or run left on the host
#
# A test that needs more of them sets SYSROOT_DIRS after sourcing this
# file, a directory before those below it (66: /usr before /usr/local).
#
# Mounts below those directories (a container's /etc/hosts) are not seen
# through the overlays; the tests that use this need none of them.

SYSROOT_DIRS="/etc /usr/local /var/lib"

# sysroot_skip MSG - report why the namespace is unavailable, exit 77.
sysroot_skip() {
	echo "skipped: $*"
	exit 77
}

# sysroot_enter ARGS... - see above.
sysroot_enter() {
	local top d n=0
	if [ -z "${SMTPDIRECT_SYSROOT:-}" ]; then
		[ "$(id -u)" -eq 0 ] || sysroot_skip "a private mount namespace needs root"
		command -v unshare >/dev/null || sysroot_skip "no unshare (util-linux)"
		unshare --mount --propagation private true 2>/dev/null ||
			sysroot_skip "mount namespaces are not allowed here"
		SMTPDIRECT_SYSROOT=1 exec unshare --mount --propagation private \
		    bash "$0" "$@"
	fi
	top=$(mktemp -d /tmp/smtpdirect-sysroot.XXXXXX)
	if ! mount -t tmpfs -o mode=0755 sysroot "$top"; then
		rmdir "$top"
		sysroot_skip "cannot mount a tmpfs"
	fi
	for d in $SYSROOT_DIRS; do
		n=$((n + 1))
		[ -d "$d" ] || sysroot_skip "no $d to overlay"
		mkdir "$top/u$n" "$top/w$n"
		chmod --reference="$d" "$top/u$n"
		chown --reference="$d" "$top/u$n"
		mount -t overlay sysroot \
		    -o "lowerdir=$d,upperdir=$top/u$n,workdir=$top/w$n" "$d" ||
			sysroot_skip "cannot mount an overlay on $d (overlayfs)"
	done
	# The overlays keep the tmpfs alive; its mount point can go now.
	umount -l "$top"
	rmdir "$top"
	SYSROOT_ACTIVE=1
	echo "sysroot: $SYSROOT_DIRS are throwaway overlays in this mount namespace"
}

# sysroot_fresh_host - inside the overlays, remove what an earlier
# smtpdirect install or run left on the host (user, configuration, state,
# program), so that a test starts as on a fresh host.
sysroot_fresh_host() {
	sysroot_check
	if getent passwd smtpdirect >/dev/null; then userdel smtpdirect; fi
	if getent group smtpdirect >/dev/null; then groupdel smtpdirect; fi
	rm -rf /etc/smtpdirect /var/lib/smtpdirect /usr/local/sbin/smtpdirect \
	    /usr/local/sbin/smtpdirect-milter
}

# sysroot_check - fail unless each directory is an overlay of ours.
sysroot_check() {
	local d
	[ "${SYSROOT_ACTIVE:-}" = 1 ] || { echo "FAIL: sysroot_enter was not called" >&2; exit 1; }
	for d in $SYSROOT_DIRS; do
		[ "$(stat -f -c %T "$d")" = overlayfs ] ||
			{ echo "FAIL: $d is not an overlay; refusing to go on" >&2; exit 1; }
	done
}
