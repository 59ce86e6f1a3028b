#!/bin/bash
# deliver through override routes with address-literal targets, against
# Postfix's smtp-sink on loopback: one transaction for two recipients,
# exact bytes, the same queue id with another message, failover, a $retries rule after a deferral, $size, 5xx, and
# the exit statuses with their one stderr line.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] ||
	skip "smtp-sink (package postfix) is not installed"
PATH=$PATH:/usr/sbin

A=127.0.0.51 B=127.0.0.52 P=25151
mkdir -p "$WORK/a" "$WORK/b" "$WORK/state"
sink() { # sink ADDR DIR [FLAGS...]
	addr=$1 dir=$2
	shift 2
	bg_start timeout 120 smtp-sink -u root -d "$dir/%M." "$@" "$addr:$P" 50
	wait_port "$addr" "$P"
}
sink "$A" "$WORK/a"
count() { find "$1" -type f | wc -l; }

cat >"$WORK/map" <<MAP
# big mail and retried mail go to B; everything else to A.
*.example   $B:$P   \$size>2K \$end
*.example   $A:$P
*.example   $B:$P   \$retries>=1 \$priority:1
MAP
chmod 600 "$WORK/map"
cat >"$WORK/conf" <<CONF
dns_overrides = $WORK/map
state_dir = $WORK/state
connect_timeout = 2s
command_timeout = 5s
CONF
D() { "$SD" deliver -c "$WORK/conf" "$@"; }

# 1. Two recipients, one transaction, exact bytes.
printf 'Subject: one\nX-SMTPDirect-Route: old\n  folded\n\n.leading dot\nbody\n' \
    >"$WORK/m1"
D -f s@src.example -q Q1 -- a@x.example b@y.example <"$WORK/m1" 2>"$WORK/err" ||
	fail "deliver 1: $(cat "$WORK/err")"
[ "$(count "$WORK/a")" -eq 1 ] || fail "want 1 message at A"
f=$(find "$WORK/a" -type f)
grep -q '^X-Rcpt-Args: <a@x.example>' "$f" || fail "rcpt a"
grep -q '^X-Rcpt-Args: <b@y.example>' "$f" || fail "rcpt b"
grep -qi 'X-SMTPDirect' "$f" && fail "X-SMTPDirect header not removed"
grep -q '^\.leading dot' "$f" || fail "dot-stuffing broken"
[ -s "$WORK/err" ] && fail "stderr not empty on success"

# 2. The same queue id with another message is delivered. (No duplicate
#    on a retry, and a reused queue id after a partial delivery: see
#    56-deliver-state.)
printf 'Subject: two\n\nother\n' >"$WORK/m2"
D -f s@src.example -q Q1 -- a@x.example <"$WORK/m2"
[ "$(count "$WORK/a")" -eq 2 ] || fail "reused queue id not delivered"

# 4. Null sender, <> brackets accepted.
D -f '<>' -q Q2 -- '<c@x.example>' <"$WORK/m2"
[ "$(count "$WORK/a")" -eq 3 ] || fail "null sender"

# 5. B is down: a big message defers with 4.4.1, exit 75.
head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70 >"$WORK/big"
set +e
D -f s@src.example -q Q3 -- d@x.example <"$WORK/big" 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -eq 75 ] || fail "down relay: exit $rc, want 75"
grep -q "^4\.4\.1 .*$B" "$WORK/err" || fail "stderr: $(cat "$WORK/err")"
[ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "more than one stderr line"

# 6. A small message whose first try failed: $retries>=1 puts B first
#    (priority 1); B is down, so A takes it (failover).
D -f s@src.example -q Q4 -r 1 -- e@x.example <"$WORK/m2"
[ "$(count "$WORK/a")" -eq 4 ] || fail "failover to A"

# 7. B comes up: the deferred big message (Q3) now goes to B.
sink "$B" "$WORK/b"
D -f s@src.example -q Q3 -- d@x.example <"$WORK/big"
[ "$(count "$WORK/b")" -eq 1 ] || fail "big message at B"

# 8. A permanent refusal: exit 69 or 67 with a 5.x.x line.
A2=127.0.0.53
mkdir -p "$WORK/c"
bg_start timeout 60 smtp-sink -u root -f RCPT -d "$WORK/c/%M." "$A2:$P" 10
wait_port "$A2" "$P"
printf '* %s:%s\n' "$A2" "$P" >"$WORK/map2"
printf 'dns_overrides = %s\nstate_dir = %s\n' "$WORK/map2" "$WORK/state" \
    >"$WORK/conf2"
set +e
"$SD" deliver -c "$WORK/conf2" -f s@src.example -q Q5 -- f@x.example \
    <"$WORK/m2" 2>"$WORK/err"
rc=$?
set -e
case $rc in 67 | 69) ;; *) fail "5xx RCPT: exit $rc ($(cat "$WORK/err"))" ;; esac
grep -q '^5\.' "$WORK/err" || fail "5xx line: $(cat "$WORK/err")"

# 9. Our own mistakes defer, never bounce.
expect_exit 75 "$SD" deliver -c "$WORK/none.conf" -f s@x -- a@x.example \
    <"$WORK/m2" 2>"$WORK/err"
grep -q '^4\.3\.5 ' "$WORK/err" || fail "missing config line"
printf 'example.com\n' >"$WORK/badmap"
printf 'dns_overrides = %s\nstate_dir = %s\n' "$WORK/badmap" "$WORK/state" \
    >"$WORK/conf3"
expect_exit 75 "$SD" deliver -c "$WORK/conf3" -f s@x -- a@x.example \
    <"$WORK/m2" 2>"$WORK/err"
grep -q '^4\.3\.5 .*badmap:1' "$WORK/err" || fail "bad map: $(cat "$WORK/err")"
expect_exit 75 "$SD" deliver -c "$WORK/conf" -- a@x.example <"$WORK/m2" \
    2>/dev/null
expect_exit 75 "$SD" deliver -c "$WORK/conf" -f "$(printf 'a\rb')" -- \
    a@x.example <"$WORK/m2" 2>/dev/null
echo "deliver-override: ok"
