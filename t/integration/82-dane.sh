#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 82-dane: tls_policy = dane (RFC 7672) end to end, and the
# opportunistic DANE of tls_policy = may. nsd serves a zone
# "test." signed here (ldns-keygen, ldns-signzone) with MX, A and TLSA
# records, and an unsigned child zone; unbound on loopback validates it
# with the zone's key as its trust anchor and sets the AD bit, as the
# local validating resolver of a DANE-using MTA does; smtpdirect deliver
# asks unbound. Servers are t/lib/smtpserver.py with STARTTLS.
# Loopback 127.0.9.0/24, ports 25940-25959.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/tls_test.sh"
. "$TOP/t/lib/ns_conf.sh"
SD=${SMTPDIRECT:-$TOP/transport/smtpdirect}

for t in python3 nsd unbound ldns-keygen ldns-signzone drill; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "skipped: $t is not installed"
		exit 77
	fi
done
tls_need_tools
st_init 82-dane
P=$W/pki
tls_make_certs "$P"
NSD=127.0.9.54 NSD_PORT=25954
UB=127.0.9.53 UB_PORT=25953
MXP=25941
GOOD=$(cat "$P/good.tlsa")
WRONG=$(cat "$P/wrong.tlsa")
CA=$(cat "$P/ca.tlsa")

# --- zones ---------------------------------------------------------------
mkdir -p "$W/dns"
cat >"$W/dns/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns.test.
ns		A $NSD
ee		MX 10 mx.ee.test.
mx.ee		A 127.0.9.11
_$MXP._tcp.mx.ee	TLSA 3 1 1 $GOOD
eebad		MX 10 mx.eebad.test.
mx.eebad	A 127.0.9.12
_$MXP._tcp.mx.eebad	TLSA 3 1 1 $WRONG
ta		MX 10 ta.accept.test.
ta.accept	A 127.0.9.13
_$MXP._tcp.ta.accept	TLSA 2 0 1 $CA
tabad		MX 10 mx.tabad.test.
mx.tabad	A 127.0.9.14
_$MXP._tcp.mx.tabad	TLSA 2 0 1 $CA
unus		MX 10 mx.unus.test.
mx.unus		A 127.0.9.15
_$MXP._tcp.mx.unus	TLSA 1 1 1 $GOOD
unusnotls	MX 10 mx.unusnotls.test.
mx.unusnotls	A 127.0.9.16
_$MXP._tcp.mx.unusnotls	TLSA 0 0 1 $CA
none		MX 10 mx.none.test.
mx.none		A 127.0.9.17
eenotls		MX 10 mx.eenotls.test.
mx.eenotls	A 127.0.9.18
_$MXP._tcp.mx.eenotls	TLSA 3 1 1 $GOOD
bogus		MX 10 mx.bogus.test.
mx.bogus	A 127.0.9.19
_$MXP._tcp.mx.bogus	TLSA 3 1 1 $GOOD
insecure	NS ns.test.
ZONE
cat >"$W/dns/insecure.zone" <<ZONE
\$ORIGIN insecure.test.
\$TTL 300
@		SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns.test.
@		MX 10 mx.insecure.test.
mx		A 127.0.9.20
_$MXP._tcp.mx	TLSA 3 1 1 $WRONG
ZONE
key=$(ns_sign_key "$W/dns" test.)
(cd "$W/dns" && ldns-signzone -n -o test. test.zone "$key" >/dev/null)
# A TLSA record whose signature no longer matches: unbound says SERVFAIL.
sed -e "/^_$MXP\\._tcp\\.mx\\.bogus\\.test\\./s/$GOOD/$WRONG/I" \
    "$W/dns/test.zone.signed" >"$W/dns/test.zone.final"
grep -qi "mx\\.bogus\\.test\\..*$WRONG" "$W/dns/test.zone.final" ||
	{ echo "could not spoil the bogus TLSA record" >&2; exit 1; }

ns_nsd_conf "$W/dns" "$NSD" "$NSD_PORT" test="$W/dns/test.zone.final" \
    insecure.test="$W/dns/insecure.zone"
ns_unbound_conf "$W/dns" "$UB" "$UB_PORT" "$NSD" "$NSD_PORT" \
    "$W/dns/trust-anchor"
nsd -c "$W/dns/nsd.conf" -d >"$W/dns/nsd.out" 2>&1 &
st_pids="$st_pids $!"
unbound -c "$W/dns/unbound.conf" -d >"$W/dns/unbound.out" 2>&1 &
st_pids="$st_pids $!"
ns_wait_ad "$UB" "$UB_PORT" mx.ee.test A || {
	echo "unbound did not validate test. in time:" >&2
	cat "$W/dns/unbound.out" "$W/dns/unbound.log" "$W/dns/nsd.log" \
	    2>/dev/null | tail -n 20 >&2
	exit 1
}
st_ok "unbound validates the signed zone (AD)"

