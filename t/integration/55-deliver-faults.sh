#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 55-deliver-faults: `smtpdirect deliver` against failing servers
# (t/lib/smtpserver.py and Postfix's smtp-sink) through override routes
# with address-literal targets: 4xx and 5xx at each stage with one host
# and with a second host behind it (Postfix smtp(8) outcomes), the exit
# statuses 0, 75, 67, 68, 69 and the 75 of our own mistakes, failover
# in priority order, multi-line, split, garbled and overlong replies.
# Each case checks the exit status, the one stderr line, the syslog line
# and what the servers received. 56-deliver-state.sh does the rest.
# Loopback 127.0.5.1-3 and .9, ports 25500-25579 and 25599 (nothing
# listens there); 56-deliver-state.sh uses 127.0.5.4.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 55-faults

SINK=127.0.5.1:25500 # smtp-sink, the good second host of some routes
OK=127.0.5.2:25501 # smtpserver.py, the good second host of the others
F=127.0.5.3 # fault servers, one port each
DOWN=127.0.5.9:25599 # nothing listens
re_peer() { fx_re_peer "${1%:*}" "${1##*:}"; } # ADDR:PORT

printf '%s\n' 'From: a@src.test' 'X-SMTPDirect-Route: r@x.test via relay' \
    '  continued' 'Subject: faults' '' '.leading dot' 'body' >"$W/msg"
fx_wire "$W/msg" "$W/msg.eml"

st_sink sink "$SINK"
st_srv ok "$OK"

# --- one host, then a second one behind it, for each stage ------------------
# stage_case TAG PORT OPTIONS...: start a fault server and route
# one-TAG.test to it alone, two-TAG.test to it and then to $OK.
: >"$W/map"
stage_case() {
	tag=$1 port=$2
	shift 2
	st_srv "$tag" "$F:$port" "$@"
	{
		echo "one-$tag.test $F:$port"
		echo "two-$tag.test $F:$port \$priority:1"
		echo "two-$tag.test $OK \$priority:2"
	} >>"$W/map"
}
stage_case g4 25510 --reply 'greeting=421 4.3.2 Service shutting down'
stage_case g5 25511 --reply 'greeting=554 5.3.2 No SMTP service here'
stage_case e4 25512 --reply 'ehlo=451 4.3.0 Try EHLO later'
stage_case e5 25513 --reply 'ehlo=550 5.5.0 No' --reply 'helo=550 5.7.1 Go away'
stage_case m4 25514 --reply 'mail=451 4.3.0 Sender check later'
stage_case m5 25515 --reply 'mail=553 5.7.1 Sender refused'
stage_case r4 25516 --reply 'rcpt=450 4.2.1 Mailbox busy'
stage_case r5 25517 --reply 'rcpt=550 5.1.1 No such user'
stage_case d4 25518 --reply 'data=451 4.3.0 Not now'
stage_case d5 25519 --reply 'data=554 5.6.0 Content refused'
stage_case o4 25520 --reply 'eod=452 4.3.1 Insufficient system storage'
stage_case o5 25521 --reply 'eod=554 5.7.1 Message rejected as spam'
{
	echo "one-s4.test $F:25522"
	echo "two-s4.test $F:25522 \$priority:1"
	echo "two-s4.test $SINK \$priority:2"
	echo "one-s5.test $F:25523"
	echo "two-s5.test $F:25523 \$priority:1"
	echo "two-s5.test $SINK \$priority:2"
} >>"$W/map"
st_sink s4 "$F:25522" -Q CONNECT
st_sink s5 "$F:25523" -f CONNECT
chmod 600 "$W/map"
fx_conf "$W/conf"

