#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 40-smtp-client: the SMTP client session and the spool (t/tools/smtp_send)
# against Postfix's smtp-sink and our fault-injecting t/lib/smtpserver.py.
# Loopback 127.0.4.0/24, ports 25400-25499 only.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: python3 not installed"
	exit 77
fi
if [ ! -x /usr/sbin/smtp-sink ]; then
	echo "skipped: /usr/sbin/smtp-sink (package postfix) not installed"
	exit 77
fi
st_init 40-smtp
A=127.0.4.2

# --- messages ---------------------------------------------------------------
printf '%s\n' 'From: a@b.test' 'X-SMTPDirect-Route: x@y.test via relay' \
    '  continued route' 'Subject: test' \
    'x-smtpdirect-transport: smtpdirect' '' '.leading dot' '..two dots' '.' \
    'body line' >"$W/msg1"
printf 'From: a@b.test\r\nSubject: test\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nbody line\r\n' \
    >"$W/msg1.eml"
printf 'From: a@b.test\r\nSubject: test\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nbody line\r\n' \
    >"$W/msg1.data"
size1=$(wc -c <"$W/msg1.eml" | tr -d ' ')

# A 2 MB message with a dot line every 100 lines, LF line ends.
awk 'BEGIN { print "Subject: big"; print "";
	for (i = 0; i < 25000; i++) {
		if (i % 100 == 0) print ".dot line " i;
		else printf "line %06d 0123456789012345678901234567890123456789012345678901234567890123456789\n", i } }' \
    >"$W/big"
sed 's/$/\r/' "$W/big" >"$W/big.eml"
sed 's/^\./../' "$W/big.eml" >"$W/big.data"

printf 'Subject: caf\303\251\n\nna\303\257ve body\n' >"$W/msg8"

# --- Postfix smtp-sink --------------------------------------------------------
st_sink sink 127.0.4.1:25401
st_send "$W/o1" "$W/msg1" -f a@b.test -s "sink[127.0.4.1]:25401" \
    r1@y.test r2@y.test r3@y.test
st_rc "sink: three recipients delivered" "$W/o1" 0
st_grep "sink: PIPELINING offered" 'caps=.*PIPELINING' "$W/o1"
dump=$(ls "$W"/sink/m.* 2>/dev/null | head -n 1)
if [ -n "$dump" ]; then
	st_eq "sink: one transaction, three RCPTs" \
	    "$(grep -c '^X-Rcpt-Args:' "$dump")" 3
	st_grep "sink: dot line arrives intact" '^\.leading dot$' "$dump"
	st_nogrep "sink: X-SMTPDirect headers removed" \
	    'continued route' "$dump"
	st_nogrep "sink: X-SMTPDirect headers removed (case)" \
	    '[Xx]-[Ss][Mm][Tt][Pp][Dd]irect' "$dump"
else
	st_not_ok "sink: no dump file in $W/sink"
fi

st_sink sinksoft 127.0.4.1:25402 -r RCPT
st_send "$W/o2" "$W/msg1" -f a@b.test -s "127.0.4.1:25402" r1@y.test
st_rc "sink -r RCPT: deferred" "$W/o2" 75
st_grep "sink -r RCPT: 4xx reply quoted" \
    'final <r1@y.test>: deferred dsn=4\.[0-9.]+ code=450 .*said: 450' "$W/o2"

st_sink sinkhard 127.0.4.1:25403 -f MAIL
st_send "$W/o3" "$W/msg1" -f a@b.test -s "127.0.4.1:25403" r1@y.test
st_rc "sink -f MAIL: bounced" "$W/o3" 69
st_grep "sink -f MAIL: in reply to MAIL FROM" \
    'code=5[0-9][0-9] .*in reply to MAIL FROM command' "$W/o3"

st_sink sinkdrop 127.0.4.1:25404 -q DATA
st_send "$W/o4" "$W/msg1" -f a@b.test -s "127.0.4.1:25404" r1@y.test
st_rc "sink -q DATA: deferred" "$W/o4" 75
st_grep "sink -q DATA: lost connection named" \
    'dsn=4\.4\.2 .*lost connection with 127\.0\.4\.1\[127\.0\.4\.1\]:25404' \
    "$W/o4"
st_stop sink
st_stop sinksoft
st_stop sinkhard
st_stop sinkdrop

# --- exact bytes, PIPELINING round trips ------------------------------------
st_srv exact $A:25410
st_send "$W/o10" "$W/msg1" -f a@b.test -s "mx[$A]:25410" r1@y.test r2@y.test
st_rc "exact: delivered" "$W/o10" 0
st_cmp "exact: DATA bytes dot-stuffed, CRLF, headers removed" \
    "$W/exact/msg-0001.data" "$W/msg1.data"
