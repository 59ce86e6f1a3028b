#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 58-tls-reuse-postfix: against a real Postfix smtpd with STARTTLS (a
# private instance, t/lib/postfix.sh, whose log counts connections and
# TLS handshakes), ten messages in a row by the front with delivery
# workers on take one connection and one handshake, with conn_use=2..10
# on smtpdirect's tls= and to= lines, and every message is received
# once. Loopback 127.0.22.60, ports 27560-27569.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/tls_test.sh
. "$TOP/t/lib/tls_test.sh"

pf_require
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
[ -x "$SD" ] || fail "$SD is not built (make)"
A=127.0.22.60
P=$WORK/pki
mkdir -p "$P"
tls_key "$P/ca.key"
openssl req -x509 -new -key "$P/ca.key" -days 2 \
    -subj "/CN=smtpdirect test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$P/ca.crt" 2>/dev/null
tls_sign "$P" good "/CN=mx.reuse.test" "IP:$A"
chmod 755 "$P"
chmod 644 "$P"/*.key

pf_init "$A" 27560
pf_conf "default_transport = discard:tls reuse test"
pf_tls "$P/good.key" "$P/good.chain" may
pf_start
wait_port "$A" 27560

printf 'tls.test\t%s:27560\nplain.test\t%s:27560 $tls:none\n' "$A" "$A" \
    >"$WORK/map"
printf '%s\n' "dns_servers = 127.0.22.99:27599" \
    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
    "tls_ca_file = $P/ca.crt" "tls_policy = verify" \
    "log_file = $WORK/sd.log" "connect_timeout = 5s" \
    "command_timeout = 15s" "helo_name = smtpdirect.test" \
    "session_cache_time = 30s" "worker_idle_time = 60s" >"$WORK/conf"

# send ID DOMAIN: deliver through the front (smtpdirect), exit 0
send() {
	printf 'Subject: %s\n\nbody\n' "$1" >"$WORK/m-$1"
	timeout 60 "$SD" deliver -c "$WORK/conf" -f s@src.test -q "$1" -- \
	    "r@$2" <"$WORK/m-$1" 2>"$WORK/err-$1" ||
		fail "deliver $1: $(cat "$WORK/err-$1")"
}
# workers KEEPER: its delivery workers
workers() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm _ ppid _ <"$s" 2>/dev/null || continue
		[ "$comm" = "(smtpdirect-work)" ] && [ "$ppid" = "$1" ] &&
			echo "$pid"
	done
	return 0
}

# Warm up in plaintext (another session, the keeper's): the first
# message starts the keeper, the second a worker.
send W1 plain.test
send W2 plain.test
n=0
while [ $n -lt 100 ]; do
	k=$(keeper_pids "$WORK/state" | head -n 1)
	[ -n "$k" ] && [ -n "$(workers "$k")" ] && break
	sleep 0.1
	n=$((n + 1))
done
[ $n -lt 100 ] || fail "no delivery worker"
for i in 1 2 3 4 5 6 7 8 9 10; do
	send "T$i" tls.test
done
# received - messages Postfix has taken (and discarded)
received() {
	pf_log | grep -c 'discard.*status=sent' || :
}
n=0
while [ "$(received)" -lt 12 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done

hs=$(pf_log | grep -c 'smtpd.*TLS connection established from' || :)
conns=$(pf_log | grep -c 'smtpd.*: connect from' || :)
probes=$(pf_log | grep -c 'smtpd.*: disconnect from .* commands=0/0' || :)
# One plaintext session (kept by the keeper), one TLS session; the
# readiness probes (no command) do not count.
[ "$hs" -eq 1 ] || fail "want 1 TLS handshake, Postfix logged $hs"
[ $((conns - probes)) -eq 2 ] ||
	fail "want 2 sessions, Postfix logged $conns connections, $probes probes"
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q " T$i: to=<r@tls.test>.*status=sent" "$WORK/sd.log" ||
		fail "T$i not sent: $(grep " T$i:" "$WORK/sd.log")"
	[ "$i" -eq 1 ] && continue
	grep -q " T$i: relay=.*, conn_use=$i, tls=TLSv1\.[23] .*trust=verified" \
	    "$WORK/sd.log" || fail "T$i: no conn_use=$i on the tls= line"
	grep -q " T$i: to=<r@tls.test>, relay=.*, conn_use=$i, " \
	    "$WORK/sd.log" || fail "T$i: no conn_use=$i on the to= line"
done
# Every message once: twelve "sent" lines at Postfix, one per Subject.
got=$(received)
[ "$got" -eq 12 ] || fail "Postfix received $got messages, want 12"
echo "58: ten messages, one TLS session with Postfix: ok"
