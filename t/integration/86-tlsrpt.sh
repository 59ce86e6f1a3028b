#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 86-tlsrpt: SMTP TLS reporting (RFC 8460) end to end. nsd serves the
# _smtp._tls, _mta-sts, MX and A records; t/lib/httpsserver.py serves
# MTA-STS policies and takes report uploads (POST) on port 443; MX hosts
# are t/lib/smtpserver.py with and without STARTTLS. smtpdirect deliver
# counts the TLS results; smtpdirect tlsrpt builds the reports, mails
# them through a private Postfix's sendmail(1) to a sink and posts them
# over HTTPS; t/lib/tlsrpt_check.py checks every report against section
# 4 and the mails against section 5.3. Loopback 127.0.28.0/24, port 443
# and ports 28200-28299.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/tls_test.sh
. "$TOP/t/lib/tls_test.sh"
# shellcheck source=t/lib/dns_test.sh
. "$TOP/t/lib/dns_test.sh"

pf_require
dns_need nsd drill python3 openssl
ldconfig -p 2>/dev/null | grep -q 'libcurl\.so\.4 ' ||
    skip "libcurl4 is not installed"
[ -x "$SD" ] || fail "$SD is not built (make)"
CHECK=$TOP/t/lib/tlsrpt_check.py
MXP=28225
WEB=127.0.28.70
P=$WORK/pki
tls_make_certs "$P"
tls_sign "$P" names "/CN=mx.ok.test" \
    "DNS:mx.ok.test,DNS:mx.stsok.test,DNS:mta-sts.sts.test,DNS:mta-sts.stsok.test,DNS:mta-sts.fetchfail.test,DNS:rua.test"
failures=0
ok() { echo "ok - $1"; }
notok() {
	echo "not ok - $1"
	failures=$((failures + 1))
}
# check NAME CMD...: ok when CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}

# --- DNS ---------------------------------------------------------------------
RUA_MAIL="mailto:tlsrpt@reports.test"
RUA_WEB="https://rua.test/v1/tlsrpt"
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns.test.
ns		A 127.0.28.90
rua		A $WEB
ok		MX 10 mx.ok.test.
mx.ok		A 127.0.28.61
_smtp._tls.ok	TXT "v=TLSRPTv1; rua=$RUA_MAIL,$RUA_WEB"
plain		MX 10 mx.plain.test.
mx.plain	A 127.0.28.62
_smtp._tls.plain	TXT "v=TLSRPTv1; rua=$RUA_MAIL"
sts		MX 10 mx.sts.test.
mx.sts		A 127.0.28.63
_mta-sts.sts	TXT "v=STSv1; id=1"
mta-sts.sts	A $WEB
_smtp._tls.sts	TXT "v=TLSRPTv1;rua=$RUA_WEB"
stsok		MX 10 mx.stsok.test.
mx.stsok	A 127.0.28.64
_mta-sts.stsok	TXT "v=STSv1; id=1"
mta-sts.stsok	A $WEB
_smtp._tls.stsok	TXT "v=TLSRPTv1; rua=$RUA_MAIL"
fetchfail	MX 10 mx.fetchfail.test.
mx.fetchfail	A 127.0.28.65
_mta-sts.fetchfail	TXT "v=STSv1; id=1"
mta-sts.fetchfail	A $WEB
_smtp._tls.fetchfail	TXT "v=TLSRPTv1; rua=$RUA_MAIL"
norua		MX 10 mx.norua.test.
mx.norua	A 127.0.28.61
ZONE
dns_nsd_start 127.0.28.90 28290 "$WORK/test.zone"

# --- HTTPS: policies and report uploads -------------------------------------
printf 'version: STSv1\nmode: testing\nmx: mx.sts.test\nmax_age: 86400\n' \
    >"$WORK/sts.txt"
printf 'version: STSv1\nmode: enforce\nmx: mx.stsok.test\nmax_age: 86400\n' \
    >"$WORK/stsok.txt"
mkdir -p "$WORK/posts" "$WORK/web"
web_start() {
	bg_start python3 "$TOP/t/lib/httpsserver.py" --listen "$WEB:443" \
	    --cert "$P/names.chain" --key "$P/names.key" --log "$WORK/web" \
	    --sink "$WORK/posts" --lifetime 600 \
	    --site "mta-sts.sts.test=file:$WORK/sts.txt" \
	    --site "mta-sts.stsok.test=file:$WORK/stsok.txt" \
	    --site "mta-sts.fetchfail.test=status:404"
	WEB_PID=$LAST_PID
	wait_port "$WEB" 443
}
web_start

