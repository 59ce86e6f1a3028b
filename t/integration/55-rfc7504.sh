#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 55-rfc7504: servers that accept no mail (RFC 7504), through real MX
# records (nsd) and real Postfix servers.
#
# One private Postfix instance (t/lib/postfix.sh) gives both codes as it
# gives them to the world: its postscreen on mx1 (127.0.27.1) greets
# every client of 127.0.0.0/8 with "521 5.3.2 Service currently
# unavailable" (postscreen_access_list reject, denylist action drop);
# its smtpd on mx2 (127.0.27.2) answers RCPT for nomail.test with 556
# (an access map; Postfix makes the enhanced code of a recipient
# restriction 5.1.0) and holds what it accepts, so that the test can
# count it. mx3 is t/lib/smtpserver.py greeting "521 mx3.test does not
# accept mail" (RFC 1846's form, no enhanced code), mx5 one that answers
# RCPT for nullmx.test with 556 and no enhanced code; nothing listens on
# mx4. Every MX host on port 28125; nsd on 127.0.27.53:28153. Loopback
# 127.0.27.0/24, ports 28100-28199.
#
# Each case runs twice: with worker_idle_time = 0 (the process delivers
# by itself) and through a delivery worker (the outcome lines carry a
# worker's pid), with the same exit status and final line:
#   one.test    MX mx1 (521)               bounce 5.3.2, exit 69
#   two.test    MX mx1 (521), mx2          sent by mx2, exit 0; mx1
#                                          logged as skipped
#   three.test  MX mx1 (521), mx3 (521)    bounce 5.3.2, exit 69
#   half.test   MX mx1 (521), mx4 (down)   defer 4.4.1, exit 75
#   lost.test   MX mx1 (521), gone.test    defer 4.4.3 (no address for
#               (no address)               gone.test: not tried), 75
#   nomail.test MX mx2 (556 5.1.0 at RCPT) bounce 5.1.0, exit 69
#   nullmx.test MX mx5 (556 at RCPT)       bounce 5.1.10, exit 68
#   two.test and nullmx.test at once      one sent, one bounced, 68
# and with greeting_521_bounces = no, one.test defers (4.3.2, exit 75),
# as Postfix's smtp(8) does.
#
# Needs root, postfix (postscreen), nsd, nsd-control, drill, python3.
set -eu
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/dns_test.sh
. "$TOP/t/lib/dns_test.sh"

pf_require
dns_need nsd nsd-control drill
[ -x "$PYTHON3" ] || skip "python3 is not installed"
[ -x /usr/lib/postfix/sbin/postscreen ] ||
	skip "postscreen is not installed (postfix)"

MX1=127.0.27.1 MX2=127.0.27.2 MX3=127.0.27.3 MX4=127.0.27.4 MX5=127.0.27.5
NS=127.0.27.53 NSP=28153 P=28125

# --- DNS -------------------------------------------------------------------
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A $NS
mx1		IN A $MX1
mx2		IN A $MX2
mx3		IN A $MX3
mx4		IN A $MX4
mx5		IN A $MX5
one		IN MX 10 mx1.test.
two		IN MX 10 mx1.test.
two		IN MX 20 mx2.test.
three		IN MX 10 mx1.test.
three		IN MX 20 mx3.test.
half		IN MX 10 mx1.test.
half		IN MX 20 mx4.test.
lost		IN MX 10 mx1.test.
lost		IN MX 20 gone.test.
nomail		IN MX 10 mx2.test.
nullmx		IN MX 10 mx5.test.
ZONE
dns_nsd_start "$NS" "$NSP" "$WORK/test.zone"

# --- Postfix: postscreen on mx1, smtpd on mx2 ------------------------------
pf_init "$MX2" "$P"
cat >>"$PF_CONF/master.cf" <<EOF
$MX1:$P inet n - n - 1 postscreen
smtpd     pass  -       -       n       -       -       smtpd
dnsblog   unix  -       -       n       -       0       dnsblog
tlsproxy  unix  -       -       n       -       0       tlsproxy
EOF
printf '127.0.0.0/8 reject\n' >"$PF_CONF/psc.cidr"
printf 'nomail.test 556 5.1.10 Domain nomail.test does not accept mail\n' \
    >"$PF_CONF/rcpt_access"
