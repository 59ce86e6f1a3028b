#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 56-deliver-state: `smtpdirect deliver` faults that involve the message,
# the state and time: a connection dropped mid-DATA (the next host gets
# the exact message), retry state after a partial success (no duplicate,
# and a reused queue id with another message is still delivered),
# $retries switching the route, the exact $size boundary, the
# deliver_time_limit deadline, the max_concurrent cap under load, and
# CR/LF in envelope addresses. Servers: t/lib/smtpserver.py and Postfix's
# smtp-sink, through override routes with address-literal targets.
# Loopback 127.0.5.4, ports 25580-25598 (55-deliver-faults.sh uses the
# rest of 127.0.5.0/24 and 25500-25599).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 56-state
R=$W/runs # outputs of the runs
mkdir "$R"

A=127.0.5.4 # every server of this script, one port each
re_peer() { fx_re_peer "$A" "$1"; }
: >"$W/map"
chmod 600 "$W/map"
fx_conf "$W/conf"

# A message of about 250 kB: LF line ends, X-SMTPDirect-* fields (one folded) to
# be removed, lines starting with dots, a long line, 8-bit bytes.
awk 'BEGIN {
	print "From: a@src.test"
	print "X-SMTPDirect-Route: big@x.test via relay"
	print "\tfolded route"
	print "Subject: big"
	print "x-smtpdirect-transport: smtpdirect"
	print ""
	for (i = 0; i < 4000; i++) {
		if (i % 50 == 0) print "." i " dot line"
		else if (i == 1234) { s = ""; for (j = 0; j < 2000; j++) s = s "y"; print s }
		else printf "line %05d caf\303\251 0123456789 abcdefghijklmnopqrstuvwxyz\n", i
	}
	print "."
	print "last line" }' >"$W/big"
fx_wire "$W/big" "$W/big.eml"
printf 'From: a@src.test\nSubject: small\n\nbody\n' >"$W/msg"
fx_wire "$W/msg" "$W/msg.eml"

# --- a connection dropped mid-DATA -----------------------------------------
st_srv drop "$A:25580" --drop body --drop-after 100000
st_srv after "$A:25581"
{
	echo "drop.test $A:25580 \$priority:1"
	echo "drop.test $A:25581 \$priority:2"
	echo "drop1.test $A:25580"
} >>"$W/map"
fx_deliver "$R/drop" "$W/big" -f a@src.test -q DROP -- u@drop.test v@drop.test
fx_check "drop mid-DATA: the second host" "$R/drop" 0
st_cmp "drop mid-DATA: the second host got the exact message" \
    "$W/after/msg-0001.eml" "$W/big.eml"
st_eq "drop mid-DATA: one transaction for both recipients" \
    "$(fx_msgs "$W/after" '^rcpt: TO:<v@drop.test> 250$')" 1
dropped=$(wc -c <"$W/drop/msg-0001.data")
if [ "$dropped" -ge 100000 ] && [ "$dropped" -lt "$(wc -c <"$W/big.eml")" ]
then
	st_ok "drop mid-DATA: the first host got part of it ($dropped bytes)"
else
	st_not_ok "drop mid-DATA: the first host got $dropped bytes"
fi
fx_log "drop mid-DATA: log names the second host" "$R/drop" \
    "DROP: to=<u@drop.test>, relay=$(re_peer 25581), .*dsn=2\.0\.0, status=sent"
fx_deliver "$R/drop1" "$W/big" -f a@src.test -q DROP1 -- u@drop1.test
fx_check "drop mid-DATA, one host" "$R/drop1" 75 \
    "4\.4\.2 lost connection with $(re_peer 25580) while sending (message body|end of data).*"
fx_log "drop mid-DATA, one host: log" "$R/drop1" \
    'DROP1: to=<u@drop1.test>, .*dsn=4\.4\.2, status=deferred \(lost connection'

# --- retry state after a partial success -----------------------------------
# Three recipients; the server defers two, then one, then none. Each
# retry sends only to those still owed, so nobody gets the message twice.
st_srv part1 "$A:25582" --rcpt 'soft*=451 4.3.0 <soft>: Try again later' \
    --rcpt 'late*=451 4.3.0 <late>: Try again later'
echo "part.test $A:25582" >>"$W/map"
fx_deliver "$R/part1" "$W/msg" -f a@src.test -q PARTQ -- good@part.test \
    soft@part.test late@part.test
fx_check "partial: first attempt" "$R/part1" 75 \
    "4\.3\.0 $(re_peer 25582) said: 451 4\.3\.0 <soft>: Try again later \(in reply to RCPT TO command\)"
st_eq "partial: the accepted recipient got it" \
    "$(fx_msgs "$W/part1" '^rcpt: TO:<good@part.test> 250$')" 1
