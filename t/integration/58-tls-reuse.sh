#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 58-tls-reuse: TLS sessions that outlive a message. With delivery
# workers on, ten messages in a row by the front to one STARTTLS server
# take one connection and one handshake (conn_use=2..10 on the tls= and
# to= lines, every message received once); a session kept under may is
# not used for a verify route to the same address, nor one
# authenticated as user A for user B or for no user; session_cache_time
# and the per-session maximum (DELIVER_REUSE_USES_MAX, 100) open a new
# connection; a server that closed the idle session (silently or with a
# 421) or that answers MAIL with 421 costs a new connection, not a
# deferral nor a second copy; a worker that exits QUITs its sessions;
# with two idle workers the keeper picks the one that keeps a session
# for the message's domain; a transaction whose recipients were all
# refused is followed by RSET and its session kept.
# Servers: t/lib/smtpserver.py with STARTTLS and a test CA (tls.log
# counts handshakes). Loopback 127.0.22.0/24, ports 27500-27599.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/tls_test.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

A=127.0.22.2 WARM=127.0.22.9
P=$WORK/pki
mkdir -p "$P" "$WORK/state"
tls_key "$P/ca.key"
openssl req -x509 -new -key "$P/ca.key" -days 2 \
    -subj "/CN=smtpdirect test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$P/ca.crt" 2>/dev/null
tls_sign "$P" good "/CN=mx.reuse.test" "IP:$A"
[ -s "$P/good.chain" ] || fail "no test certificate"

# srv NAME PORT [OPTIONS]: a STARTTLS server on $A:PORT in $WORK/NAME
srv() {
	name=$1 port=$2
	shift 2
	mkdir -p "$WORK/$name"
	bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$A:$port" \
	    --dir "$WORK/$name" --lifetime 300 --tls-cert "$P/good.chain" \
	    --tls-key "$P/good.key" "$@"
	wait_port "$A" "$port"
}
srv main 27502 --auth 'usera:pa' \
    --rcpt 'nobody@tls.example=550 5.1.1 no such user here'
srv max 27504
srv idle 27505 --idle-timeout 1
srv idle421 27506 --idle-timeout 1 \
    --idle-reply '421 4.4.2 smtpserver.test Error: timeout exceeded'
srv lim 27507 --txn-limit 2 --limit-reply '421 4.7.0 Error: too many messages'
# The slow TLS server answers MAIL after 2 s: time to find its holder busy.
srv slowtls 27511 --delay mail=2
mkdir -p "$WORK/warm" "$WORK/slow"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$WARM:27509" \
    --dir "$WORK/warm" --lifetime 300
wait_port "$WARM" 27509
# The slow server answers MAIL after 3 s: time to start a second worker.
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$WARM:27510" \
    --dir "$WORK/slow" --lifetime 300 --delay mail=3
wait_port "$WARM" 27510

cat >"$WORK/map" <<MAP
warm.example    $WARM:27509
slow.example    $WARM:27510
tls.example     $A:27502
verify.example  $A:27502  \$tls:verify
usera.example   usera:pa@$A:27502
userb.example   userb:pb@$A:27502
max.example     $A:27504
idle.example    $A:27505
idle421.example $A:27506
lim.example     $A:27507
slowtls.example $A:27511
MAP
chmod 600 "$WORK/map"
conf() {
	cat >"$WORK/conf" <<CONF
dns_overrides = $WORK/map
state_dir = $WORK/state
tls_policy = may
tls_ca_file = $P/ca.crt
log_file = $WORK/log
worker_idle_time = 60s
$1
CONF
}
conf "session_cache_time = 30s"

