#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 43-chunking-postfix: BDAT (RFC 3030) to a real Postfix smtpd, which
# offers CHUNKING since 3.4: a private instance with two listeners, one
# that offers 8BITMIME and one that hides it and SMTPUTF8
# (smtpd_discard_ehlo_keywords). Every message goes once with BDAT
# (smtp_chunking = yes) and once with DATA (no), and what Postfix
# delivers to its pipe is, less the Received: field it adds, the
# message as sent, byte for byte, both times: lines that start with a
# dot, a message without a final newline, a large one of many pieces.
# To the listener without 8BITMIME, 8-bit MIME goes 7-bit through BDAT
# as through DATA (spool_7bit.c). Postfix's own log counts bdat= and
# data= commands. Loopback 127.0.26.3, ports 28040-28049.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/chunk_test.sh
. "$TOP/t/lib/chunk_test.sh"

pf_require
[ -x "$SD" ] || fail "$SD is not built (make)"
A=127.0.26.3
RCV=$WORK/rcv
mkdir -p "$RCV"
chmod 777 "$RCV"

pf_init "$A" 28040
pf_pipe store 10 "flags= user=nobody" \
    "argv=/bin/sh -c cat>$RCV/\${user}"
pf_conf "default_transport = store" "relay_transport = store" \
    "relay_domains = static:ALL" "smtpd_recipient_restrictions = permit" \
    "store_destination_recipient_limit = 1" "message_size_limit = 0"
printf '%s:28041 inet n - n - - smtpd -o %s\n' "$A" \
    "smtpd_discard_ehlo_keywords=8bitmime,smtputf8" >>"$PF_CONF/master.cf"
pf_start
wait_port "$A" 28041
mta_on_fail pf_log

printf 'pf.test %s:28040\nno8.test %s:28041\n' "$A" "$A" >"$WORK/map"
ct_messages

# got RCPT: wait for the pipe's file of RCPT
got() {
	wait_until 60 test -s "$RCV/$1"
}

for m in dots notrail large 8bit; do
	ct_send "$m-bdat" "$WORK/m-$m" "$m-bdat@pf.test" yes
	ct_send "$m-data" "$WORK/m-$m" "$m-data@pf.test" no
	got "$m-bdat"
	got "$m-data"
	ct_same "$m: BDAT" "$RCV/$m-bdat" "$WORK/m-$m"
	ct_same "$m: DATA" "$RCV/$m-data" "$WORK/m-$m"
done
n=$(grep -c '> BDAT' "$WORK/large-bdat.log")
if [ "$n" -ge 20 ]; then
	ct_ok "large: $n pieces"
else
	ct_nok "large: only $n pieces"
fi

# Postfix's view: four sessions with BDAT, four with DATA.
pf_wait_log 'disconnect from .* bdat=' 30
for w in bdat data; do
	n=$(grep -Ec "disconnect from .* ehlo=1 mail=1 rcpt=1 $w=[0-9]+ quit=1" "$PF_LOG" || true)
	if [ "$n" -eq 4 ]; then
		ct_ok "Postfix logged 4 sessions with $w"
	else
		ct_nok "Postfix logged $n sessions with $w, want 4"
	fi
done

# 8-bit MIME to the listener without 8BITMIME: made 7-bit, in BDAT.
ct_send 8bit-no8 "$WORK/m-8bit" 8bit-no8@no8.test yes
got 8bit-no8
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$RCV/8bit-no8"; then
	ct_nok "no 8BITMIME: 8-bit bytes arrived"
else
	ct_ok "no 8BITMIME: the message arrived 7-bit"
fi
grep -q 'offers no 8BITMIME: message made 7-bit (1 parts quoted-printable' \
    "$WORK/8bit-no8.log" && ct_ok "no 8BITMIME: the log says so" ||
	ct_nok "no 8BITMIME: no conversion in the log"
if "$PYTHON3" - "$RCV/8bit-no8" "$WORK/m-8bit" <<'PY'; then
import quopri, sys
def body(p):
    b = open(p, "rb").read().replace(b"\r\n", b"\n")
    return b.split(b"\n\n", 1)[1]
sys.exit(0 if quopri.decodestring(body(sys.argv[1])) == body(sys.argv[2])
         else 1)
PY
	ct_ok "no 8BITMIME: the body decodes to the original"
else
	ct_nok "no 8BITMIME: the decoded body differs"
fi
if grep -q '> MAIL FROM:<a@origin.test>$' "$WORK/8bit-no8.log"; then
	ct_ok "no 8BITMIME: MAIL without SIZE or BODY=8BITMIME"
else
	ct_nok "no 8BITMIME: $(grep 'MAIL FROM' "$WORK/8bit-no8.log")"
fi

ct_done
