#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 43-chunking: BDAT (RFC 3030) against t/lib/smtpserver.py --chunking,
# with its faults. The message arrives byte for byte as with DATA, not
# dot-stuffed (lines that start with a dot, no newline at the end, a
# message of several pieces); smtp_chunking = no sends DATA; without
# PIPELINING one piece at a time. A refused piece: no last piece is
# sent, the server's other replies are read, the transaction is reset,
# and the reply is judged as one to the end of data (4xx: the next host
# gets the whole message; 5xx: bounced); so is a refused last piece. A
# connection lost mid-message: the next host. The end of data of BDAT
# for a caller that is gone is 59-deliver-caller's; Postfix and Exim
# as receivers are 43-chunking-mta's. Loopback 127.0.26.5, ports
# 28060-28079.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 43-chunking
R=$W/runs
mkdir "$R"
A=127.0.26.5
re_peer() { fx_re_peer "$A" "$1"; }
: >"$W/map"
chmod 600 "$W/map"
fx_conf "$W/conf" "session_cache_time = 0s
worker_idle_time = 0s"
fx_conf "$W/conf.off" "session_cache_time = 0s
worker_idle_time = 0s
smtp_chunking = no"

# Dots at the start of lines (a lone one too), 8-bit bytes, no newline
# at the end: the wire form ends in CRLF all the same.
printf 'From: a@src.test\nSubject: dots\n\n.\n..\n.leading dot\nend \303\251\n.' \
    >"$W/dots"
fx_wire "$W/dots" "$W/dots.eml"
# About 900 kB: four pieces, the last one short.
awk 'BEGIN {
	print "From: a@src.test"
	print "Subject: big"
	print ""
	for (i = 0; i < 14000; i++) {
		if (i % 100 == 0) print "."
		else if (i % 7 == 0) printf ".%05d a line that starts with a dot\n", i
		else printf "line %05d 0123456789 abcdefghijklmnopqrstuvwxyz 0123456789\n", i
	}
	printf "no newline at the end" }' >"$W/big"
fx_wire "$W/big" "$W/big.eml"
big_size=$(wc -c <"$W/big.eml" | tr -d ' ')
pieces=$(((big_size + 262143) / 262144))

# --- the bytes, with BDAT and with DATA ----------------------------------------
st_srv chunk "$A:28060" --chunking
echo "chunk.test $A:28060" >>"$W/map"
fx_deliver "$R/dots" "$W/dots" -v -f a@src.test -q DOTS -- u@chunk.test
fx_check "BDAT: dots" "$R/dots" 0
st_cmp "BDAT: dots: the exact bytes, not dot-stuffed" \
    "$W/chunk/msg-0001.data" "$W/dots.eml"
st_eq "BDAT: dots: one piece, no DATA" \
    "$(fx_msgs "$W/chunk" '^bdat: 1$'):$(grep -c ' in DATA' "$W/chunk/commands.log" || true)" \
    1:0
fx_log "BDAT: dots: the last piece" "$R/dots" \
    "> BDAT $(wc -c <"$W/dots.eml" | tr -d ' ') LAST\$"
fx_deliver "$R/big" "$W/big" -v -f a@src.test -q BIG -- u@chunk.test
fx_check "BDAT: big" "$R/big" 0
st_cmp "BDAT: big: the exact bytes" "$W/chunk/msg-0002.data" "$W/big.eml"
st_eq "BDAT: big: $pieces pieces" "$(fx_msgs "$W/chunk" "^bdat: $pieces\$")" 1
fx_log "BDAT: big: pieces of 256 KiB" "$R/big" '> BDAT 262144$'
fx_log "BDAT: big: the last piece has the rest" "$R/big" \
    "> BDAT $((big_size % 262144)) LAST\$"
fx_log "BDAT: big: MAIL announces the exact SIZE" "$R/big" \
    "> MAIL FROM:<a@src.test> SIZE=$big_size BODY=8BITMIME\$|> MAIL FROM:<a@src.test> SIZE=$big_size\$"

FX_CONF=$W/conf.off fx_deliver "$R/off" "$W/big" -v -f a@src.test -q OFF \
    -- v@chunk.test
fx_check "smtp_chunking = no" "$R/off" 0
st_cmp "smtp_chunking = no: the same bytes with DATA" \
    "$W/chunk/msg-0003.eml" "$W/big.eml"
fx_log "smtp_chunking = no: DATA" "$R/off" '> DATA$'
st_eq "smtp_chunking = no: no BDAT" \
    "$(grep -c ' in BDAT' "$W/chunk/commands.log")" "$((1 + pieces))"

# Without PIPELINING: each piece waits for the reply to the one before.
st_srv nopipe "$A:28061" --chunking --no-pipelining
echo "nopipe.test $A:28061" >>"$W/map"
fx_deliver "$R/nopipe" "$W/big" -v -f a@src.test -q NOPIPE -- u@nopipe.test
fx_check "BDAT without PIPELINING" "$R/nopipe" 0
st_cmp "BDAT without PIPELINING: the exact bytes" \
    "$W/nopipe/msg-0001.data" "$W/big.eml"
# The server writes its replies only when no input waits: one flush per
# command (and one for the greeting) means the client sent no command
# before the last reply.
st_eq "BDAT without PIPELINING: a reply before each next command" \
    "$(grep -c ' flush ' "$W/nopipe/commands.log")" \
    "$(($(grep -c ' in ' "$W/nopipe/commands.log") + 1))"
