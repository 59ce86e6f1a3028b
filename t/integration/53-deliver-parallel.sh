#!/bin/bash
# deliver sends to several destinations of one message at the same time,
# each a task of one event loop: three routes to one slow server (2 s
# before each end-of-data reply) overlap (the server sees 3 connections
# at once, the run takes far less than 3 x 2 s), one transaction per
# route, and every recipient is logged once.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

S=127.0.2.20 P=25220 DEAD=127.0.2.21 DP=25221
mkdir -p "$WORK/srv" "$WORK/state"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S:$P" \
    --dir "$WORK/srv" --delay eod=2 --lifetime 120
wait_port "$S" "$P"
# Three different routes (so three groups) that all end at $S.
cat >"$WORK/map" <<MAP
a.example $S:$P
b.example $DEAD:$DP \$priority:1
b.example $S:$P
c.example [::1]:$DP \$priority:1
c.example $S:$P
MAP
chmod 600 "$WORK/map"
cat >"$WORK/conf" <<CONF
dns_overrides = $WORK/map
state_dir = $WORK/state
connect_timeout = 5s
log_file = $WORK/log
CONF
printf 'Subject: parallel\n\nbody\n' >"$WORK/m"
start=$(date +%s%N)
timeout 60 "$SD" deliver -c "$WORK/conf" -f s@src.example -q PAR1 -- \
    x@a.example y@b.example z@c.example w@a.example <"$WORK/m" \
    2>"$WORK/err" || fail "deliver: $(cat "$WORK/err")"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(cat "$WORK/srv/maxconn")" -ge 3 ] ||
	fail "destinations not at once: maxconn $(cat "$WORK/srv/maxconn")"
[ "$ms" -lt 5500 ] || fail "took $ms ms; one after another would be 6000"
n=$(find "$WORK/srv" -name 'msg-*.env' | wc -l)
[ "$n" -eq 3 ] || fail "want 3 transactions, got $n"
for r in x@a.example y@b.example z@c.example w@a.example; do
	[ "$(grep -c "to=<$r>, relay=.*status=sent" "$WORK/log")" -eq 1 ] ||
		fail "log of $r: $(cat "$WORK/log")"
done
f=$(grep -l "^rcpt: TO:<x@a.example> 250" "$WORK"/srv/msg-*.env) ||
	fail "x@a.example not received"
grep -q "^rcpt: TO:<w@a.example> 250" "$f" ||
	fail "x and w (same route) not in one transaction"
echo "53: three destinations at once in ${ms} ms: ok"