# host_of DOMAIN: the ERE of the first host the map gives DOMAIN
host_of() {
	re_peer "$(awk -v d="$1" '$1 == d { print $2; exit }' "$W/map")"
}
# one TAG RC ERE WHAT: one host; exit RC, stderr /ERE/, the log line
# names the host as relay and says WHAT (dsn=..., status=...)
one() {
	fx_deliver "$W/one-$1" "$W/msg" -f a@src.test -q "ONE$1" -- \
	    "u@one-$1.test"
	fx_check "one host, $1" "$W/one-$1" "$2" "$3"
	fx_log "one host, $1: log" "$W/one-$1" \
	    "ONE$1: to=<u@one-$1.test>, relay=$(host_of "one-$1.test"), delay=[0-9.]+, dsn=$4"
}
# two TAG RC [ERE]: the first host fails, then $OK (or $SINK); the log
# names the host that took it, or the first that refused it for good
two() {
	fx_deliver "$W/two-$1" "$W/msg" -f a@src.test -q "TWO$1" -- \
	    "u@two-$1.test"
	fx_check "two hosts, $1" "$W/two-$1" "$2" "${3:-}"
	if [ "$2" = 0 ]; then
		fx_log "two hosts, $1: log" "$W/two-$1" \
		    "TWO$1: to=<u@two-$1.test>, relay=($(re_peer "$OK")|$(re_peer "$SINK")), .*dsn=2\.0\.0, status=sent \(250 "
	else
		fx_log "two hosts, $1: log" "$W/two-$1" \
		    "TWO$1: to=<u@two-$1.test>, relay=$(host_of "two-$1.test"), .*dsn=5\.[0-9.]+, status=bounced"
	fi
}
# at_ok TAG N: $OK got N messages for u@two-TAG.test
at_ok() {
	st_eq "two hosts, $1: $2 message(s) at the second host" \
	    "$(fx_msgs "$W/ok" "^rcpt: TO:<u@two-$1.test> 250\$")" "$2"
}

T=$(re_peer "$F:25510")
one g4 75 "4\.3\.2 $T refused to talk to me: 421 4\.3\.2 Service shutting down" \
    '4\.3\.2, status=deferred'
two g4 0
at_ok g4 1

T=$(re_peer "$F:25511")
one g5 75 "4\.3\.2 $T refused to talk to me: 554 5\.3\.2 No SMTP service here" \
    '4\.3\.2, status=deferred'
two g5 0
at_ok g5 1

T=$(re_peer "$F:25522")
one s4 75 "4\.0\.0 $T refused to talk to me: 421 4\.0\.0 .*" '4\.0\.0, status=deferred'
two s4 0
st_eq "two hosts, s4: smtp-sink behind got it" \
    "$(fx_sink_msgs "$W/sink" u@two-s4.test)" 1

T=$(re_peer "$F:25523")
one s5 75 "4\.3\.0 $T refused to talk to me: 500 5\.3\.0 .*" '4\.3\.0, status=deferred'
two s5 0
st_eq "two hosts, s5: smtp-sink behind got it" \
    "$(fx_sink_msgs "$W/sink" u@two-s5.test)" 1

T=$(re_peer "$F:25512")
one e4 75 "4\.3\.0 $T said: 451 4\.3\.0 Try EHLO later \(in reply to EHLO command\)" \
    '4\.3\.0, status=deferred'
two e4 0
at_ok e4 1

T=$(re_peer "$F:25513")
one e5 75 "4\.7\.1 $T said: 550 5\.7\.1 Go away \(in reply to HELO command\)" \
    '4\.7\.1, status=deferred'
st_grep "one host, e5: HELO after the refused EHLO" ' in HELO client\.test$' \
    "$W/e5/commands.log"
two e5 0
at_ok e5 1

T=$(re_peer "$F:25514")
one m4 75 "4\.3\.0 $T said: 451 4\.3\.0 Sender check later \(in reply to MAIL FROM command\)" \
    '4\.3\.0, status=deferred'
two m4 0
at_ok m4 1

T=$(re_peer "$F:25515")
one m5 69 "5\.7\.1 $T said: 553 5\.7\.1 Sender refused \(in reply to MAIL FROM command\)" \
    '5\.7\.1, status=bounced'
two m5 69 "5\.7\.1 $T said: 553 5\.7\.1 Sender refused \(in reply to MAIL FROM command\)"
at_ok m5 0

T=$(re_peer "$F:25516")
one r4 75 "4\.2\.1 $T said: 450 4\.2\.1 Mailbox busy \(in reply to RCPT TO command\)" \
    '4\.2\.1, status=deferred'
