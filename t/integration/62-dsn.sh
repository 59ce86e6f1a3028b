#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 62-dsn: the RFC 3461 parameters smtpdirect passes on (-E ENVID, one
# --orcpt=ADDRESS per recipient), to real servers and from a real
# Postfix.
#
# A private Postfix instance (t/lib/postfix.sh) is both ends:
#   - its smtpd on 127.0.27.10:28130 is the receiving server; it holds
#     what it accepts for far.test and v39.test, and postcat(1) reads
#     back the ENVID and ORCPT it recorded; a second smtpd on
#     127.0.27.12:28132 offers no DSN (smtpd_discard_ehlo_keywords);
#   - its pipe(8) transport is the one of conf-examples/postfix/
#     (--orcpt=${original_recipient}; paths and user replaced), with
#     several recipients a call allowed here so that the pairing of
#     ORCPTs and recipients is seen in a batch, and virtual aliases so
#     that each original recipient differs from its recipient.
# t/lib/smtpserver.py on 127.0.27.13:28133 offers DSN and records the
# exact MAIL and RCPT arguments (xtext on the wire), one on
# 127.0.27.14:28134 offers none; an smtp-sink on 127.0.27.11:28131
# takes the senders' mail (Postfix's DSN notices).
#
# Shown: ENVID and ORCPT reach Postfix smtpd and are recorded as sent,
# xtext-encoded on the wire ("+", "=", space); nothing of them goes to
# a server without DSN; a recipient without --orcpt= value gets none; a
# non-ASCII ORCPT and an overlong ENVID are left out and logged, the
# message delivered; a count of --orcpt= that is not the recipients'
# defers (4.3.5); a delivery worker passes them on alike; and through
# Postfix (sendmail -N success -V ENVID, two aliased recipients in one
# pipe(8) call) each recipient arrives at the far end with its own
# original address as ORCPT. Postfix before 3.9 has no ${envid}:
# a pipe command that names it defers every message (4.3.5), as
# README.md says; from 3.9 the ENVID arrives too.
# Loopback 127.0.27.0/24, ports 28100-28199.
#
# Needs root, postfix (smtp-sink, postcat) and python3.
set -eu
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

pf_require
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"

PF=127.0.27.10 PFP=28130 SINK=127.0.27.11 SINKP=28131
NODSN=127.0.27.12 NODSNP=28132 WIRE=127.0.27.13 WIREP=28133
PLAIN=127.0.27.14 PLAINP=28134

# --- servers ---------------------------------------------------------------
mkdir -p "$WORK/wire" "$WORK/plain"
bg_start "$PYTHON3" "$TOP/t/lib/smtpserver.py" --listen "$WIRE:$WIREP" \
    --dir "$WORK/wire" --lifetime 600 --advertise DSN
bg_start "$PYTHON3" "$TOP/t/lib/smtpserver.py" --listen "$PLAIN:$PLAINP" \
    --dir "$WORK/plain" --lifetime 600
wait_port "$WIRE" "$WIREP"
wait_port "$PLAIN" "$PLAINP"
sink_start senders "$SINK" "$SINKP"

# --- smtpdirect ------------------------------------------------------------
mta_install_sd # SDC: configuration and state of the pipe user "nobody"
cat >"$SDC/overrides" <<EOF
far.test     $PF:$PFP
v39.test     $PF:$PFP
nodsn.test   $NODSN:$NODSNP
wire.test    $WIRE:$WIREP
plain.test   $PLAIN:$PLAINP
origin.test  $SINK:$SINKP
EOF
# sdconf FILE STATE WORKER_IDLE_TIME LOG: a configuration
sdconf() {
	cat >"$1" <<EOF
dns_servers = 127.0.27.99:28199
dns_overrides = $SDC/overrides
state_dir = $2
helo_name = smtpdirect.test
tls_policy = none
connect_timeout = 5s
worker_idle_time = $3
log_file = $4
EOF
}
touch "$SDC/log"
chown nobody "$SDC/log"
sdconf "$SDC/smtpdirect.conf" "$SDC/state" 0 "$SDC/log"
mkdir -p "$WORK/state" "$WORK/wstate"
sdconf "$WORK/conf" "$WORK/state" 0 "$WORK/log"
sdconf "$WORK/conf-worker" "$WORK/wstate" 10s "$WORK/log"
chmod 755 "$SDC"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf"

