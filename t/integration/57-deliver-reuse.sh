#!/bin/bash
# Connections kept between deliver processes (session_cache_time): three
# messages one after another share one connection (conn_use=2, 3 in the
# log, one connect at the server, every message received once); the
# keeper QUITs and exits when idle; a kept connection the server closed
# at MAIL costs a new connection, not a deferral; TLS policy encrypt and
# session_cache_time = 0 never keep one; the keeper holds no slot.
# Delivery workers are off here (58 tests them): the keeper's lifetime
# is the connections'.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

S=127.0.2.30 P=25230 S2=127.0.2.31 P2=25231
mkdir -p "$WORK/srv" "$WORK/srv2" "$WORK/state"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S:$P" \
    --dir "$WORK/srv" --lifetime 120
wait_port "$S" "$P"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S2:$P2" \
    --dir "$WORK/srv2" --lifetime 120 --txn-limit 1
wait_port "$S2" "$P2"
cat >"$WORK/map" <<MAP
keep.example $S:$P
drop.example $S2:$P2
MAP
chmod 600 "$WORK/map"
conf() {
	cat >"$WORK/conf" <<CONF
dns_overrides = $WORK/map
state_dir = $WORK/state
tls_policy = may
log_file = $WORK/log
worker_idle_time = 0
$1
CONF
}
printf 'Subject: reuse\n\nbody\n' >"$WORK/m"
send() {
	timeout 30 "$SD" deliver -c "$WORK/conf" -f s@src.example -q "$1" -- \
	    "$2" <"$WORK/m" 2>"$WORK/err" || fail "deliver $1: $(cat "$WORK/err")"
}
# connects DIR - SMTP sessions the server saw (wait_port's probe has no EHLO)
connects() {
	grep -c ' in EHLO ' "$1/commands.log"
}
# seen DIR SESSIONS MESSAGES - what the server in DIR got
seen() {
	[ "$(connects "$1")" -eq "$2" ] ||
		fail "want $2 sessions: $(cat "$1/commands.log")"
	[ "$(find "$1" -name 'msg-*.env' | wc -l)" -eq "$3" ] ||
		fail "want $3 messages in $1"
}
# keeper_gone - the keeper has removed its socket (bounded wait)
keeper_gone() {
	n=0
	while [ -e "$WORK/state/scache.sock" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ ! -e "$WORK/state/scache.sock" ]
}

# 1. Three messages, one connection.
conf "session_cache_time = 1s"
send R1 a@keep.example
send R2 b@keep.example
send R3 c@keep.example
seen "$WORK/srv" 1 3
grep -q "R1: to=<a@keep.example>, relay=$S\[$S\]:$P, delay=" "$WORK/log" ||
	fail "first message: $(cat "$WORK/log")"
grep -q "R2: to=<b@keep.example>, relay=$S\[$S\]:$P, conn_use=2, .*status=sent" \
    "$WORK/log" || fail "second message: $(cat "$WORK/log")"
grep -q "R3: to=<c@keep.example>, relay=.*, conn_use=3, .*status=sent" \
    "$WORK/log" || fail "third message: $(cat "$WORK/log")"
[ -S "$WORK/state/scache.sock" ] || fail "no keeper socket"
# The keeper holds no concurrency slot of the process that started it.
for f in "$WORK"/state/slots/slot.*; do
	flock -n "$f" true || fail "the keeper holds $f"
done
# Idle for session_cache_time: QUIT, close, exit.
keeper_gone || fail "the keeper did not exit"
n=0
while ! grep -q ' close' "$WORK/srv/commands.log" && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
grep -q ' in QUIT' "$WORK/srv/commands.log" ||
	fail "kept connection closed without QUIT: $(cat "$WORK/srv/commands.log")"

# 2. The server closes a kept connection at the next MAIL: connect again.
send D1 a@drop.example
send D2 b@drop.example
seen "$WORK/srv2" 2 2
grep -q "D2: to=<b@drop.example>, relay=$S2\[$S2\]:$P2, delay=.*status=sent" \
    "$WORK/log" || fail "D2 not sent on a new connection: $(cat "$WORK/log")"
! grep -q "D2: .*status=deferred" "$WORK/log" || fail "D2 deferred"

# 3. Never kept: session_cache_time = 0, and a TLS policy beyond may.
keeper_gone || fail "the keeper did not exit"
before=$(connects "$WORK/srv")
for c in "session_cache_time = 0" "tls_policy = none
session_cache_time = 0"; do
	conf "$c"
	send N1 d@keep.example
	send N2 e@keep.example
done
[ "$(connects "$WORK/srv")" -eq $((before + 4)) ] ||
	fail "session_cache_time = 0 kept a connection"
[ ! -e "$WORK/state/scache.sock" ] || fail "a keeper started"
printf 'keep.example %s:%s $tls:encrypt\n' "$S" "$P" >"$WORK/map"
conf "session_cache_time = 5s"
set +e
timeout 30 "$SD" deliver -c "$WORK/conf" -f s@src.example -q E1 -- \
    f@keep.example <"$WORK/m" 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -eq 75 ] || fail "encrypt without STARTTLS: exit $rc"
[ ! -e "$WORK/state/scache.sock" ] || fail "a keeper started under encrypt"
echo "57: connections kept between processes: ok"