two r4 0
at_ok r4 1

T=$(re_peer "$F:25517")
one r5 67 "5\.1\.1 $T said: 550 5\.1\.1 No such user \(in reply to RCPT TO command\)" \
    '5\.1\.1, status=bounced'
two r5 67 "5\.1\.1 $T said: 550 5\.1\.1 No such user \(in reply to RCPT TO command\)"
at_ok r5 0
st_eq "one host, r5: no message after the only RCPT was refused" \
    "$(fx_msgs "$W/r5" .)" 0

T=$(re_peer "$F:25518")
one d4 75 "4\.3\.0 $T said: 451 4\.3\.0 Not now \(in reply to DATA command\)" \
    '4\.3\.0, status=deferred'
two d4 0
at_ok d4 1

T=$(re_peer "$F:25519")
one d5 69 "5\.6\.0 $T said: 554 5\.6\.0 Content refused \(in reply to DATA command\)" \
    '5\.6\.0, status=bounced'
two d5 69 "5\.6\.0 $T said: 554 5\.6\.0 Content refused \(in reply to DATA command\)"
at_ok d5 0

T=$(re_peer "$F:25520")
one o4 75 "4\.3\.1 $T said: 452 4\.3\.1 Insufficient system storage \(in reply to end of DATA command\)" \
    '4\.3\.1, status=deferred'
two o4 0
at_ok o4 1
st_cmp "two hosts, o4: the second host got the exact message" \
    "$(find "$W/ok" -name 'msg-*.eml' | sort | tail -n 1)" "$W/msg.eml"

T=$(re_peer "$F:25521")
one o5 69 "5\.7\.1 $T said: 554 5\.7\.1 Message rejected as spam \(in reply to end of DATA command\)" \
    '5\.7\.1, status=bounced'
two o5 69 "5\.7\.1 $T said: 554 5\.7\.1 Message rejected as spam \(in reply to end of DATA command\)"
at_ok o5 0

for tag in g4 g5 e4 e5 m4 m5 r4 r5 d4 d5 o4 o5; do
	st_eq "stage $tag: the failing server accepted no message" \
	    "$(fx_msgs "$W/$tag" '^result: 2')" 0
done
st_eq "stage o4: the failing server was sent the data twice" \
    "$(fx_msgs "$W/o4" '^result: 452 ')" 2

# --- exit statuses from the recipients' mix --------------------------------
MIX=$F:25530
st_srv mix "$MIX" \
    --rcpt 'nouser*=550 5.1.1 <nouser>: Recipient address rejected: User unknown' \
    --rcpt 'nohost*=550 5.1.2 <nohost>: Bad destination system address' \
    --rcpt 'nullmx*=556 5.1.10 <nullmx>: Domain does not accept mail' \
    --rcpt 'policy*=554 5.7.1 <policy>: Relay access denied' \
    --rcpt 'later*=451 4.3.0 <later>: Try again later'
echo "mix.test $MIX" >>"$W/map"
T=$(re_peer "$MIX")
# mix TAG RC ERE RCPT...: deliver to RCPT@mix.test...
mix() {
	tag=$1 rc=$2 ere=$3
	shift 3
	rcpts=""
	for r in "$@"; do
		rcpts="$rcpts $r@mix.test"
	done
	# shellcheck disable=SC2086 # one word per recipient
	fx_deliver "$W/mix-$tag" "$W/msg" -f a@src.test -q "MIX$tag" -- $rcpts
	fx_check "mix $tag" "$W/mix-$tag" "$rc" "$ere"
}
mix sent 0 "" good1 good2
st_eq "mix sent: one transaction for both" \
    "$(fx_msgs "$W/mix" '^rcpt: TO:<good2@mix.test> 250$')" 1
fx_log "mix sent: log of good1" "$W/mix-sent" \
    "MIXsent: to=<good1@mix.test>, relay=$T, delay=[0-9.]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9]+\)"
mix 67 67 "5\.1\.1 $T said: 550 5\.1\.1 <nouser>: Recipient address rejected: User unknown \(in reply to RCPT TO command\)" \
    good3 nouser1
