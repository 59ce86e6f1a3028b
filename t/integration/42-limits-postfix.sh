#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 42-limits-postfix: recipient limits against a real Postfix smtpd (a
# private instance) whose smtpd_recipient_limit = 2 refuses the third
# RCPT with 452 4.5.3. Postfix 3.7 announces no LIMITS (RFC 9422), so
# the third recipient is deferred with that reply, as for any 4xx to
# RCPT; with smtp_recipient_limit = 2 the MTA's retry delivers it alone
# (the other two were recorded), and five recipients go in three
# transactions on one connection. Should this Postfix announce LIMITS
# RCPTMAX, the first run delivers all three. The receiving instance
# delivers every recipient to a pipe that writes a file per recipient.
# Loopback 127.0.26.2, ports 28020-28029.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

pf_require
[ -x "$SD" ] || fail "$SD is not built (make)"
A=127.0.26.2
RCV=$WORK/rcv
mkdir -p "$RCV"
chmod 777 "$RCV"

pf_init "$A" 28020
pf_pipe store 10 "flags= user=nobody" \
    "argv=/bin/sh -c cat>$RCV/\${user}"
pf_conf "default_transport = store" "relay_transport = store" \
    "relay_domains = static:ALL" "smtpd_recipient_restrictions = permit" \
    "store_destination_recipient_limit = 1" "smtpd_recipient_limit = 2"
pf_start
mta_on_fail pf_log

echo "pf.test $A:28020" >"$WORK/map"
conf() { # conf FILE [KEY=VALUE]
	printf '%s\n' "dns_servers = 127.0.26.99:28029" \
	    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
	    "log_file = $WORK/deliver.log" "connect_timeout = 5s" \
	    "command_timeout = 15s" "helo_name = smtpdirect.test" \
	    "tls_policy = none" "session_cache_time = 0s" \
	    "worker_idle_time = 0s" ${2:+"$2"} >"$1"
}
conf "$WORK/conf"
conf "$WORK/conf.rl" "smtp_recipient_limit = 2"
printf 'From: a@origin.test\nSubject: limits\n\nbody\n' >"$WORK/msg"

failures=0
ok() { echo "ok - $*"; }
nok() {
	echo "not ok - $*"
	failures=$((failures + 1))
}

# run CONF QID WANT RCPT...: deliver, want exit WANT
run() {
	local conf=$1 qid=$2 want=$3 rc=0
	shift 3
	timeout 60 "$SD" deliver -v -c "$conf" -f a@origin.test -q "$qid" \
	    -- "$@" <"$WORK/msg" 2>"$WORK/$qid.err" || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$qid: exit $rc $(head -c 90 "$WORK/$qid.err")"
	else
		nok "$qid: exit $rc, want $want: $(cat "$WORK/$qid.err")"
	fi
}
# got RCPT: the pipe wrote the recipient's file
got() {
	if wait_until 30 test -s "$RCV/$1"; then
		ok "$1 delivered"
	else
		nok "$1 not delivered"
	fi
}
# logged ERE: deliver's log has a line matching ERE
logged() {
	if grep -Eq -- "$1" "$WORK/deliver.log"; then
		ok "log: $1"
	else
		nok "log has no /$1/"
		tail -n 20 "$WORK/deliver.log" | sed 's/^/#   /'
	fi
}

if grep -q 'LIMITS' <(printf 'EHLO x\r\nQUIT\r\n' |
	timeout 10 "$PYTHON3" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 5)
s.sendall(sys.stdin.buffer.read())
while True:
    d = s.recv(4096)
    if not d:
        break
    sys.stdout.write(d.decode("ascii", "replace"))' "$A" 28020); then
	pf_limits=yes
else
	pf_limits=no
fi
echo "# Postfix $(postconf -d mail_version | sed 's/.*= //') announces LIMITS: $pf_limits"

if [ $pf_limits = no ]; then
	run "$WORK/conf" PFQ 75 p1@pf.test p2@pf.test p3@pf.test
	if grep -Eq '^4\.5\.3 .*said: 452 4\.5\.3 Error: too many recipients \(in reply to RCPT TO command\)$' \
		"$WORK/PFQ.err"; then
		ok "the third deferred with Postfix's 452"
	else
		nok "stderr: $(cat "$WORK/PFQ.err")"
	fi
	logged 'PFQ: to=<p3@pf\.test>, relay=.*, dsn=4\.5\.3, status=deferred .*too many recipients'
else
	run "$WORK/conf" PFQ 0 p1@pf.test p2@pf.test p3@pf.test
fi
got p1
got p2
run "$WORK/conf.rl" PFQ 0 p1@pf.test p2@pf.test p3@pf.test
got p3
logged 'PFQ: to=<p1@pf\.test>, relay=none, .*already delivered in an earlier attempt'

# Five recipients, two a transaction: three transactions, one connection.
pf_wait_log 'client=.*' 30
before_c=$(grep -c 'smtpd.*: connect from' "$PF_LOG" || true)
before_t=$(grep -c 'smtpd.*: [0-9A-Za-z]*: client=' "$PF_LOG" || true)
run "$WORK/conf.rl" PFQ5 0 q1@pf.test q2@pf.test q3@pf.test q4@pf.test \
    q5@pf.test
for i in 1 2 3 4 5; do
	got "q$i"
done
pf_wait_log 'disconnect from .* ehlo=1 mail=3 rcpt=5 (bdat|data)=3 quit=1 commands=13' 30 ||
	nok "Postfix logged no session of three transactions"
after_c=$(grep -c 'smtpd.*: connect from' "$PF_LOG" || true)
after_t=$(grep -c 'smtpd.*: [0-9A-Za-z]*: client=' "$PF_LOG" || true)
if [ $((after_c - before_c)):$((after_t - before_t)) = 1:3 ]; then
	ok "three transactions on one connection"
else
	nok "$((after_t - before_t)) transactions on $((after_c - before_c)) connections"
fi
logged 'PFQ5: to=<q3@pf\.test>, relay=.*:28020, conn_use=2, .*status=sent'
logged 'PFQ5: to=<q5@pf\.test>, relay=.*:28020, conn_use=3, .*status=sent'

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "all checks passed"
