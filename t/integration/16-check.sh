#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 16-check: `smtpdirect check` on an installation laid out as smtpdirect(8)
# FILES says, for the user nobody: every wrong owner and mode is named with
# the command that fixes it (exit 1); once those commands have run,
# nothing is left to change (exit 0). No servers.
set -eu
. "$(dirname "$0")/../lib/common.sh"
[ "$(id -u)" -eq 0 ] || skip "check of owners needs root"
getent passwd nobody >/dev/null || skip "no user nobody"

C=$WORK/etc
mkdir -p "$C" "$WORK/state/retry.d"
printf 'state_dir = %s/state\ndns_overrides = %s/overrides\n' "$WORK" "$C" \
    >"$C/conf"
printf 'a.example user:secret@relay.example\n' >"$C/overrides"
chmod 0664 "$C/conf"
chmod 0644 "$C/overrides"
chmod 0755 "$WORK/state"
: >"$WORK/state/slots"
chmod 0666 "$WORK/state/slots"
chown -R nobody "$WORK/state/retry.d"

set +e
"$SD" check -c "$C/conf" -u nobody >"$WORK/out" 2>&1
rc=$?
set -e
cat "$WORK/out"
[ "$rc" -eq 1 ] || fail "exit $rc with problems, want 1"
want() { grep -qF -- "$1" "$WORK/out" || fail "no line with: $1"; }
want "change: $C/conf: its group may write it; run: chmod go-w $C/conf"
want "change: $C/overrides: it holds passwords and other users can read it; run: chown nobody $C/overrides && chmod 0600 $C/overrides"
want "change: $WORK/state: owned by root: the transport's user cannot use it; run: chown -R nobody $WORK/state"
want "change: $WORK/state: other users can enter it; run: chmod o-rwx $WORK/state"
want "change: $WORK/state/slots: owned by root"
want "change: $WORK/state/slots: every user may write it; run: chmod go-w $WORK/state/slots"
grep -q "retry.d" "$WORK/out" && fail "retry.d is nobody's and 0755: fine"
want "check: 6 things to change for user nobody"

# Run every fix it printed, then nothing is left.
sed -n 's/^change: .*; run: //p' "$WORK/out" >"$WORK/fixes"
sh -e "$WORK/fixes"
"$SD" check -c "$C/conf" -u nobody >"$WORK/out2" 2>&1 ||
	fail "after the fixes: $(cat "$WORK/out2")"
grep -q '^check: nothing to change for user nobody$' "$WORK/out2" ||
	fail "after the fixes: $(cat "$WORK/out2")"
# A 0600 map with passwords that root owns: the transport cannot read it.
chown root "$C/overrides"
set +e
"$SD" check -c "$C/conf" -u nobody >"$WORK/out3" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -qF "change: $C/overrides: the transport's user cannot read it" "$WORK/out3" ||
	fail "a 0600 map of root's: $(cat "$WORK/out3")"
echo "16: check names every wrong owner and mode, and its fixes work: ok"
