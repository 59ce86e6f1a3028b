#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 41-8bitmime: 8-bit mail to a server without 8BITMIME (RFC 6152), against
# a real Postfix smtpd (a private instance) with three listeners: one that
# hides 8BITMIME and SMTPUTF8 (smtpd_discard_ehlo_keywords), one that
# hides 8BITMIME only (SMTPUTF8 implies 8-bit, RFC 6531: as Postfix's
# smtp(8), no conversion then), and one that offers both. The receiving instance delivers every message to a pipe that
# writes it to a file per recipient. Checked: to the server without
# 8BITMIME an 8bit MIME message arrives 7-bit (quoted-printable part, RFC
# 2047 Subject, no SIZE or BODY=8BITMIME announced) and decodes back to
# the original; a multipart keeps its structure; with downgrade_8bit = no,
# and to the server that offers 8BITMIME, the bytes arrive unchanged; a
# message without MIME headers arrives unchanged and the log says so.
# Loopback 127.0.24.1, ports 27700-27709.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

pf_require
[ -x "$SD" ] || fail "$SD is not built (make)"
A=127.0.24.1
RCV=$WORK/rcv
mkdir -p "$RCV"
chmod 777 "$RCV"

pf_init "$A" 27700
pf_pipe store 10 "flags= user=nobody" \
    "argv=/bin/sh -c cat>$RCV/\${user}"
pf_conf "default_transport = store" "relay_transport = store" "local_recipient_maps =" \
    "mydestination =" "relay_domains = static:ALL" \
    "smtpd_recipient_restrictions = permit" "store_destination_recipient_limit = 1"
printf '%s:27701 inet n - n - - smtpd -o %s\n' "$A" \
    "smtpd_discard_ehlo_keywords=8bitmime,smtputf8" >>"$PF_CONF/master.cf"
printf '%s:27702 inet n - n - - smtpd -o %s\n' "$A" \
    "smtpd_discard_ehlo_keywords=8bitmime" >>"$PF_CONF/master.cf"
pf_start
wait_port "$A" 27701
wait_port "$A" 27702
mta_on_fail pf_log

cat >"$WORK/map" <<MAP
no8.test	$A:27701
utf8.test	$A:27702
yes8.test	$A:27700
MAP
conf() { # conf FILE LOG [KEY=VALUE]
	printf '%s\n' "dns_servers = 127.0.24.99:27709" \
	    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
	    "log_file = $2" "connect_timeout = 5s" \
	    "command_timeout = 15s" "helo_name = smtpdirect.test" \
	    "tls_policy = none" ${3:+"$3"} >"$1"
}

printf 'From: a@origin.test\nSubject: Gr\303\274\303\237e aus K\303\266ln\n' >"$WORK/mime"
printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n' >>"$WORK/mime"
printf 'Content-Transfer-Encoding: 8bit\n\n' >>"$WORK/mime"
printf 'Gr\303\274\303\237 Gott = \303\251t\303\251 \n.leading dot\n' >>"$WORK/mime"
for i in $(seq 40); do printf '\303\244'; done >>"$WORK/mime"
printf '\nend\n' >>"$WORK/mime"

cat >"$WORK/multi" <<'EOF'
From: a@origin.test
Subject: parts
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b-1"
Content-Transfer-Encoding: 8bit

--b-1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

EOF
printf 'caf\351\n--b-1\nContent-Type: text/plain\n\nascii\n--b-1--\n' >>"$WORK/multi"

printf 'From: a@origin.test\nSubject: raw\n\nno MIME \351\n' >"$WORK/raw"

failures=0
ok() { echo "ok - $*"; }
nok() {
	echo "not ok - $*"
	failures=$((failures + 1))
}

# send FILE RCPT [KEY=VALUE]: deliver, want exit 0, wait for the file;
# the log (with the -v trace) is $WORK/RCPT.log
send() {
	local rc=0
	conf "$WORK/$2.conf" "$WORK/$2.log" ${3:+"$3"}
	timeout 60 "$SD" deliver -v -c "$WORK/$2.conf" -f a@origin.test \
	    -q "Q-$2" -- "$2" <"$1" 2>"$WORK/$2.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "deliver $1 to $2: exit $rc: $(cat "$WORK/$2.err")"
	wait_until 30 test -s "$RCV/${2%@*}"
}
# body FILE: what follows the first empty line
body() { sed '1,/^\r\{0,1\}$/d' "$1"; }