st_cmp "exact: message as received" "$W/exact/msg-0001.eml" "$W/msg1.eml"
st_grep "exact: spool size is the wire size" "^spool: size=$size1 " "$W/o10"
st_grep "exact: MAIL carries SIZE" "^mail: FROM:<a@b.test> SIZE=$size1\$" \
    "$W/exact/msg-0001.env"
# Replies are written only when the server has no input waiting, so
# flushes count round trips: greeting, EHLO, MAIL+RCPT+RCPT+DATA, end of
# data, QUIT.
st_eq "exact: 3 round trips after the greeting (plus QUIT)" \
    "$(grep -c ' flush ' "$W/exact/commands.log")" 5
st_eq "exact: one connection" "$(cat "$W/exact/maxconn")" 1
st_grep "exact: success text is the server's reply" \
    'final <r1@y.test>: sent dsn=2\.0\.0 code=250 250 2\.0\.0 Ok: queued as 0001' \
    "$W/o10"

st_send "$W/o11" "$W/msg1" -f "" -n 2 -s "$A:25410" r1@y.test
st_rc "exact: two transactions in one session" "$W/o11" 0
st_cmp "exact: first of two" "$W/exact/msg-0002.data" "$W/msg1.data"
st_cmp "exact: second of two (spool rewound)" "$W/exact/msg-0003.data" \
    "$W/msg1.data"
st_grep "exact: null sender" '^mail: FROM:<> SIZE=' "$W/exact/msg-0002.env"

st_send "$W/o12" "$W/msg8" -f a@b.test -s "$A:25410" r1@y.test
st_rc "8bit: delivered" "$W/o12" 0
st_grep "8bit: BODY=8BITMIME" 'BODY=8BITMIME' "$W/exact/msg-0004.env"

st_send "$W/o13" "$W/msg1" -f a@b.test -s "$A:25410" "$(printf 'j\303\266rg@y.test')"
st_rc "SMTPUTF8: delivered" "$W/o13" 0
st_grep "SMTPUTF8: requested on MAIL" 'SMTPUTF8$' "$W/exact/msg-0005.env"

# More recipients than one flight holds (SMTP_PIPELINE_MAX = 100).
rcpts=$(awk 'BEGIN { for (i = 1; i <= 150; i++) printf "u%03d@y.test ", i }')
# shellcheck disable=SC2086
st_send "$W/o14" "$W/msg1" -f a@b.test -s "$A:25410" $rcpts
st_rc "150 recipients: delivered" "$W/o14" 0
st_eq "150 recipients: one transaction" \
    "$(grep -c '^rcpt: .* 250$' "$W/exact/msg-0006.env")" 150
st_eq "150 recipients: two flights (greeting, EHLO, 2, end, QUIT)" \
    "$(awk '$3 == "connect" { c = $2; n = 0 }
	$2 == c && $3 == "flush" { n++ } END { print n }' \
	"$W/exact/commands.log")" 6

# --- one recipient refused --------------------------------------------------
st_srv rcpt $A:25411 --rcpt 'bad*=550 5.1.1 <bad@y.test>: user unknown' \
    --rcpt 'soft*=450 4.2.0 <soft@y.test>: mailbox busy'
st_send "$W/o20" "$W/msg1" -f a@b.test -s "mx[$A]:25411" \
    good@y.test bad@y.test soft@y.test good2@y.test
st_rc "rcpt: a deferral makes 75" "$W/o20" 75
st_grep "rcpt: 550 only fails that recipient" \
    "final <bad@y.test>: bounced dsn=5\.1\.1 code=550 mx\[$A\]:25411 said: 550 5\.1\.1 <bad@y\.test>: user unknown \(in reply to RCPT TO command\)" \
    "$W/o20"
st_grep "rcpt: 450 defers that recipient" \
    'final <soft@y.test>: deferred dsn=4\.2\.0 code=450' "$W/o20"
st_grep "rcpt: others delivered" 'final <good2@y.test>: sent' "$W/o20"
st_eq "rcpt: the message went to the two accepted" \
    "$(grep -c ' 250$' "$W/rcpt/msg-0001.env")" 2

st_send "$W/o21" "$W/msg1" -f a@b.test -s "$A:25411" bad@y.test bad2@y.test
st_rc "rcpt: all refused, bounced" "$W/o21" 69
[ ! -e "$W/rcpt/msg-0002.env" ] && st_ok "rcpt: no DATA when nobody is left" ||
    st_not_ok "rcpt: DATA sent with no recipient"

