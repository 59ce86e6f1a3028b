#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 54-idn: internationalised domains (IDNA2008, RFC 6531) against nsd and
# Postfix's smtp-sink on loopback. A recipient domain in U-labels is
# looked up as its A-labels and the envelope carries them, so the message
# needs no SMTPUTF8 (before: "5.1.2 b??cher.test: not a valid domain
# name", a bounce); an override pattern in U-labels matches (lint says it
# saw one); a non-ASCII local part to a server without SMTPUTF8 bounces
# 5.6.7, as Postfix does; a domain that is not valid UTF-8 is a bad
# address (deferred, as every address deliver cannot read).
# Loopback 127.0.25.1-3, ports 27800-27809.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/dns_test.sh"
dns_need nsd nsd-control drill
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] ||
	skip "smtp-sink (package postfix) is not installed"
PATH=$PATH:/usr/sbin

NS=127.0.25.1 NSP=27800 MX=127.0.25.2 MXP=27801 RELAY=127.0.25.3 RP=27802
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A $NS
xn--bcher-kva	IN MX 10 mx.xn--bcher-kva.test.
mx.xn--bcher-kva IN A $MX
ZONE
dns_nsd_start "$NS" "$NSP" "$WORK/test.zone"

mkdir -p "$WORK/mx" "$WORK/relay" "$WORK/state"
sink() { # sink ADDR PORT DIR
	bg_start timeout 120 smtp-sink -u root -d "$3/%M." "$1:$2" 50
	wait_port "$1" "$2"
}
sink "$MX" "$MXP" "$WORK/mx"
sink "$RELAY" "$RP" "$WORK/relay"
count() { find "$1" -type f | wc -l; }

printf '*.m\303\274nchen.test %s:%s\n' "$RELAY" "$RP" >"$WORK/map"
chmod 600 "$WORK/map"
cat >"$WORK/conf" <<CONF
dns_servers = $NS:$NSP
dns_overrides = $WORK/map
state_dir = $WORK/state
mx_port = $MXP
connect_timeout = 2s
command_timeout = 5s
log_file = $WORK/log
CONF
printf 'Subject: idn\n\nbody\n' >"$WORK/m"
D() { # D WANT RCPT
	set +e
	timeout 60 "$SD" deliver -c "$WORK/conf" -f s@src.example -- "$2" \
	    <"$WORK/m" 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" -eq "$1" ] ||
		fail "deliver $2: exit $rc, want $1: $(cat "$WORK/err")"
}

# 1. U-labels: MX of the A-label, A-labels in RCPT TO, no SMTPUTF8.
D 0 "user@b$(printf '\303\274')cher.test"
[ "$(count "$WORK/mx")" -eq 1 ] || fail "bücher.test not at its MX"
grep -q 'user@xn--bcher-kva.test' "$WORK"/mx/* ||
	fail "RCPT TO without the A-label: $(cat "$WORK"/mx/*)"
grep -q "to=<user@b??cher.test>, relay=mx.xn--bcher-kva.test\[$MX\]:$MXP, .*status=sent" \
    "$WORK/log" || fail "log line: $(cat "$WORK/log")"
echo "ok - user@bücher.test: MX of xn--bcher-kva.test, A-labels in RCPT TO"

# Upper case U-labels are the same domain (UTS #46 mapping).
D 0 "user2@B$(printf '\303\234')CHER.test"
[ "$(count "$WORK/mx")" -eq 2 ] || fail "BÜCHER.test not at its MX"
echo "ok - user2@BÜCHER.test: the same domain"

# 2. An override pattern in U-labels matches; lint says it saw one.
D 0 "a@x.m$(printf '\303\274')nchen.test"
[ "$(count "$WORK/relay")" -eq 1 ] || fail "münchen.test not relayed"
"$SD" lint -c "$WORK/conf" >"$WORK/lint" 2>&1 || fail "lint: $(cat "$WORK/lint")"
grep -q 'is in Unicode (U-labels): it matches as "\*\.xn--mnchen-3ya\.test"' \
    "$WORK/lint" || fail "lint: $(cat "$WORK/lint")"
echo "ok - *.münchen.test override matches, lint names its A-labels"

# 3. A non-ASCII local part needs SMTPUTF8: smtp-sink has none.
D 69 "m$(printf '\303\274')ller@b$(printf '\303\274')cher.test"
grep -q '^5\.6\.7 SMTPUTF8 is required' "$WORK/err" ||
	fail "UTF-8 local part: $(cat "$WORK/err")"
[ "$(count "$WORK/mx")" -eq 2 ] || fail "UTF-8 local part was sent"
echo "ok - müller@bücher.test: 5.6.7 without SMTPUTF8"

# 4. Not UTF-8: not a domain name.
set +e
timeout 60 "$SD" deliver -c "$WORK/conf" -f s@src.example -- \
    "x@b$(printf '\374')cher.test" <"$WORK/m" 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -eq 75 ] && grep -q '^4\.1\.3 bad recipient address' "$WORK/err" ||
	fail "bad UTF-8 domain: exit $rc: $(cat "$WORK/err")"
echo "ok - a domain that is not UTF-8: deferred as a bad address (4.1.3)"
echo "54: internationalised domains: ok"