printf '/^Subject: 7504 / HOLD kept for the test\n' >"$PF_CONF/hold"
pf_conf "postscreen_access_list = cidr:$PF_CONF/psc.cidr" \
    "postscreen_denylist_action = drop" \
    "smtpd_recipient_restrictions = check_recipient_access texthash:$PF_CONF/rcpt_access, permit_mynetworks, reject" \
    "header_checks = regexp:$PF_CONF/hold" \
    "default_transport = discard:held, never delivered"
pf_start
wait_port "$MX1" "$P"
echo "55: postfix master $PF_PID: postscreen $MX1:$P, smtpd $MX2:$P"

mkdir -p "$WORK/mx3"
bg_start "$PYTHON3" "$TOP/t/lib/smtpserver.py" --listen "$MX3:$P" \
    --dir "$WORK/mx3" --lifetime 600 \
    --reply 'greeting=521 mx3.test does not accept mail'
wait_port "$MX3" "$P"
mkdir -p "$WORK/mx5"
bg_start "$PYTHON3" "$TOP/t/lib/smtpserver.py" --listen "$MX5:$P" \
    --dir "$WORK/mx5" --lifetime 600 \
    --rcpt '*@nullmx.test=556 Domain nullmx.test does not accept mail'
wait_port "$MX5" "$P"

# --- smtpdirect ------------------------------------------------------------
mkdir -p "$WORK/state"
# conf FILE WORKER_IDLE_TIME [LINE]: a configuration
conf() {
	cat >"$1" <<CONF
dns_servers = $NS:$NSP
dns_overrides =
state_dir = $WORK/state
mx_port = $P
tls_policy = none
connect_timeout = 2s
command_timeout = 10s
log_file = $WORK/log
worker_idle_time = $2
${3:-}
CONF
}
conf "$WORK/conf-self" 0
conf "$WORK/conf-worker" 10s
conf "$WORK/conf-skip" 0 "greeting_521_bounces = no"

# D CONF ID WANT RCPT...: deliver a message (Subject "7504 ID") with
# queue id ID, expect exit WANT; its final line is in $WORK/err.
D() {
	local dc=$1 id=$2 want=$3
	shift 3
	printf 'Subject: 7504 %s\n\nbody of %s\n' "$id" "$id" >"$WORK/m"
	set +e
	timeout 60 "$SD" deliver -c "$dc" -f s@origin.test -q "$id" -- "$@" \
	    <"$WORK/m" 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
		fail "deliver $id: exit $rc, want $want: $(cat "$WORK/err")"
	[ "$(wc -l <"$WORK/err")" -le 1 ] ||
		fail "deliver $id: more than one line: $(cat "$WORK/err")"
}
# err_is ERE: the final line matches
err_is() {
	grep -Eq -e "$1" "$WORK/err" || fail "final line: $(cat "$WORK/err"), want $1"
}
# log_is ERE: the log has a line that matches
log_is() {
	grep -Eq -e "$1" "$WORK/log" || fail "no log line like $1: $(tail -n 20 "$WORK/log")"
}
# held ID RCPT: how many messages ID mx2 holds for RCPT
held() {
	pf_queue_json | "$PYTHON3" -c '
import json, subprocess, sys
n = 0
for line in sys.stdin:
    m = json.loads(line)
    if m["queue_name"] != "hold":
        continue
    for r in m.get("recipients", []):
        if r["address"] == sys.argv[1]:
            n += 1
print(n)' "$1"
}
# worker_pid PID: PID is a delivery worker (smtpdirect-work)
worker_pid() {
	[ -n "$1" ] && read -r _ comm _ <"/proc/$1/stat" 2>/dev/null &&
		[ "$comm" = "(smtpdirect-work)" ]
}
# logged_by ID: the pid on the outcome lines of ID (the first)
logged_by() {
	sed -n "s/.*smtpdirect\[\([0-9]*\)\]: $1: to=.*/\1/p" "$WORK/log" |
		head -n 1
}