# --- greeting, EHLO, transaction-level failures -----------------------------
st_srv g421 $A:25412 --reply 'greeting=421 4.3.2 Service shutting down'
st_send "$W/o30" "$W/msg1" -f a@b.test -s "mx[$A]:25412" r1@y.test
st_rc "421 greeting: deferred" "$W/o30" 75
st_grep "421 greeting: reason" \
    "dsn=4\.3\.2 code=421 mx\[$A\]:25412 refused to talk to me: 421 4\.3\.2 Service shutting down" \
    "$W/o30"

st_srv helo $A:25413 --reply 'ehlo=502 5.5.2 Error: command not recognized'
st_send "$W/o31" "$W/msg1" -f a@b.test -s "$A:25413" r1@y.test
st_rc "EHLO refused: HELO fallback delivers" "$W/o31" 0
st_grep "EHLO refused: HELO sent" ' in HELO smtp-send\.test$' \
    "$W/helo/commands.log"
st_cmp "EHLO refused: same bytes" "$W/helo/msg-0001.data" "$W/msg1.data"

st_srv eod $A:25414 --reply 'eod=451 4.3.0 Error: queue file write error'
st_send "$W/o32" "$W/msg1" -f a@b.test -n 2 -s "$A:25414" r1@y.test
st_rc "end of data 451: deferred" "$W/o32" 75
st_grep "end of data 451: in reply to end of DATA" \
    'in reply to end of DATA command' "$W/o32"

st_srv data $A:25415 --reply 'data=554 5.5.1 Error: no thanks'
st_send "$W/o33" "$W/msg1" -f a@b.test -n 2 -s "$A:25415" r1@y.test r2@y.test
st_rc "DATA 554: bounced" "$W/o33" 69
st_grep "DATA 554: in reply to DATA" 'in reply to DATA command' "$W/o33"
st_grep "DATA 554: next transaction starts with RSET" ' in RSET$' \
    "$W/data/commands.log"

st_srv mail $A:25416 --reply 'mail=451 4.3.0 try again'
st_send "$W/o34" "$W/msg1" -f a@b.test -s "$A:25416" r1@y.test r2@y.test
st_rc "MAIL 451: deferred" "$W/o34" 75
st_grep "MAIL 451: every recipient" \
    'final <r2@y.test>: deferred dsn=4\.3\.0 code=451 .*in reply to MAIL FROM command' \
    "$W/o34"

# --- limits before MAIL --------------------------------------------------------
st_srv size $A:25417 --size 50
st_send "$W/o40" "$W/msg1" -f a@b.test -s "$A:25417" r1@y.test
st_rc "SIZE 50: bounced" "$W/o40" 69
st_grep "SIZE 50: 5.3.4 before MAIL" \
    "dsn=5\.3\.4 code=0 message size $size1 exceeds size limit 50 of server" \
    "$W/o40"
st_nogrep "SIZE 50: no MAIL sent" ' in MAIL' "$W/size/commands.log"
st_grep "SIZE 50: failure step is MAIL" 'failed at MAIL FROM\)$' "$W/o40"
st_grep "SIZE 50: limit parsed" 'size=50 ' "$W/o40"

st_srv noutf8 $A:25418 --no-smtputf8 --no-8bitmime
st_send "$W/o41" "$W/msg1" -f a@b.test -s "$A:25418" "$(printf 'j\303\266rg@y.test')"
st_rc "no SMTPUTF8: bounced" "$W/o41" 69
st_grep "no SMTPUTF8: 5.6.7" 'dsn=5\.6\.7 .*SMTPUTF8 is required' "$W/o41"
st_nogrep "no SMTPUTF8: no MAIL sent" ' in MAIL' "$W/noutf8/commands.log"
st_send "$W/o42" "$W/msg8" -f a@b.test -s "$A:25418" r1@y.test
st_rc "no 8BITMIME: 8-bit sent as is" "$W/o42" 0
st_nogrep "no 8BITMIME: no BODY= parameter" 'BODY=' "$W/noutf8/msg-0001.env"

st_send "$W/o43" "$W/msg1" -f a@b.test -s "$A:25418" "$(printf 'a\rb@y.test')"
st_rc "CR in a recipient: deferred, never sent" "$W/o43" 75
st_grep "CR in a recipient: reason" 'dsn=4\.1\.3 .*control character \(CR\)' \
    "$W/o43"