# --- Postfix ---------------------------------------------------------------
pf_init "$PF" "$PFP"
pf_use_examples "$SD_BIN" "$SDC/smtpdirect.conf" nobody
# The same entry, naming ${envid} (Postfix 3.9 and later), for v39.test.
pf_pipe sdenvid 10 "flags=q user=nobody null_sender=" \
    "argv=$SD_BIN deliver -c $SDC/smtpdirect.conf -f \${sender} -q \${queue_id} -E \${envid} --orcpt=\${original_recipient} -- \${recipient}"
printf '%s inet n - n - - smtpd\n  -o smtpd_discard_ehlo_keywords=dsn\n' \
    "$NODSN:$NODSNP" >>"$PF_CONF/master.cf"
printf 'far.test HOLD\nv39.test HOLD\nnodsn.test HOLD\n' >"$PF_CONF/hold"
printf 'alias1@far.test real1@far.test\nalias2@far.test real2@far.test\n' \
    >"$PF_CONF/virtual"
printf 'v39.test sdenvid:\n' >"$PF_CONF/transport"
pf_conf "smtpd_recipient_restrictions = check_recipient_access texthash:$PF_CONF/hold, permit_mynetworks, reject" \
    "virtual_alias_maps = texthash:$PF_CONF/virtual" \
    "transport_maps = texthash:$PF_CONF/transport" \
    "smtpdirect_destination_recipient_limit = 10" \
    "sdenvid_destination_recipient_limit = 10"
pf_start
wait_port "$NODSN" "$NODSNP"
grep -A2 '^smtpdirect ' "$PF_CONF/master.cf"
VERSION=$("$PF_SBIN/postconf" -c "$PF_CONF" -h mail_version)
echo "62: postfix $VERSION, master $PF_PID on $PF:$PFP"