# --- SMTP servers ---------------------------------------------------------
srv() { # srv NAME ADDR CERT|-
	if [ "$3" = - ]; then
		st_srv "$1" "$2:$MXP"
	else
		st_srv "$1" "$2:$MXP" --tls-cert "$P/$3.chain" \
		    --tls-key "$P/$3.key"
	fi
}
srv ee 127.0.9.11 good
srv eebad 127.0.9.12 good
srv ta 127.0.9.13 good
srv tabad 127.0.9.14 good
srv unus 127.0.9.15 self
srv unusnotls 127.0.9.16 -
srv none 127.0.9.17 -
srv eenotls 127.0.9.18 -
srv bogus 127.0.9.19 good
srv insecure 127.0.9.20 good

cat >"$W/map" <<MAP
over.example	mx.ee.test:$MXP		\$tls:dane
overlit.example	127.0.9.11:$MXP		\$tls:dane
MAP
conf() { # conf FILE POLICY
	printf '%s\n' "dns_servers = $UB:$UB_PORT" "dns_overrides = $W/map" \
	    "dns_address_family = ipv4" "dns_timeout = 3s" \
	    "state_dir = $W/state" "mx_port = $MXP" "tls_policy = $2" \
	    "log_file = $W/log" "connect_timeout = 5s" \
	    "command_timeout = 10s" >"$1"
}
conf "$W/conf" dane
conf "$W/conf-may" may
printf 'From: a@b.test\nSubject: dane\n\nbody\n' >"$W/msg"

# dlv NAME RCPT [CONF]: deliver; exit status in NAME.rc
dlv() {
	rc=0
	timeout 120 "$SD" deliver -c "${3:-$W/conf}" -f a@b.test -q "Q$1" \
	    -- "$2" <"$W/msg" >"$W/$1.out" 2>"$W/$1.err" || rc=$?
	echo "$rc" >"$W/$1.rc"
}

dlv ee r@ee.test
st_rc "DANE-EE(3 1 1) match: delivered" "$W/ee" 0
st_grep "DANE-EE: logged verified by DANE" \
    'Qee: relay=mx\.ee\.test\[127\.0\.9\.11\]:25941, tls=TLSv1\.3 .*trust=verified dane' \
    "$W/log"
st_grep "DANE-EE: SNI is the MX host name" 'sni=mx\.ee\.test' \
    "$W/ee/tls.log"

dlv eebad r@eebad.test
st_rc "DANE-EE mismatch: deferred" "$W/eebad" 75
st_grep "DANE-EE mismatch: 4.7.5, no TLSA match" \
    '^4\.7\.5 server certificate of mx\.eebad\.test\[127\.0\.9\.12\]:25941 not verified by its TLSA records' \
    "$W/eebad.err"
st_nogrep "DANE-EE mismatch: no MAIL sent" 'in MAIL' \
    "$W/eebad/commands.log"

dlv ta r@ta.test
st_rc "DANE-TA(2 0 1) with the name in the certificate: delivered" \
    "$W/ta" 0
st_grep "DANE-TA: verified by DANE" 'Qta: .*trust=verified dane' "$W/log"

dlv tabad r@tabad.test
st_rc "DANE-TA, host name not in the certificate: deferred" "$W/tabad" 75
st_grep "DANE-TA, wrong name: reason" 'not verified by its TLSA records' \
    "$W/tabad.err"

dlv unus r@unus.test
st_rc "only unusable TLSA (PKIX-EE): mandatory TLS, delivered" "$W/unus" 0
st_grep "unusable TLSA: TLS without authentication" \
    'Qunus: .*tls=TLSv1\.3 .*trust=untrusted$' "$W/log"

dlv unusnotls r@unusnotls.test
st_rc "only unusable TLSA, no STARTTLS: deferred" "$W/unusnotls" 75
st_grep "unusable TLSA, no STARTTLS: 4.7.4" '^4\.7\.4 TLS is required' \
    "$W/unusnotls.err"

dlv none r@none.test
st_rc "no TLSA records (secure denial): as may, delivered" "$W/none" 0
st_grep "no TLSA: plaintext" 'Qnone: .*tls=none \(STARTTLS not offered\)' \
    "$W/log"

dlv eenotls r@eenotls.test
st_rc "usable TLSA, no STARTTLS: deferred" "$W/eenotls" 75
st_grep "usable TLSA, no STARTTLS: 4.7.4" '^4\.7\.4 TLS is required' \
    "$W/eenotls.err"