# --- faults in the conversation ---------------------------------------------
st_srv drop $A:25420 --drop body --drop-after 1000
st_srv second $A:25421
st_send "$W/o50" "$W/big" -f a@b.test -s "first[$A]:25420" \
    -s "second[$A]:25421" r1@y.test r2@y.test
st_rc "drop mid-DATA: second host delivers" "$W/o50" 0
st_grep "drop mid-DATA: first host lost the connection" \
    "rcpt <r1@y.test> first\[$A\]:25420: deferred \(4\.4\.2 code=0\) lost connection with first\[$A\]:25420 while sending (message body|end of data)" \
    "$W/o50"
st_grep "drop mid-DATA: failure step reported" \
    "^transaction first.*failed at (message body|end of data)\)\$" "$W/o50"
st_cmp "drop mid-DATA: second host got the whole message" \
    "$W/second/msg-0001.data" "$W/big.data"

st_srv slow $A:25422 --delay mail=5
t0=$(st_now_ms)
st_send "$W/o51" "$W/msg1" -f a@b.test -t 500 -s "$A:25422" r1@y.test
t1=$(st_now_ms)
st_rc "slow MAIL reply: deferred" "$W/o51" 75
st_grep "slow MAIL reply: command timeout" \
    'dsn=4\.4\.2 .*timed out while sending MAIL FROM' "$W/o51"
[ $((t1 - t0)) -lt 3000 ] && st_ok "slow MAIL reply: gave up in time" ||
    st_not_ok "slow MAIL reply: took $((t1 - t0)) ms"

st_srv deadline $A:25423 --delay rcpt=5
t0=$(st_now_ms)
st_send "$W/o52" "$W/msg1" -f a@b.test -t 10000 -D 1000 -s "$A:25423" r1@y.test
t1=$(st_now_ms)
st_rc "deadline: deferred" "$W/o52" 75
st_grep "deadline: 4.4.7" 'dsn=4\.4\.7 .*time limit exceeded' "$W/o52"
[ $((t1 - t0)) -lt 3000 ] && st_ok "deadline: bounded by the deadline" ||
    st_not_ok "deadline: took $((t1 - t0)) ms"

st_srv overlong $A:25424 --overlong rcpt
st_send "$W/o53" "$W/msg1" -f a@b.test -s "$A:25424" r1@y.test
st_rc "overlong reply: deferred" "$W/o53" 75
st_grep "overlong reply: 4.5.0 reason" 'dsn=4\.5\.0 .*bad reply.*too long' \
    "$W/o53"

st_srv garbage $A:25425 --garbage ehlo
st_send "$W/o54" "$W/msg1" -f a@b.test -s "$A:25425" r1@y.test
st_rc "garbage reply: deferred" "$W/o54" 75
st_grep "garbage reply: 4.5.0, cleaned" \
    'dsn=4\.5\.0 .*malformed reply: "\?garbage \?\?' "$W/o54"

st_srv split $A:25426 --split --multiline
st_send "$W/o55" "$W/msg1" -f a@b.test -s "$A:25426" r1@y.test r2@y.test
st_rc "split, multi-line replies: delivered" "$W/o55" 0
st_cmp "split, multi-line replies: bytes" "$W/split/msg-0001.data" \
    "$W/msg1.data"

st_srv nopipe $A:25427 --no-pipelining --no-enhanced
st_send "$W/o56" "$W/msg1" -f a@b.test -s "$A:25427" r1@y.test r2@y.test
st_rc "no PIPELINING: delivered" "$W/o56" 0
st_eq "no PIPELINING: one round trip per command" \
    "$(grep -c ' flush ' "$W/nopipe/commands.log")" 8
st_grep "no enhanced codes: class code used" \
    'final <r1@y.test>: sent dsn=2\.0\.0 code=250 250 Ok' "$W/o56"

st_send "$W/o57" "$W/msg1" -f a@b.test -c 1000 -s "$A:25499" r1@y.test
st_rc "connection refused: deferred" "$W/o57" 75
st_grep "connection refused: reason" \
    "dsn=4\.4\.1 code=0 connect to $A\[$A\]:25499: Connection refused" "$W/o57"

st_srv rcpt421 $A:25428 --rcpt 'r2*=421 4.4.2 closing'
st_send "$W/o58" "$W/msg1" -f a@b.test -n 2 -s "$A:25428" r1@y.test r2@y.test
st_rc "421 to RCPT: deferred" "$W/o58" 75
st_grep "421 to RCPT: whole transaction" \
    'final <r1@y.test>: deferred dsn=4\.4\.2 code=421' "$W/o58"
st_grep "421 to RCPT: session broken" 'state broken' "$W/o58"

st_done