# run ID RCPT: deliver through the front, leaving $rc and $WORK/err-ID
run() {
	printf 'Subject: %s\n\nbody %s\n' "$1" "$1" >"$WORK/m-$1"
	set +e
	timeout 30 "$SD" deliver -c "$WORK/conf" -f s@src.example -q "$1" \
	    -- "$2" <"$WORK/m-$1" 2>"$WORK/err-$1"
	rc=$?
	set -e
}
send() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "deliver $1: exit $rc: $(cat "$WORK/err-$1")"
}
# sessions NAME: the SMTP sessions the server saw (wait_port's probe
# says no EHLO)
sessions() {
	grep ' in EHLO ' "$WORK/$1/commands.log" | awk '{print $2}' |
	    sort -u | wc -l
}
# handshakes NAME: the TLS handshakes the server completed
handshakes() {
	grep -c '^[0-9]* ok ' "$WORK/$1/tls.log" 2>/dev/null || :
}
# check NAME SESSIONS HANDSHAKES: what server NAME saw
check() {
	[ "$(sessions "$1")" -eq "$2" ] ||
		fail "$1: want $2 sessions, saw $(sessions "$1"): $(cat "$WORK/$1/commands.log")"
	[ "$(handshakes "$1")" -eq "$3" ] ||
		fail "$1: want $3 handshakes: $(cat "$WORK/$1/tls.log")"
}
# once NAME ID...: each message ID received exactly once by server NAME
once() {
	d=$1
	shift
	for id in "$@"; do
		n=$(grep -l "^Subject: $id[[:space:]]*\$" "$WORK/$d"/msg-*.eml 2>/dev/null |
		    wc -l)
		[ "$n" -eq 1 ] || fail "$d got $id $n times"
	done
}
# line ID: the to= line of message ID
line() {
	grep " $1: to=<" "$WORK/log" || fail "no to= line for $1"
}
# tlsline ID: the relay line (tls=) of message ID, the last one
tlsline() {
	grep " $1: relay=.*tls=" "$WORK/log" | tail -n 1
}
# use ID N: message ID went on a session's Nth transaction (1: new)
use() {
	if [ "$2" -eq 1 ]; then
		! line "$1" | grep -q 'conn_use=' ||
			fail "$1 on a kept session: $(line "$1")"
		! tlsline "$1" | grep -q 'conn_use=' ||
			fail "$1 on a kept session: $(tlsline "$1")"
	else
		line "$1" | grep -q "conn_use=$2, " ||
			fail "$1: want conn_use=$2: $(line "$1")"
		tlsline "$1" | grep -q "conn_use=$2, tls=TLSv1" ||
			fail "$1: want conn_use=$2 on the tls= line: $(tlsline "$1")"
	fi
	line "$1" | grep -q 'status=sent' || fail "$1 not sent: $(line "$1")"
}
# worker_of ID: the pid that logged message ID
worker_of() {
	line "$1" | sed -n 's/.*smtpdirect\[\([0-9]*\)\]: .*/\1/p'
}
# workers KEEPER: the pids of its delivery workers
workers() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm _ ppid _ <"$s" 2>/dev/null || continue
		[ "$comm" = "(smtpdirect-work)" ] && [ "$ppid" = "$1" ] &&
			echo "$pid"
	done
	return 0
}
# wait_worker: until the keeper runs a worker (bounded)
wait_worker() {
	n=0
	while [ $n -lt 100 ]; do
		k=$(keeper_pids "$WORK/state" | head -n 1)
		[ -n "$k" ] && [ -n "$(workers "$k")" ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	fail "no delivery worker"
}

# 0. Warm up: the first message starts the keeper, the second a worker.
send W1 a@warm.example
send W2 b@warm.example
wait_worker
send W3 c@warm.example

# 1. Ten in a row: one connection, one handshake.
for i in 1 2 3 4 5 6 7 8 9 10; do
	send "T$i" "t$i@tls.example"
done
check main 1 1
for i in 1 2 3 4 5 6 7 8 9 10; do
	use "T$i" "$i"
	once main "T$i"
done
W=$(worker_of T1)
for i in 2 3 4 5 6 7 8 9 10; do
	[ "$(worker_of "T$i")" = "$W" ] || fail "T$i not by worker $W"
done

# 1b. With two idle workers, the keeper gives the next message for
# tls.example to the one that keeps a session for it (without the
# preference, the newer worker would take it).
run S1 s1@slow.example &
slow=$!
n=0
while ! grep -q ' in MAIL' "$WORK/slow/commands.log" 2>/dev/null &&
	[ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
send X1 x1@warm.example
K=$(keeper_pids "$WORK/state" | head -n 1)
n=0
while [ "$(workers "$K" | wc -l)" -lt 2 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(workers "$K" | wc -l)" -eq 2 ] || fail "want 2 workers: $(workers "$K")"
wait "$slow" || fail "S1 failed"
send T11 t11@tls.example
use T11 11
[ "$(worker_of T11)" = "$W" ] || fail "T11 not by worker $W"
check main 1 1

# 1c. A message for a destination whose only session is kept by a busy
# worker goes to an idle worker (a new session), and the keeper starts
# one more worker, so that idle workers keep sessions to a destination
# that gets mail faster than one session carries it (WORKER_SPARE).
send Y1 y1@slowtls.example
nw=$(workers "$K" | wc -l)
run Y2 y2@slowtls.example &
y2=$!
n=0
while [ "$(grep -c ' in MAIL' "$WORK/slowtls/commands.log")" -lt 2 ] &&
	[ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
send Y3 y3@slowtls.example
wait "$y2" || fail "Y2 failed"
use Y1 1
use Y2 2
use Y3 1
[ "$(worker_of Y2)" = "$(worker_of Y1)" ] || fail "Y2 not by Y1's worker"
[ "$(worker_of Y3)" != "$(worker_of Y1)" ] || fail "Y3 by the busy worker"
n=0
while [ "$(workers "$K" | wc -l)" -le "$nw" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(workers "$K" | wc -l)" -eq $((nw + 1)) ] ||
	fail "want $((nw + 1)) workers after Y3: $(workers "$K")"
check slowtls 2 2

# 2. A may session is not used for verify; the verify one is kept too,
# and may goes on on its own.
send V1 v1@verify.example
check main 2 2
use V1 1
tlsline V1 | grep -q 'trust=verified' || fail "V1: $(tlsline V1)"
send V2 v2@verify.example
use V2 2
send T12 t12@tls.example
use T12 12
check main 2 2

# 3. Credentials: user A's session for user A only.
send UA1 a1@usera.example
check main 3 3
use UA1 1
grep -q "user=b'usera' pass=b'pa' tls=yes code=235" "$WORK/main/auth.log" ||
	fail "no AUTH as usera: $(cat "$WORK/main/auth.log")"
send UA2 a2@usera.example
use UA2 2
[ "$(grep -c "user=b'usera'" "$WORK/main/auth.log")" -eq 1 ] ||
	fail "usera authenticated twice: $(cat "$WORK/main/auth.log")"
run UB1 b1@userb.example
[ "$rc" -eq 75 ] || fail "UB1 (wrong password): exit $rc"
check main 4 4
grep -q "user=b'userb' pass=b'pb' tls=yes code=535" "$WORK/main/auth.log" ||
	fail "UB1 did not authenticate on its own: $(cat "$WORK/main/auth.log")"
send T13 t13@tls.example
use T13 13
check main 4 4
once main V1 V2 T11 T12 UA1 UA2 T13

# 3b. Every recipient refused at RCPT: RSET, and the session is kept.
run R1 nobody@tls.example
[ "$rc" -eq 67 ] || fail "R1 (550 to RCPT): exit $rc"
line R1 | grep -q 'conn_use=14, .*status=bounced' || fail "R1: $(line R1)"
send T14 t14@tls.example
use T14 15
grep -q ' in RSET' "$WORK/main/commands.log" || fail "no RSET before keeping"
check main 4 4

# 4. The per-session maximum: the 101st message opens a new connection.
i=1
while [ $i -le 101 ]; do
	send "M$i" "m$i@max.example"
	i=$((i + 1))
done
use M100 100
use M101 1
check max 2 2
[ "$(find "$WORK/max" -name 'msg-*.env' | wc -l)" -eq 101 ] ||
	fail "max: want 101 messages"

# 5. The server closes the idle session, silently or with a 421: the
# next message goes on a new connection, delivered once.
for s in idle idle421; do
	send "${s}1" "x@$s.example"
	sleep 2
	send "${s}2" "y@$s.example"
	use "${s}2" 1
	check "$s" 2 2
	once "$s" "${s}1" "${s}2"
done

# 6. A 421 to MAIL on a kept session ends it: the message goes on a new
# connection, once.
send L1 l1@lim.example
send L2 l2@lim.example
send L3 l3@lim.example
use L2 2
use L3 1
send L4 l4@lim.example
use L4 2
check lim 2 2
once lim L1 L2 L3 L4

# 7. session_cache_time: a session idle longer is QUIT, not reused.
conf "session_cache_time = 1s"
send E1 e1@tls.example
sleep 2
send E2 e2@tls.example
use E2 1
once main E1 E2

# 8. A worker that exits QUITs the sessions it keeps.
send Q1 q1@lim.example
before=$(grep -c ' in QUIT' "$WORK/lim/commands.log" || :)
keepers_stop "$WORK/state"
n=0
while [ "$(grep -c ' in QUIT' "$WORK/lim/commands.log" || :)" -eq "$before" ] &&
	[ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(grep -c ' in QUIT' "$WORK/lim/commands.log" || :)" -gt "$before" ] ||
	fail "the kept session was not QUIT: $(tail -n 5 "$WORK/lim/commands.log")"
echo "58: TLS sessions kept by workers: ok"