# D CONF ID WANT ARGS...: deliver a message (Subject "dsn ID") with
# queue id ID, expect exit WANT; its final line is in $WORK/err.
D() {
	local dc=$1 id=$2 want=$3
	shift 3
	printf 'Subject: dsn %s\n\nbody of %s\n' "$id" "$id" >"$WORK/m"
	set +e
	timeout 60 "$SD" deliver -c "$dc" -f s@origin.test -q "$id" "$@" \
	    <"$WORK/m" 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
		fail "deliver $id: exit $rc, want $want: $(cat "$WORK/err")"
}
# held_qid RCPT SUBJECT: the id of the held message for RCPT with SUBJECT
held_qid() {
	local q
	for q in $(pf_queue_json | "$PYTHON3" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["queue_name"] == "hold" and any(
            r["address"] == sys.argv[1] for r in m.get("recipients", [])):
        print(m["queue_id"])' "$1"); do
		"$PF_SBIN/postcat" -c "$PF_CONF" -hq "$q" 2>/dev/null |
			grep -qxF "Subject: $2" && echo "$q"
	done
	return 0
}
# envelope RCPT SUBJECT: the envelope records of that held message
envelope() {
	local q
	wait_until 30 test -n "$(held_qid "$1" "$2")"
	q=$(held_qid "$1" "$2")
	"$PF_SBIN/postcat" -c "$PF_CONF" -eq "$q"
}
# wire ID: the .env record of message ID at the DSN-offering server
wire() {
	grep -l "^mail: FROM:<s@origin.test>" "$WORK/$2"/msg-*.env 2>/dev/null |
		while read -r f; do
			b=${f%.env}
			grep -qF "body of $1" "$b.eml" && cat "$f"
		done
}

# 1. To Postfix smtpd: recorded as sent, the second recipient without.
D "$WORK/conf" A1 0 -E 'A1 env+id=x' --orcpt=orig.a@far.test --orcpt= \
    -- a@far.test b@far.test
envelope a@far.test "dsn A1" >"$WORK/a1"
cat "$WORK/a1"
# (Postfix records an ORCPT of its own, the address itself, for a
# recipient that came without one: the wire shows what was sent, 2.)
grep -qxF 'named_attribute: envelope_id=A1 env+id=x' "$WORK/a1" ||
	fail "A1: no ENVID recorded"
grep -qxF 'named_attribute: dsn_orig_rcpt=rfc822;orig.a@far.test' \
    "$WORK/a1" || fail "A1: no ORCPT for a@far.test"

# 2. On the wire: xtext, and only where asked.
D "$WORK/conf" A2 0 -E 'A2 env+id=x' --orcpt='a+tag=1@wire.test' \
    --orcpt= -- a@wire.test b@wire.test
wire A2 wire >"$WORK/a2"
cat "$WORK/a2"
grep -qE '^mail: FROM:<s@origin.test> .*ENVID=A2\+20env\+2Bid\+3Dx( |$)' \
    "$WORK/a2" || fail "A2: ENVID on the wire"
grep -qxF 'rcpt: TO:<a@wire.test> ORCPT=rfc822;a+2Btag+3D1@wire.test 250' \
    "$WORK/a2" || fail "A2: ORCPT on the wire"
grep -qxF 'rcpt: TO:<b@wire.test> 250' "$WORK/a2" || fail "A2: b@wire.test"

# 3. Servers without DSN get neither; the mail goes all the same.
D "$WORK/conf" A3 0 -E A3 --orcpt=orig.c@plain.test -- c@plain.test
wire A3 plain >"$WORK/a3"
grep -qxE 'mail: FROM:<s@origin.test> SIZE=[0-9]+' "$WORK/a3" ||
	fail "A3: MAIL: $(cat "$WORK/a3")"
grep -qxF 'rcpt: TO:<c@plain.test> 250' "$WORK/a3" || fail "A3: RCPT"
D "$WORK/conf" A4 0 -E A4 --orcpt=orig.d@nodsn.test -- d@nodsn.test
envelope d@nodsn.test "dsn A4" >"$WORK/a4"
grep -q 'envelope_id=\|orig\.d@' "$WORK/a4" &&
	fail "A4: DSN records: $(cat "$WORK/a4")"

# 4. What RFC 3461 does not allow is left out, and logged.
long=$(printf '%0101d' 0)
D "$WORK/conf" A5 0 -E "$long" --orcpt='j'"$(printf '\303\274')"'rgen@wire.test' \
    -- e@wire.test
wire A5 wire >"$WORK/a5"
grep -qxE 'mail: FROM:<s@origin.test> SIZE=[0-9]+' "$WORK/a5" ||
	fail "A5: MAIL: $(cat "$WORK/a5")"
grep -qxF 'rcpt: TO:<e@wire.test> 250' "$WORK/a5" || fail "A5: RCPT"
grep -q 'A5: ENVID not passed on: ' "$WORK/log" || fail "A5: log"
grep -q 'A5: to=<e@wire.test>: ORCPT not passed on: ' "$WORK/log" ||
	fail "A5: log"

# 5. A count that is not the recipients': never guessed, deferred.
D "$WORK/conf" A6 75 --orcpt=x@wire.test -- f@wire.test g@wire.test
grep -q '^4\.3\.5 1 --orcpt= for 2 recipients' "$WORK/err" ||
	fail "A6: $(cat "$WORK/err")"

# 6. Through a delivery worker alike.
# by_worker ID: the outcome line of ID carries a delivery worker's pid
by_worker() {
	local p
	p=$(sed -n "s/.*smtpdirect\[\([0-9]*\)\]: $1: to=.*/\1/p" \
	    "$WORK/log" | head -n 1)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = smtpdirect-work ]
}
n=0
until D "$WORK/conf-worker" "W0$n" 0 -- "w$n@wire.test" && by_worker "W0$n"; do
	n=$((n + 1))
	[ $n -lt 20 ] || fail "no message reached a delivery worker"
	sleep 0.3