R1='refused to talk to me: 521 5\.3\.2 Service currently unavailable'
# cases CONF TAG HELD: every case with configuration CONF, queue ids
# TAG1 to TAG7; mx2 then holds HELD messages for b@two.test
cases() {
	local c=$1 t=$2
	D "$c" "${t}1" 69 a@one.test
	err_is "^5\.3\.2 mx1\.test\[$MX1\]:$P $R1$"
	log_is "${t}1: to=<a@one\.test>, relay=mx1\.test\[$MX1\]:$P, .*dsn=5\.3\.2, status=bounced \(mx1\.test\[$MX1\]:$P $R1\)"

	D "$c" "${t}2" 0 b@two.test
	[ ! -s "$WORK/err" ] || fail "${t}2 said: $(cat "$WORK/err")"
	log_is "${t}2: mx1\.test\[$MX1\]:$P $R1$"
	log_is "${t}2: to=<b@two\.test>, relay=mx2\.test\[$MX2\]:$P, .*status=sent"
	[ "$(held b@two.test)" -eq "$3" ] ||
		fail "${t}2: mx2 holds $(held b@two.test) for b@two.test, want $3"

	D "$c" "${t}3" 69 c@three.test
	err_is "^5\.3\.2 mx3\.test\[$MX3\]:$P refused to talk to me: 521 mx3\.test does not accept mail$"
	log_is "${t}3: mx1\.test\[$MX1\]:$P $R1$"

	D "$c" "${t}4" 75 d@half.test
	err_is "^4\.4\.1 connect to mx4\.test\[$MX4\]:$P: "
	log_is "${t}4: to=<d@half\.test>, .*status=deferred"

	D "$c" "${t}5" 75 e@lost.test
	err_is "^4\.4\.3 lost\.test: MX host gone\.test not tried: "
	log_is "${t}5: to=<e@lost\.test>, .*status=deferred"

	D "$c" "${t}6" 69 f@nomail.test
	err_is "^5\.1\.0 mx2\.test\[$MX2\]:$P said: 556 5\.1\.0 <f@nomail\.test>: Recipient address rejected: Domain nomail\.test does not accept mail \(in reply to RCPT TO command\)$"

	D "$c" "${t}7" 68 g@two.test h@nullmx.test
	err_is "^5\.1\.10 mx5\.test\[$MX5\]:$P said: 556 Domain nullmx\.test does not accept mail \(in reply to RCPT TO command\)$"
	log_is "${t}7: to=<g@two\.test>, relay=mx2\.test\[$MX2\]:$P, .*status=sent"
	log_is "${t}7: to=<h@nullmx\.test>, relay=mx5\.test\[$MX5\]:$P, .*dsn=5\.1\.10, status=bounced"
}

# 1. A process that delivers by itself.
cases "$WORK/conf-self" S 1
for i in 1 2 3 4 5 6 7; do
	worker_pid "$(logged_by "S$i")" && fail "S$i was delivered by a worker"
done

# 2. The same through a delivery worker: the first message starts the
# keeper, which starts a worker once a message finds none idle.
n=0
until D "$WORK/conf-worker" "W0$n" 0 "w$n@two.test" &&
    worker_pid "$(logged_by "W0$n")"; do
	n=$((n + 1))
	[ $n -lt 20 ] || fail "no message reached a delivery worker"
	sleep 0.3
done
cases "$WORK/conf-worker" W 2
for i in 1 2 3 4 5 6 7; do
	worker_pid "$(logged_by "W$i")" ||
		fail "W$i was not delivered by a worker: pid $(logged_by "W$i")"
done

# 3. greeting_521_bounces = no: as Postfix, skipped and deferred.
D "$WORK/conf-skip" K1 75 k@one.test
err_is "^4\.3\.2 mx1\.test\[$MX1\]:$P $R1$"
log_is "K1: to=<k@one\.test>, .*dsn=4\.3\.2, status=deferred"

# The servers said what the test says they said.
pf_log_has "DENYLISTED \[127\.0\.0\.1\]" || fail "postscreen: $(pf_log)"
pf_log_has "NOQUEUE: reject: RCPT from .*: 556 5\.1\.0 <f@nomail\.test>" ||
	fail "smtpd 556: $(pf_log)"
[ "$(grep -c 'to=<' "$WORK/log")" -ge 17 ] || fail "log: $(cat "$WORK/log")"
echo "55: 521 greetings bounce only when every host says so, 556 at RCPT bounces: ok"