st_eq "mix 67: the other recipient got it" \
    "$(fx_msgs "$W/mix" '^rcpt: TO:<good3@mix.test> 250$')" 1
fx_log "mix 67: log of the unknown user" "$W/mix-67" \
    "MIX67: to=<nouser1@mix.test>, relay=$T, .*dsn=5\.1\.1, status=bounced \($T said: 550 5\.1\.1 "
mix 68 68 "5\.1\.2 $T said: 550 5\.1\.2 <nohost>: Bad destination system address \(in reply to RCPT TO command\)" \
    nohost1
mix 68b 68 "5\.1\.10 $T said: 556 5\.1\.10 .*" nullmx1 nohost2
mix 69 69 "5\.7\.1 $T said: 554 5\.7\.1 <policy>: Relay access denied \(in reply to RCPT TO command\)" \
    nouser2 policy1
mix 69b 69 "5\.1\.1 .*" nouser3 nohost3
mix 75 75 "4\.3\.0 $T said: 451 4\.3\.0 <later>: Try again later \(in reply to RCPT TO command\)" \
    policy2 later1 good4
st_eq "mix 75: the accepted recipient got it" \
    "$(fx_msgs "$W/mix" '^rcpt: TO:<good4@mix.test> 250$')" 1
fx_log "mix 75: bounced one logged bounced" "$W/mix-75" \
    'MIX75: to=<policy2@mix.test>, .*dsn=5\.7\.1, status=bounced'
fx_log "mix 75: deferred one logged deferred" "$W/mix-75" \
    'MIX75: to=<later1@mix.test>, .*dsn=4\.3\.0, status=deferred'

# A 4xx to one RCPT sends that recipient to the next host; the others
# stay with the first.
{
	echo "part.test $MIX \$priority:1"
	echo "part.test $OK \$priority:2"
} >>"$W/map"
fx_deliver "$W/part" "$W/msg" -f a@src.test -q PART -- good@part.test \
    later@part.test
fx_check "4xx to one RCPT" "$W/part" 0
st_eq "4xx to one RCPT: the first host took the other" \
    "$(fx_msgs "$W/mix" '^rcpt: TO:<good@part.test> 250$')" 1
st_eq "4xx to one RCPT: the second host took it, alone" \
    "$(fx_msgs "$W/ok" '^rcpt: TO:<later@part.test> 250$')/$(fx_msgs "$W/ok" 'good@part')" \
    1/0

# --- our own mistakes: 75 with 4.3.5, never 64 or 78, nothing sent --------
before=$(fx_conns "$W/ok")
echo "mine.test $OK" >>"$W/map"
mine() { # mine WHAT ERE ARGS...
	what=$1 ere=$2
	shift 2
	fx_deliver "$W/mine" "$W/msg" "$@"
	fx_check "$what" "$W/mine" 75 "$ere"
}
mine "unknown option" '4\.3\.5 bad option -x; usage: smtpdirect deliver .*' \
    -x -f a@src.test -- u@mine.test
mine "bad retry count" '4\.3\.5 bad retry count "many"' \
    -r many -f a@src.test -- u@mine.test
mine "no recipient" '4\.3\.5 no recipients given' -f a@src.test --
printf 'dns_overrides = %s\nmax_concurrent = lots\n' "$W/map" >"$W/conf.bad"
FX_CONF=$W/conf.bad mine "bad config value" \
    "4\.3\.5 bad configuration: $(fx_esc "$W")/conf\.bad:2:[0-9]+: error: .*" \
    -f a@src.test -- u@mine.test
fx_conf "$W/conf.state" "state_dir = /dev/null/state"
FX_CONF=$W/conf.state mine "state_dir impossible" \
    '4\.3\.0 cannot (create|use) state_dir /dev/null/state: Not a directory' -f a@src.test -- \
    u@mine.test
st_eq "our own mistakes: no connection made" "$(fx_conns "$W/ok")" "$before"