fx_log "partial: log of the delivered one" "$R/part1" \
    "PARTQ: to=<good@part.test>, relay=$(re_peer 25582), .*status=sent"
fx_log "partial: log of the deferred one" "$R/part1" \
    "PARTQ: to=<soft@part.test>, relay=$(re_peer 25582), .*dsn=4\.3\.0, status=deferred .*<soft>: Try again"
fx_log "partial: ... and of the other, with its own reply" "$R/part1" \
    "PARTQ: to=<late@part.test>, relay=$(re_peer 25582), .*dsn=4\.3\.0, status=deferred .*<late>: Try again"
# The server accepts soft@ now, not yet late@; the MTA retries the same
# queue id with every recipient (pipe(8) gives one status for all).
st_stop part1
st_srv part2 "$A:25582" --rcpt 'late*=451 4.3.0 <late>: Try again later'
fx_deliver "$R/part2" "$W/msg" -f a@src.test -q PARTQ -- good@part.test \
    soft@part.test late@part.test
fx_check "partial: the first retry" "$R/part2" 75 \
    "4\.3\.0 $(re_peer 25582) said: 451 4\.3\.0 <late>: Try again later \(in reply to RCPT TO command\)"
st_eq "partial: the first retry sent one message" "$(fx_msgs "$W/part2" .)" 1
st_eq "partial: ... to soft@ (and tried late@), not good@" \
    "$(fx_msgs "$W/part2" '^rcpt: TO:<soft@part.test> 250$'):$(fx_msgs "$W/part2" 'late@'):$(fx_msgs "$W/part2" 'good@')" \
    1:1:0
fx_log "partial: the retry logs the earlier delivery" "$R/part2" \
    'PARTQ: to=<good@part.test>, relay=none, .*dsn=2\.0\.0, status=sent \(already delivered in an earlier attempt\)'
st_stop part2
st_srv part3 "$A:25582"
fx_deliver "$R/part3" "$W/msg" -f a@src.test -q PARTQ -- good@part.test \
    soft@part.test late@part.test
fx_check "partial: the second retry" "$R/part3" 0
st_eq "partial: the second retry sent one message to late@ only" \
    "$(fx_msgs "$W/part3" .):$(fx_msgs "$W/part3" '^rcpt: TO:<late@part.test> 250$'):$(fx_msgs "$W/part3" 'good@|soft@')" \
    1:1:0
fx_log "partial: the second retry logs both earlier deliveries" "$R/part3" \
    'PARTQ: to=<soft@part.test>, relay=none, .*status=sent \(already delivered in an earlier attempt\)'

# Postfix reuses short queue ids: another message under PARTQ, whose
# recipients PARTQ's marks name, is delivered all the same.
printf 'Subject: another message, same queue id\n\nbody\n' >"$W/msg-other"
fx_deliver "$R/reuse" "$W/msg-other" -f a@src.test -q PARTQ -- good@part.test
fx_check "reused queue id: another message is delivered" "$R/reuse" 0
st_eq "reused queue id: the server got it" \
    "$(fx_msgs "$W/part3" '^rcpt: TO:<good@part.test> 250$')" 1

# --- $retries switches the route on attempt N+1 ------------------------------
st_srv rt1 "$A:25583" --reply 'mail=451 4.3.0 Greylisted, try later'
st_srv rt2 "$A:25584"
{
	echo "rt.test $A:25583 \$retries<2"
	echo "rt.test $A:25584 \$retries>=2"
} >>"$W/map"
k=1
while [ $k -le 3 ]; do
	fx_deliver "$R/rt$k" "$W/msg" -f a@src.test -q RTQ -- u@rt.test
	k=$((k + 1))
done
fx_check "retries: attempt 1" "$R/rt1" 75 "4\.3\.0 $(re_peer 25583) said: 451 .*"
fx_check "retries: attempt 2" "$R/rt2" 75 "4\.3\.0 $(re_peer 25583) said: 451 .*"
fx_check "retries: attempt 3 takes the \$retries>=2 route" "$R/rt3" 0
st_eq "retries: the first route saw two attempts" "$(fx_conns "$W/rt1")" 2
st_eq "retries: the second route got the message" \
    "$(fx_msgs "$W/rt2" '^rcpt: TO:<u@rt.test> 250$')" 1
fx_log "retries: log of attempt 3" "$R/rt3" \
    "RTQ: to=<u@rt.test>, relay=$(re_peer 25584), .*status=sent"