dlv bogus r@bogus.test
st_rc "TLSA lookup fails (bogus signature): deferred" "$W/bogus" 75
st_grep "bogus TLSA: host not tried" \
    '^4\.7\.5 TLSA lookup for mx\.bogus\.test port 25941 failed' \
    "$W/bogus.err"
st_eq "bogus TLSA: no connection" \
    "$(grep -c ' connect ' "$W/bogus/commands.log" || true)" 0

dlv insecure r@insecure.test
st_rc "unsigned zone: TLSA not trusted, as may, delivered" "$W/insecure" 0
st_nogrep "unsigned zone: not DANE" 'Qinsecure: .* dane' "$W/log"

dlv over r@over.example "$W/conf-may"
st_rc "override \$tls:dane on a host name: delivered" "$W/over" 0
st_grep "override \$tls:dane: verified by DANE" \
    'Qover: relay=mx\.ee\.test.*trust=verified dane' "$W/log"
dlv overlit r@overlit.example "$W/conf-may"
st_rc "override \$tls:dane on an address literal: as may" "$W/overlit" 0
st_nogrep "address literal: not DANE" 'Qoverlit: .* dane' "$W/log"

# tls_policy may is opportunistic DANE: usable validated TLSA records
# decide, a host without them gets opportunistic TLS, and tls_policy
# none leaves TLSA records alone.
conf "$W/conf-none" none
dlv eemay r@ee.test "$W/conf-may"
st_rc "tls_policy may, DANE-EE match: delivered" "$W/eemay" 0
st_grep "tls_policy may, DANE-EE match: verified by DANE" \
    'Qeemay: relay=mx\.ee\.test.*trust=verified dane' "$W/log"
timeout 60 "$SD" policy -c "$W/conf-may" ee.test >"$W/eemay.pol" 2>&1 ||
	true
st_grep "smtpdirect policy, tls_policy may: says DANE decides" \
    '^  mx\.ee\.test\[127\.0\.9\.11\]:25941: DANE: STARTTLS, authenticated by 1 validated TLSA record$' \
    "$W/eemay.pol"
dlv eebadmay r@eebad.test "$W/conf-may"
st_rc "tls_policy may, DANE-EE mismatch: deferred" "$W/eebadmay" 75
st_grep "tls_policy may, DANE-EE mismatch: 4.7.5" \
    '^4\.7\.5 server certificate of mx\.eebad\.test\[127\.0\.9\.12\]:25941 not verified by its TLSA records' \
    "$W/eebadmay.err"
st_nogrep "tls_policy may, DANE-EE mismatch: no MAIL sent" 'in MAIL' \
    "$W/eebad/commands.log"
dlv eenotlsmay r@eenotls.test "$W/conf-may"
st_rc "tls_policy may, usable TLSA, no STARTTLS: deferred" \
    "$W/eenotlsmay" 75
st_grep "tls_policy may, usable TLSA, no STARTTLS: 4.7.4" \
    '^4\.7\.4 TLS is required' "$W/eenotlsmay.err"
dlv unusnotlsmay r@unusnotls.test "$W/conf-may"
st_rc "tls_policy may, only unusable TLSA, no STARTTLS: delivered" \
    "$W/unusnotlsmay" 0
st_grep "tls_policy may, only unusable TLSA: plaintext" \
    'Qunusnotlsmay: .*tls=none \(STARTTLS not offered\)' "$W/log"
dlv insecuremay r@insecure.test "$W/conf-may"
st_rc "tls_policy may, unsigned zone: delivered" "$W/insecuremay" 0
st_nogrep "tls_policy may, unsigned zone: not DANE" 'Qinsecuremay: .* dane' \
    "$W/log"
# TLS-Required: No (RFC 8689): the TLSA records are set aside.
printf 'From: a@b.test\nSubject: dane\nTLS-Required: No\n\nbody\n' \
    >"$W/msg-tlsno"
rc=0
timeout 120 "$SD" deliver -c "$W/conf" -f a@b.test -q Qeebadno \
    -- r@eebad.test <"$W/msg-tlsno" >/dev/null 2>"$W/eebadno.err" || rc=$?
echo "$rc" >"$W/eebadno.rc"
st_rc "tls_policy dane, DANE-EE mismatch, TLS-Required: No: delivered" \
    "$W/eebadno" 0
st_grep "TLS-Required: No: opportunistic TLS, logged" \
    'Qeebadno: relay=mx\.eebad\.test.*tls=TLSv1\.3 .*, tls-required=no$' \
    "$W/log"
dlv eebadnone r@eebad.test "$W/conf-none"
st_rc "tls_policy none ignores TLSA records" "$W/eebadnone" 0
st_grep "tls_policy none: plaintext" 'Qeebadnone: .*tls=none' "$W/log"
st_done