st_srv pipe "$A:28062" --chunking
echo "pipe.test $A:28062" >>"$W/map"
fx_deliver "$R/pipe" "$W/big" -f a@src.test -q PIPE -- u@pipe.test
fx_check "BDAT with PIPELINING" "$R/pipe" 0
flushes=$(grep -c ' flush ' "$W/pipe/commands.log")
if [ "$flushes" -lt "$(grep -c ' in ' "$W/pipe/commands.log")" ]; then
	st_ok "BDAT with PIPELINING: pieces sent before replies ($flushes flushes)"
else
	st_not_ok "BDAT with PIPELINING: $flushes flushes"
fi

# --- a refused piece --------------------------------------------------------------
# 452 to the second piece: nothing more of the message, the session
# ends with QUIT; the next host gets it whole.
st_srv r452 "$A:28063" --chunking --bdat-refuse '2=452 4.3.1 out of space'
st_srv after "$A:28064" --chunking
{
	echo "r452.test $A:28063 \$priority:1"
	echo "r452.test $A:28064 \$priority:2"
} >>"$W/map"
fx_deliver "$R/r452" "$W/big" -v -f a@src.test -q R452 -- u@r452.test
fx_check "452 to a piece: the next host" "$R/r452" 0
st_eq "452 to a piece: the first host accepted nothing" \
    "$(fx_msgs "$W/r452" '^result: 2')" 0
st_nogrep "452 to a piece: no last piece sent" ' in BDAT [0-9]* LAST' \
    "$W/r452/commands.log"
st_cmp "452 to a piece: the next host got the exact bytes" \
    "$W/after/msg-0001.data" "$W/big.eml"
fx_log "452 to a piece: its reply was read" "$R/r452" \
    "< 452 4\.3\.1 out of space"
fx_log "452 to a piece: so were the replies to the pieces after it" \
    "$R/r452" "< 503 5\.5\.1 Error: an earlier BDAT failed"
fx_log "452 to a piece: the next host in the log" "$R/r452" \
    "R452: to=<u@r452.test>, relay=$(re_peer 28064), .*status=sent"

# 552 to the first piece of two messages on one connection (RCPTMAX 1
# splits them): both bounced, RSET between them.
st_srv r552 "$A:28065" --chunking --bdat-refuse '1=552 5.3.4 too big' \
    --advertise 'LIMITS RCPTMAX=1'
echo "r552.test $A:28065" >>"$W/map"
fx_deliver "$R/r552" "$W/big" -v -f a@src.test -q R552 -- u@r552.test \
    v@r552.test
fx_check "552 to a piece: bounced" "$R/r552" 69 \
    "5\.3\.4 $(re_peer 28065) said: 552 5\.3\.4 too big \(in reply to BDAT command\)"
fx_log "552 to a piece: logged as bounced" "$R/r552" \
    "R552: to=<v@r552.test>, relay=$(re_peer 28065), conn_use=2, .*dsn=5\.3\.4, status=bounced .*in reply to BDAT command"
st_eq "552 to a piece: RSET after the first transaction, nothing accepted" \
    "$(grep -c ' in RSET' "$W/r552/commands.log"):$(fx_msgs "$W/r552" '^result: 2')" \
    1:0
st_nogrep "552 to a piece: no last piece sent" ' in BDAT [0-9]* LAST' \
    "$W/r552/commands.log"

# The last piece refused: 554 bounces, 451 defers.
st_srv l554 "$A:28066" --chunking --reply 'eod=554 5.7.1 content refused'
st_srv l451 "$A:28067" --chunking --reply 'eod=451 4.3.0 try later'
{
	echo "l554.test $A:28066"
	echo "l451.test $A:28067"
} >>"$W/map"
fx_deliver "$R/l554" "$W/dots" -f a@src.test -q L554 -- u@l554.test
fx_check "554 to the last piece" "$R/l554" 69 \
    "5\.7\.1 $(re_peer 28066) said: 554 5\.7\.1 content refused \(in reply to BDAT LAST command\)"
fx_deliver "$R/l451" "$W/dots" -f a@src.test -q L451 -- u@l451.test
fx_check "451 to the last piece" "$R/l451" 75 \
    "4\.3\.0 $(re_peer 28067) said: 451 4\.3\.0 try later \(in reply to BDAT LAST command\)"

# --- the connection lost mid-message ----------------------------------------------
st_srv drop "$A:28068" --chunking --drop body --drop-after 300000
{
	echo "drop.test $A:28068 \$priority:1"
	echo "drop.test $A:28064 \$priority:2"
} >>"$W/map"
fx_deliver "$R/drop" "$W/big" -f a@src.test -q DROP -- u@drop.test
fx_check "lost mid-message: the next host" "$R/drop" 0
st_eq "lost mid-message: the first host accepted nothing" \
    "$(fx_msgs "$W/drop" '^result: 2')" 0
st_cmp "lost mid-message: the next host got the exact bytes" \
    "$W/after/msg-0002.data" "$W/big.eml"
fx_log "lost mid-message: the log names the loss, then the next host" \
    "$R/drop" "DROP: to=<u@drop.test>, relay=$(re_peer 28064), .*status=sent"

st_done