# --- MX hosts ----------------------------------------------------------------
mx() { # mx NAME ADDR [CERT]
	mkdir -p "$WORK/$1"
	if [ $# -gt 2 ]; then
		set -- "$1" "$2" --tls-cert "$P/$3.chain" --tls-key "$P/$3.key"
	fi
	local name=$1 addr=$2
	shift 2
	bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$addr:$MXP" \
	    --dir "$WORK/$name" --lifetime 600 "$@"
	wait_port "$addr" "$MXP"
}
mx ok 127.0.28.61 names
mx plain 127.0.28.62
mx sts 127.0.28.63 wrong
mx stsok 127.0.28.64 names
mx fetchfail 127.0.28.65

# --- the local MTA: a private Postfix relaying to a sink ---------------------
mkdir -p "$WORK/sink"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen 127.0.28.80:28280 \
    --dir "$WORK/sink" --lifetime 600
wait_port 127.0.28.80 28280
pf_init 127.0.28.81 28281
pf_conf "default_transport = smtp" "relayhost = [127.0.28.80]:28280" \
    "smtp_tls_security_level = none"
pf_start
printf '#!/bin/sh\nexec %s/sendmail -C %s "$@"\n' "$PF_SBIN" "$PF_CONF" \
    >"$WORK/sendmail"
chmod 755 "$WORK/sendmail"

printf '%s\n' "dns_servers = 127.0.28.90:28290" "dns_overrides =" \
    "dns_address_family = ipv4" "state_dir = $WORK/state" \
    "mx_port = $MXP" "tls_ca_file = $P/ca.crt" "helo_name = sender.test" \
    "tlsrpt_organization = sender.test" \
    "tlsrpt_sendmail = $WORK/sendmail" "log_file = $WORK/sd.log" \
    "mta_sts_fetch_timeout = 3s" "connect_timeout = 5s" \
    "command_timeout = 10s" >"$WORK/conf"
printf 'From: a@sender.test\nSubject: tlsrpt\n\nbody\n' >"$WORK/msg"

# --- deliveries: the TLS results counted -------------------------------------
n=0
for rcpt in a@ok.test b@ok.test r@plain.test r@sts.test r@stsok.test \
    r@fetchfail.test r@norua.test; do
	n=$((n + 1))
	rc=0
	timeout 120 "$SD" deliver -c "$WORK/conf" -f a@sender.test -q "Q$n" \
	    -- "$rcpt" <"$WORK/msg" 2>"$WORK/Q$n.err" || rc=$?
	if [ "$rc" -eq 0 ]; then ok "delivered to $rcpt"; else
		notok "delivered to $rcpt: exit $rc: $(cat "$WORK/Q$n.err")"; fi
done

# TLS-Required: No (RFC 8689): delivered whatever the policy, and not
# counted (sts.test's counts below stay those of r@sts.test alone).
printf 'From: a@sender.test\nSubject: tlsrpt\nTLS-Required: No\n\nbody\n' \
    >"$WORK/msg-tlsno"
rc=0
timeout 120 "$SD" deliver -c "$WORK/conf" -f a@sender.test -q Qno \
    -- s@sts.test <"$WORK/msg-tlsno" 2>"$WORK/Qno.err" || rc=$?
check "TLS-Required: No to sts.test: delivered (exit $rc)" [ "$rc" -eq 0 ]

TODAY=$(date -u +%Y-%m-%d)
# dry_has_all: the dry run shows every domain with a report URI (the
# last delivery's counts are added once its caller has its answer)
dry_has_all() {
	"$SD" tlsrpt -c "$WORK/conf" -n -d "$TODAY" >"$WORK/dry.json" \
	    2>"$WORK/dry.err" || return 1
	[ "$(grep -c '"report-id"' "$WORK/dry.json")" -eq 5 ]
}
wait_until 20 dry_has_all
check "the reports (section 4): fields, types, counts and details" \
    python3 "$CHECK" json "$WORK/dry.json" \
    "ok.test:no-policy-found:2:0" \
    "plain.test:no-policy-found:0:1:starttls-not-supported=1" \
    "sts.test:sts:0:1:certificate-host-mismatch=1" \
    "stsok.test:sts:1:0" \
    "fetchfail.test:sts:0:1:sts-policy-fetch-error=1" \
    "fetchfail.test:no-policy-found:0:1:starttls-not-supported=1"
check "sts policy strings and mx-host in the report" grep -q \
    '"policy-type":"sts","policy-string":\["version: STSv1","mode: testing","mx: mx.sts.test","max_age: 86400"\],"policy-domain":"sts.test","mx-host":\["mx.sts.test"\]' \
    "$WORK/dry.json"
check "no report for a domain without _smtp._tls" \
    sh -c "! grep -q norua.test '$WORK/dry.json'"

# --- sending ---------------------------------------------------------------------
rc=0
"$SD" tlsrpt -c "$WORK/conf" 2>"$WORK/run0.err" || rc=$?
check "tlsrpt without -d: today is not complete, nothing sent (exit $rc)" \
    [ "$rc" -eq 0 -a "$(ls "$WORK/sink" | grep -c eml || true)" -eq 0 \
    -a "$(ls "$WORK/posts" | wc -l)" -eq 0 ]

# The upload server is down: the mails go, the uploads wait.
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
rc=0
"$SD" tlsrpt -c "$WORK/conf" -d "$TODAY" 2>"$WORK/run1.err" || rc=$?
check "upload server down: exit 75" [ "$rc" -eq 75 ]
check "upload server down: said so, and that it is sent next time" \
    grep -q 'https://rua.test/v1/tlsrpt: .*sent again next time' \
    "$WORK/run1.err"
mails() { ls "$WORK/sink" 2>/dev/null | grep -c '\.eml$' || true; }
mails4() { [ "$(mails)" -eq 4 ]; }
wait_until 30 mails4
ok "four reports mailed through Postfix's sendmail reached the sink"
for f in "$WORK"/sink/*.eml; do
	if python3 "$CHECK" mail "$f" >>"$WORK/mailed.json" \
	    2>>"$WORK/mail.err"; then :; else
		notok "mailed report $(basename "$f"): $(cat "$WORK/mail.err")"
	fi
done
check "mailed reports: headers, multipart/report, gzip attachment, JSON" \
    python3 "$CHECK" json "$WORK/mailed.json" \
    "ok.test:no-policy-found:2:0" \
    "plain.test:no-policy-found:0:1:starttls-not-supported=1" \
    "stsok.test:sts:1:0" \
    "fetchfail.test:sts:0:1:sts-policy-fetch-error=1"
check "mailed reports say TLS-Required: No (RFC 8460 section 3)" \
    [ "$(grep -l '^TLS-Required: No' "$WORK"/sink/*.eml | wc -l)" -eq 4 ]
check "mailed to the rua address, from the contact" \
    grep -q 'tlsrpt@reports.test' "$WORK/sink/commands.log"
check "envelope sender is the contact" \
    grep -q 'MAIL FROM:<postmaster@sender.test>' "$WORK/sink/commands.log"

# The upload server is back: the uploads go, the mails are not sent again.
web_start
rc=0
"$SD" tlsrpt -c "$WORK/conf" -d "$TODAY" 2>"$WORK/run2.err" || rc=$?
check "upload server back: exit 0" [ "$rc" -eq 0 ]
check "two reports uploaded" [ "$(ls "$WORK/posts" | grep -c body)" -eq 2 ]
: >"$WORK/posted.json"
for h in "$WORK"/posts/*.head; do
	python3 "$CHECK" post "$h" "${h%.head}.body" >>"$WORK/posted.json" ||
	    notok "upload $(basename "$h")"
done
check "uploaded reports: POST of application/tlsrpt+gzip, JSON" \
    python3 "$CHECK" json "$WORK/posted.json" \
    "ok.test:no-policy-found:2:0" \
    "sts.test:sts:0:1:certificate-host-mismatch=1"
sleep 1
check "mailed reports not sent again" [ "$(mails)" -eq 4 ]
rc=0
"$SD" tlsrpt -c "$WORK/conf" -d "$TODAY" 2>"$WORK/run3.err" || rc=$?
check "a third run sends nothing (exit $rc)" [ "$rc" -eq 0 -a \
    "$(ls "$WORK/posts" | grep -c body)" -eq 2 -a "$(mails)" -eq 4 ]

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "all checks passed"