send "$WORK/mime" m1@no8.test
got=$RCV/m1
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$got"; then
	nok "no8: 8-bit bytes arrived"
	LC_ALL=C grep -n '[^[:print:][:space:]]' "$got" | sed 's/^/#   /' | cat -v
else
	ok "no8: the message arrived 7-bit"
fi
grep -q '^Content-Transfer-Encoding: quoted-printable' "$got" &&
	! grep -q '^Content-Transfer-Encoding: 8bit' "$got" &&
	ok "no8: the part is declared quoted-printable" ||
	nok "no8: Content-Transfer-Encoding: $(grep -i '^content-transfer' "$got")"
grep -q '^Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=' "$got" &&
	ok "no8: the Subject is an RFC 2047 word" ||
	nok "no8: $(grep '^Subject' "$got")"
python3 - "$got" "$WORK/mime" <<'PY' && ok "no8: the body decodes to the original" || nok "no8: the decoded body differs"
import quopri, sys
def body(p):
    b = open(p, "rb").read().replace(b"\r\n", b"\n")
    return b.split(b"\n\n", 1)[1]
got = quopri.decodestring(body(sys.argv[1]))
want = body(sys.argv[2])
sys.exit(0 if got == want else 1)
PY
if awk 'length($0) > 77 { bad = 1 } END { exit bad }' "$got"; then
	ok "no8: no line longer than 76"
else
	nok "no8: a line is longer than 76"
fi
if grep -q '> MAIL FROM:<a@origin.test>$' "$WORK/m1@no8.test.log"; then
	ok "no8: MAIL FROM without SIZE or BODY=8BITMIME"
else
	nok "no8: $(grep 'MAIL FROM' "$WORK/m1@no8.test.log")"
fi
if grep -q 'offers no 8BITMIME: message made 7-bit (1 parts quoted-printable, 1 header fields as RFC 2047 words, 0 lines' "$WORK/m1@no8.test.log"; then
	ok "no8: the log says what was converted"
else
	nok "no8: no conversion line in the log"
	cat "$WORK/m1@no8.test.log"
fi

send "$WORK/multi" m2@no8.test
got=$RCV/m2
if ! LC_ALL=C grep -q '[^[:print:][:space:]]' "$got" &&
	grep -q '^caf=E9' "$got" && grep -q '^--b-1--' "$got" &&
	[ "$(grep -c '^Content-Transfer-Encoding: 7bit' "$got")" -eq 1 ] &&
	[ "$(grep -c '^Content-Transfer-Encoding: quoted-printable' "$got")" -eq 1 ]; then
	ok "no8: multipart declared 7bit, its 8bit part quoted-printable"
else
	nok "no8: multipart arrived as:"
	body "$got" | cat -v | sed 's/^/#   /'
fi

send "$WORK/mime" m3@no8.test "downgrade_8bit = no"
cmp -s <(body "$WORK/mime") <(body "$RCV/m3" | tr -d '\r') &&
	ok "downgrade_8bit = no: the 8-bit body arrived unchanged" ||
	nok "downgrade_8bit = no: the body changed"

send "$WORK/mime" m4@yes8.test
cmp -s <(body "$WORK/mime") <(body "$RCV/m4" | tr -d '\r') &&
	grep -q '> MAIL FROM:<a@origin.test> SIZE=[0-9]* BODY=8BITMIME' "$WORK/m4@yes8.test.log" &&
	ok "yes8: sent with SIZE and BODY=8BITMIME, unchanged" ||
	nok "yes8: $(grep 'MAIL FROM' "$WORK/m4@yes8.test.log")"

send "$WORK/mime" m6@utf8.test
cmp -s <(body "$WORK/mime") <(body "$RCV/m6" | tr -d '\r') &&
	! grep -q 'made 7-bit' "$WORK/m6@utf8.test.log" &&
	ok "utf8: SMTPUTF8 without 8BITMIME takes the 8-bit body unchanged" ||
	nok "utf8: the body changed"

send "$WORK/raw" m5@no8.test
cmp -s <(body "$WORK/raw") <(body "$RCV/m5" | tr -d '\r') &&
	grep -q '0 parts quoted-printable, 0 header fields as RFC 2047 words, 1 lines with 8-bit bytes kept' "$WORK/m5@no8.test.log" &&
	ok "no8: a message without MIME headers goes unchanged, logged" ||
	nok "no8: raw: $(grep '8BITMIME' "$WORK/m5@no8.test.log")"

[ "$failures" -eq 0 ] || fail "$failures checks failed"
echo "all ok"