# --- failover in priority order ---------------------------------------------
# Map order is not priority order; the lowest priority first.
st_srv p10 "$F:25541" --reply 'mail=451 4.3.0 Not from you, not now'
st_srv p20 "$F:25542" --reply 'greeting=421 4.3.2 Busy'
st_srv p30 "$F:25540"
{
	echo "prio.test $F:25540 \$priority:30"
	echo "prio.test $DOWN \$priority:5"
	echo "prio.test $F:25541 \$priority:10"
	echo "prio.test $F:25542 \$priority:20"
	echo "down.test $DOWN"
} >>"$W/map"
fx_deliver "$W/prio" "$W/msg" -f a@src.test -q PRIO -- u@prio.test
fx_check "priority order" "$W/prio" 0
first() { awk '$3 == "connect" { print $1; exit }' "$W/$1/commands.log"; }
st_eq "priority order: 10 before 20 before 30" \
    "$(awk -v a="$(first p10)" -v b="$(first p20)" -v c="$(first p30)" \
	'BEGIN { print (a < b && b < c) ? "yes" : a " " b " " c }')" yes
st_eq "priority order: the last one got the message" \
    "$(fx_msgs "$W/p30" '^rcpt: TO:<u@prio.test> 250$')" 1
st_cmp "priority order: exact bytes" "$W/p30/msg-0001.eml" "$W/msg.eml"
fx_log "priority order: log names the host that took it" "$W/prio" \
    "PRIO: to=<u@prio.test>, relay=$(re_peer "$F:25540"), .*status=sent"

fx_deliver "$W/down" "$W/msg" -f a@src.test -q DOWN -- u@down.test
fx_check "connection refused" "$W/down" 75 \
    "4\.4\.1 connect to $(re_peer "$DOWN"): Connection refused"
fx_log "connection refused: log" "$W/down" \
    'DOWN: to=<u@down.test>, relay=none, .*dsn=4\.4\.1, status=deferred \(connect to '

# --- multi-line, split, garbled and overlong replies ---------------------------
# reply_case TAG PORT RC ERE LOGDSN OPTIONS...: one host; for RC 75 also
# the same with $OK behind it, which must then get the message.
reply_case() {
	tag=$1 port=$2 rc=$3 ere=$4 logdsn=$5
	shift 5
	st_srv "$tag" "$F:$port" "$@"
	{
		echo "one-$tag.test $F:$port"
		echo "two-$tag.test $F:$port \$priority:1"
		echo "two-$tag.test $OK \$priority:2"
	} >>"$W/map"
	one "$tag" "$rc" "$ere" "$logdsn"
	[ "$rc" = 75 ] || return 0
	two "$tag" 0
	at_ok "$tag" 1
}
reply_case ml 25550 0 "" '2\.0\.0, status=sent \(250 first line second line Ok: queued as [0-9]+\)' \
    --multiline
st_cmp "multi-line: exact bytes" "$W/ml/msg-0001.eml" "$W/msg.eml"
reply_case sp 25551 0 "" '2\.0\.0, status=sent' --split --multiline
st_cmp "split: exact bytes" "$W/sp/msg-0001.eml" "$W/msg.eml"
reply_case ml4 25552 75 \
    "4\.2\.0 $(re_peer "$F:25552") said: 450 4\.2\.0 first line second line \(in reply to RCPT TO command\)" \
    '4\.2\.0, status=deferred' \
    --split --reply 'rcpt=450 4.2.0 first line|450 4.2.0 second line'
fport=25560
for stage in greeting ehlo mail rcpt data eod; do
	reply_case "ga$stage" $fport 75 \
	    "4\.5\.0 $(re_peer "$F:$fport") sent a bad reply while .*: malformed reply: \"\?garbage \?\? not SMTP at all\"" \
	    '4\.5\.0, status=deferred' --garbage "$stage"
	fport=$((fport + 1))
	reply_case "ol$stage" $fport 75 \
	    "4\.5\.0 $(re_peer "$F:$fport") sent a bad reply while .*: reply line too long: \"250 x{20,}\.\.\.\"" \
	    '4\.5\.0, status=deferred' --overlong "$stage"
	fport=$((fport + 1))
done

st_done