# --- the exact $size boundary (bytes as sent: CRLF, fields removed) ------------
st_srv szbig "$A:25585"
st_sink szsmall "$A:25586"
{
	echo "size.test $A:25585 \$size>=2K \$end"
	echo "size.test $A:25586"
} >>"$W/map"
# size_msg FILE BYTES: a message whose wire form has exactly BYTES bytes
size_msg() {
	printf 'From: a@src.test\nX-SMTPDirect-Route: s@size.test\nSubject: size\n\n' >"$1"
	have=$(fx_wire "$1" /dev/stdout | wc -c)
	pad=$(($2 - have - 2))
	head -c "$pad" /dev/zero | tr '\0' z >>"$1"
	echo >>"$1"
}
size_msg "$W/s2048" 2048
size_msg "$W/s2047" 2047
fx_wire "$W/s2048" "$W/s2048.eml"
st_eq "size: the wire form is 2048 bytes" "$(wc -c <"$W/s2048.eml" | tr -d ' ')" 2048
fx_deliver "$R/size1" "$W/s2048" -f a@src.test -q SIZE1 -- u@size.test
fx_check "size: 2048 bytes" "$R/size1" 0
st_eq "size: 2048 bytes match \$size>=2K" \
    "$(fx_msgs "$W/szbig" '^mail: FROM:<a@src.test> SIZE=2048$')" 1
st_cmp "size: exact bytes" "$W/szbig/msg-0001.eml" "$W/s2048.eml"
fx_deliver "$R/size2" "$W/s2047" -f a@src.test -q SIZE2 -- v@size.test
fx_check "size: 2047 bytes" "$R/size2" 0
st_eq "size: 2047 bytes do not" "$(fx_sink_msgs "$W/szsmall" v@size.test)" 1

# A server whose SIZE limit is below the message: 5.3.4 before MAIL, as
# Postfix bounces it; the next host is not tried.
st_srv szlimit "$A:25594" --size 2047
{
	echo "szlimit.test $A:25594 \$priority:1"
	echo "szlimit.test $A:25586 \$priority:2"
} >>"$W/map"
fx_deliver "$R/szlimit" "$W/s2048" -f a@src.test -q SZLIMIT -- u@szlimit.test
fx_check "size: over the server's SIZE" "$R/szlimit" 69 \
    "5\.3\.4 message size 2048 exceeds size limit 2047 of server $(re_peer 25594)"
fx_log "size: over the server's SIZE, log" "$R/szlimit" \
    "SZLIMIT: to=<u@szlimit.test>, relay=$(re_peer 25594), .*dsn=5\.3\.4, status=bounced"
st_nogrep "size: over the server's SIZE, no MAIL" ' in MAIL' \
    "$W/szlimit/commands.log"
st_eq "size: over the server's SIZE, next host not tried" \
    "$(fx_sink_msgs "$W/szsmall" u@szlimit.test)" 0

# --- the deadline: deliver_time_limit = 3s ----------------------------------
fx_conf "$W/conf.dl" "deliver_time_limit = 3s
command_timeout = 60s
data_timeout = 60s"
# dl_run TAG ERE: deliver to u@TAG.test with the 3 s limit; exit 75 (so
# not killed: timeout(1) would make it 124), stderr /ERE/, given up
# between 2.5 s and 15 s (the server waits 30 s, command_timeout is 60 s)
dl_run() {
	t0=$(st_now_ms)
	FX_CONF=$W/conf.dl FX_TIMEOUT=40 fx_deliver "$R/$1" "$W/msg" \
	    -f a@src.test -q "$1" -- "u@$1.test"
	t1=$(st_now_ms)
	fx_check "deadline, $1" "$R/$1" 75 "$2"
	ms=$((t1 - t0))
	if [ "$ms" -ge 2500 ] && [ "$ms" -lt 15000 ]; then
		st_ok "deadline, $1: gave up after $ms ms"
	else
		st_not_ok "deadline, $1: took $ms ms, want about 3000"
	fi
	fx_log "deadline, $1: log" "$R/$1" \
	    "$1: to=<u@$1.test>, .*dsn=4\.4\.7, status=deferred"
}
# deadline TAG PORT ERE OPTIONS...: one server delaying a stage by 30 s
deadline() {
	tag=$1 port=$2 ere=$3
	shift 3
	st_srv "$tag" "$A:$port" "$@"
	echo "$tag.test $A:$port" >>"$W/map"
	dl_run "$tag" "$ere"
}
deadline dlgreet 25587 \
    "4\.4\.7 .*$(re_peer 25587).*receiving the initial server greeting.*" \
    --delay greeting=30