done
D "$WORK/conf-worker" W1 0 -E 'W1 id' --orcpt=orig.h@wire.test \
    --orcpt=orig.i@wire.test -- h@wire.test i@wire.test
by_worker W1 || fail "W1 was not delivered by a worker"
wire W1 wire >"$WORK/w1"
grep -qE '^mail: .* ENVID=W1\+20id( |$)' "$WORK/w1" || fail "W1: ENVID"
grep -qxF 'rcpt: TO:<h@wire.test> ORCPT=rfc822;orig.h@wire.test 250' \
    "$WORK/w1" || fail "W1: ORCPT h"
grep -qxF 'rcpt: TO:<i@wire.test> ORCPT=rfc822;orig.i@wire.test 250' \
    "$WORK/w1" || fail "W1: ORCPT i"

# 7. Through Postfix: two aliased recipients in one pipe(8) call.
mta_message P1 s@origin.test | pf_sendmail -N success -V ENV-P1 \
    -f s@origin.test alias1@far.test alias2@far.test
pf_wait_log 'to=<real1@far.test>, orig_to=<alias1@far.test>, relay=smtpdirect, .*status=sent' 60
pf_wait_log 'to=<real2@far.test>, orig_to=<alias2@far.test>, relay=smtpdirect, .*status=sent' 60
[ "$(grep -c ': to=<real[12]@far.test>, relay=127' "$SDC/log")" -eq 2 ] ||
	fail "want both recipients delivered: $(cat "$SDC/log")"
[ "$(grep -E ': to=<real[12]@far.test>, relay=127' "$SDC/log" |
    sed 's/.*smtpdirect\[\([0-9]*\)\]: \([^:]*\):.*/\1 \2/' | sort -u | wc -l)" -eq 1 ] ||
	fail "the two recipients were not one pipe(8) call: $(cat "$SDC/log")"
envelope real1@far.test "test P1" >"$WORK/p1"
cat "$WORK/p1"
# Each recipient's ORCPT comes just before it in the queue file.
"$PYTHON3" - "$WORK/p1" <<'PY' || fail "P1: ORCPTs do not pair up: $(cat "$WORK/p1")"
import sys
orcpt, pairs = None, {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition(": ")
    if k == "named_attribute" and v.startswith("dsn_orig_rcpt="):
        orcpt = v.split("=", 1)[1]
    elif k == "recipient":
        pairs[v] = orcpt
        orcpt = None
want = {"real1@far.test": "rfc822;alias1@far.test",
        "real2@far.test": "rfc822;alias2@far.test"}
sys.exit(0 if pairs == want else "got %r" % pairs)
PY
# The success notice is Postfix's, for the hand-over to smtpdirect.
sink_wait senders "X-Rcpt-Args: <s@origin.test>" 1 60
sink_grep senders "X-Rcpt-Args: <s@origin.test>" | grep -q 'Original-Envelope-Id: ENV-P1' ||
	fail "P1: no notice for ENV-P1: $(sink_grep senders "s@origin.test")"

# 8. ${envid}: deferred before Postfix 3.9, passed on from 3.9.
mta_message P2 s@origin.test | pf_sendmail -V ENV-P2 -f s@origin.test v@v39.test
case $VERSION in
3.[0-8] | 3.[0-8].* | [0-2].*)
	pf_wait_log 'to=<v@v39.test>, relay=sdenvid, .*dsn=4\.3\.5, status=deferred \(mail system configuration error\)' 60
	pf_log_has 'unknown macro name: "envid"' || fail "P2: $(pf_log)"
	echo "62: postfix $VERSION defers a pipe command that names \${envid}, as README.md says"
	;;
*)
	pf_wait_log 'to=<v@v39.test>, relay=sdenvid, .*status=sent' 60
	envelope v@v39.test "test P2" | grep -qF ENV-P2 || fail "P2: no ENVID"
	echo "62: postfix $VERSION passes \${envid} on"
	;;
esac
pf_log_has 'status=bounced' && fail "something bounced: $(pf_log)"
echo "62: ENVID and ORCPT passed on to servers that offer DSN, and only there: ok"