deadline dlrcpt 25588 "4\.4\.7 .*$(re_peer 25588).*RCPT TO.*" --delay rcpt=30
deadline dleod 25589 "4\.4\.7 .*$(re_peer 25589).*end of data.*" --delay eod=30
# Past the deadline no further host is tried.
st_srv dlnext "$A:25590"
echo "dlnext.test $A:25587 \$priority:1" >>"$W/map"
echo "dlnext.test $A:25590 \$priority:2" >>"$W/map"
dl_run dlnext "4\.4\.7 deliver_time_limit reached before $(re_peer 25590) could be tried"
st_eq "deadline: the next host was not tried" "$(fx_conns "$W/dlnext")" 0

# --- max_concurrent = 2 under load ------------------------------------------
st_srv cap "$A:25592" --delay eod=1
echo "cap.test $A:25592" >>"$W/map"
fx_conf "$W/conf.cap" "max_concurrent = 2
deliver_time_limit = 12s"
k=1
pids=""
while [ $k -le 8 ]; do
	FX_TIMEOUT=60 fx_run -c "$W/conf.cap" -f a@src.test -q "CAP$k" -- \
	    "u$k@cap.test" <"$W/msg" >"$R/cap$k" 2>"$R/cap$k.err" &
	pids="$pids $!"
	k=$((k + 1))
done
k=1
for p in $pids; do
	rc=0
	wait "$p" || rc=$?
	echo "$rc" >"$R/cap$k.rc"
	k=$((k + 1))
done
sent=0 deferred=0 other=0
k=1
while [ $k -le 8 ]; do
	case $(cat "$R/cap$k.rc") in
	0) sent=$((sent + 1)) ;;
	75) if grep -Eq '^4\.3\.2 too many concurrent deliveries' "$R/cap$k.err"; then
		deferred=$((deferred + 1))
	else
		other=$((other + 1))
		sed "s/^/#   cap$k: /" "$R/cap$k.err"
	fi ;;
	*) other=$((other + 1)) ;;
	esac
	st_eq "cap: u$k delivered once or not at all" \
	    "$(fx_msgs "$W/cap" "^rcpt: TO:<u$k@cap.test> 250\$")" \
	    "$([ "$(cat "$R/cap$k.rc")" = 0 ] && echo 1 || echo 0)"
	k=$((k + 1))
done
st_eq "cap: every run delivered or deferred with 4.3.2" \
    "$sent+$deferred+$other" "$sent+$deferred+0"
if [ "$sent" -ge 1 ]; then
	st_ok "cap: $sent delivered, $deferred deferred"
else
	st_not_ok "cap: nothing delivered"
fi
maxconn=$(cat "$W/cap/maxconn" 2>/dev/null || echo 0)
if [ "$maxconn" -ge 1 ] && [ "$maxconn" -le 2 ]; then
	st_ok "cap: at most 2 connections at once ($maxconn)"
else
	st_not_ok "cap: $maxconn connections at once, want 1..2"
fi
if [ "$fx_log_ok" = yes ]; then
	fx_mark cap-end
	st_eq "cap: one status=sent log line per delivered run" \
	    "$(grep -Ec 'CAP[0-9]: to=<u[0-9]@cap\.test>, .*status=sent' "$W/maillog")" \
	    "$sent"
	st_eq "cap: one status=deferred log line per run deferred for a slot" \
	    "$(grep -Ec 'CAP[0-9]: to=<u[0-9]@cap\.test>, relay=none, .*dsn=4\.3\.2, status=deferred \(too many concurrent' "$W/maillog" || true)" \
	    "$deferred"
fi

# --- CR and LF in envelope addresses: 75, nothing sent -------------------------
st_srv crlf "$A:25593"
echo "crlf.test $A:25593" >>"$W/map"
crlf() { # crlf WHAT ERE ARGS...
	what=$1 ere=$2
	shift 2
	fx_deliver "$R/crlf" "$W/msg" "$@"
	fx_check "$what" "$R/crlf" 75 "$ere"
	fx_log "$what: logged as one cleaned line" "$R/crlf" \
	    "warning: deferred: $ere"
	st_nogrep "$what: no raw line end in the log" '^[^<]' "$R/crlf.log"
}
CR=$(printf '\r') LF='
'
crlf "LF in a recipient" '4\.1\.3 .*' -f a@src.test -- "u@crlf.test${LF}RCPT TO:<v@crlf.test>"
crlf "CR in a recipient" '4\.1\.3 .*' -f a@src.test -- "u${CR}@crlf.test"
crlf "CRLF in the sender" '4\.1\.7 .*' -f "a@src.test${CR}${LF}RSET" -- u@crlf.test
crlf "LF in the sender" '4\.1\.7 .*' -f "a${LF}@src.test" -- u@crlf.test
crlf "a good and a bad recipient" '4\.1\.3 .*' -f a@src.test -- \
    good@crlf.test "b${LF}ad@crlf.test"
st_eq "CR, LF: nothing sent, no connection" "$(fx_conns "$W/crlf")" 0

st_done
