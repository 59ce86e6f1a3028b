#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 85-mta-sts: MTA-STS (RFC 8461) end to end, with the default
# tls_policy (may). nsd serves a signed zone "test." with the
# _mta-sts TXT records, MX, A and TLSA records; unbound validates it
# (AD), as for 82-dane; t/lib/httpsserver.py serves the policies over
# HTTPS on port 443 with a certificate of the test CA (tls_ca_file),
# and badly (a certificate for another name, a redirect, 70 KiB, too
# slow, text/html); the MX hosts are t/lib/smtpserver.py with and
# without STARTTLS, with certificates for their names and for another.
# Loopback 127.0.28.0/24, port 443 and ports 28200-28299.
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
[ -e /usr/lib/x86_64-linux-gnu/libcurl.so.4 ] ||
    [ -n "$(ldconfig -p 2>/dev/null | grep 'libcurl\.so\.4 ')" ] ||
    { echo "skipped: libcurl4 is not installed"; exit 77; }
tls_need_tools
st_init 85-mta-sts
P=$W/pki
tls_make_certs "$P"
# One certificate for every good name: policy hosts and MX hosts.
names=""
for d in enf nomatch badcert notls testing cache dane danebad wrongname \
    redirect big slow type over; do
	names="$names,DNS:mta-sts.$d.test,DNS:mx.$d.test"
done
tls_sign "$P" names "/CN=mx.enf.test" "${names#,}"
NSD=127.0.28.54 NSD_PORT=28254
UB=127.0.28.53 UB_PORT=28253
MXP=28225
WEB=127.0.28.40 WEBBAD=127.0.28.41 WEBCACHE=127.0.28.42
WRONG_TLSA=$(tls_spki_sha256 "$P/wrong.crt")
GOOD_TLSA=$(cat "$P/good.tlsa")

# --- policies --------------------------------------------------------------
mkdir -p "$W/pol" "$W/web"
pol() { # pol NAME MODE MX...
	f=$W/pol/$1.txt
	n=$1 mode=$2
	shift 2
	printf 'version: STSv1\r\nmode: %s\r\n' "$mode" >"$f"
	for m in "$@"; do
		printf 'mx: %s\r\n' "$m" >>"$f"
	done
	printf 'max_age: 604800\r\n' >>"$f"
}
pol enf enforce mx.enf.test
pol nomatch enforce mx.other.test
pol badcert enforce mx.badcert.test
pol notls enforce '*.notls.test'
pol testing testing mx.testing.test
pol cache enforce mx.cache.test
pol dane enforce mx.elsewhere.test
pol danebad enforce mx.danebad.test
pol wrongname enforce mx.other.test
pol over enforce mx.other.test
pol slow enforce mx.other.test

# --- zone ------------------------------------------------------------------
mkdir -p "$W/dns"
zone() { # zone ID_OF_CACHE
	cat <<ZONE
\$ORIGIN test.
\$TTL 300
@		SOA ns.test. hostmaster.test. $1 3600 600 86400 300
@		NS ns.test.
ns		A $NSD
ZONE
	i=11
	for d in enf nomatch badcert notls testing cache dane danebad \
	    wrongname over; do
		printf '%s\tMX 10 mx.%s.test.\nmx.%s\tA 127.0.28.%s\n' \
		    "$d" "$d" "$d" "$i"
		i=$((i + 1))
	done
	for d in enf nomatch badcert notls testing dane danebad over \
	    redirect big slow type; do
		printf '_mta-sts.%s\tTXT "v=STSv1; id=1;"\n' "$d"
		printf 'mta-sts.%s\tA %s\n' "$d" "$WEB"
	done
	printf '_mta-sts.wrongname\tTXT "v=STSv1; id=1;"\n'
	printf 'mta-sts.wrongname\tA %s\n' "$WEBBAD"
	# Short-lived, so that a new id is seen at once.
	printf '_mta-sts.cache\t1\tTXT "v=STSv1; " "id=c%s;"\n' "$1"
	printf 'mta-sts.cache\tA %s\n' "$WEBCACHE"
	printf '_%s._tcp.mx.dane\tTLSA 3 1 1 %s\n' "$MXP" "$WRONG_TLSA"
	printf '_%s._tcp.mx.danebad\tTLSA 3 1 1 %s\n' "$MXP" "$GOOD_TLSA"
}
key=$(ns_sign_key "$W/dns" test.)
(
	cd "$W/dns"
	zone 1 >v1.zone
	zone 2 >v2.zone
	ldns-signzone -n -o test. -f v1.signed v1.zone "$key" >/dev/null
	ldns-signzone -n -o test. -f v2.signed v2.zone "$key" >/dev/null
	cp v1.signed test.zone
)
ns_nsd_conf "$W/dns" "$NSD" "$NSD_PORT" test="$W/dns/test.zone"
ns_unbound_conf "$W/dns" "$UB" "$UB_PORT" "$NSD" "$NSD_PORT" \
    "$W/dns/trust-anchor"
nsd_start() {
	nsd -c "$W/dns/nsd.conf" -d >>"$W/dns/nsd.out" 2>&1 &
	NSD_PID=$!
	st_pids="$st_pids $NSD_PID"
}
nsd_start
unbound -c "$W/dns/unbound.conf" -d >"$W/dns/unbound.out" 2>&1 &
st_pids="$st_pids $!"
ns_wait_ad "$UB" "$UB_PORT" _mta-sts.enf.test TXT || {
	echo "unbound did not validate test. in time:" >&2
	tail -n 20 "$W/dns/unbound.out" "$W/dns/unbound.log" \
	    "$W/dns/nsd.out" >&2 2>/dev/null
	exit 1
}
st_ok "unbound validates the signed zone with the _mta-sts records"

# --- HTTPS policy servers --------------------------------------------------
web() { # web NAME ADDR CERT SITE...
	name=$1 addr=$2 cert=$3
	shift 3
	mkdir -p "$W/$name"
	sites=""
	for s in "$@"; do
		sites="$sites --site $s"
	done
	# shellcheck disable=SC2086
	python3 "$TOP/t/lib/httpsserver.py" --listen "$addr:443" \
	    --cert "$P/$cert.chain" --key "$P/$cert.key" --log "$W/$name" \
	    --pidfile "$W/$name.pid" --slow-file "$W/pol/slow.txt" \
	    --lifetime 600 $sites >"$W/$name.out" 2>&1 &
	echo $! >"$W/$name.bgpid"
	st_pids="$st_pids $!"
	st_wait_port "$addr" 443 ||
	    { echo "httpsserver $name did not start:" >&2;
	      cat "$W/$name.out" >&2; exit 1; }
}
sites=""
for d in enf nomatch badcert notls testing dane danebad over; do
	sites="$sites mta-sts.$d.test=file:$W/pol/$d.txt"
done
# shellcheck disable=SC2086
web web "$WEB" names $sites \
    "mta-sts.redirect.test=redirect:https://mta-sts.enf.test/.well-known/mta-sts.txt" \
    "mta-sts.big.test=big:70000" "mta-sts.slow.test=slow:6" \
    "mta-sts.type.test=type:$W/pol/enf.txt"
web webbad "$WEBBAD" wrong "mta-sts.wrongname.test=file:$W/pol/wrongname.txt"
web webcache "$WEBCACHE" names "mta-sts.cache.test=file:$W/pol/cache.txt"

# --- MX hosts ----------------------------------------------------------------
srv() { # srv NAME ADDR CERT|-
	if [ "$3" = - ]; then
		st_srv "$1" "$2:$MXP"
	else
		st_srv "$1" "$2:$MXP" --tls-cert "$P/$3.chain" \
		    --tls-key "$P/$3.key"
	fi
}
srv enf 127.0.28.11 names
srv nomatch 127.0.28.12 names
srv badcert 127.0.28.13 wrong
srv notls 127.0.28.14 -
srv testing 127.0.28.15 wrong
srv cache 127.0.28.16 names
srv dane 127.0.28.17 wrong
srv danebad 127.0.28.18 names
srv wrongname 127.0.28.19 names

printf 'over.test\t127.0.28.12:%s\n' "$MXP" >"$W/map"
printf '%s\n' "dns_servers = $UB:$UB_PORT" "dns_overrides = $W/map" \
    "dns_address_family = ipv4" "dns_timeout = 3s" \
    "state_dir = $W/state" "mx_port = $MXP" "tls_ca_file = $P/ca.crt" \
    "mta_sts_fetch_timeout = 2s" "log_file = $W/log" \
    "connect_timeout = 5s" "command_timeout = 10s" >"$W/conf"
printf 'From: a@b.test\nSubject: mta-sts\n\nbody\n' >"$W/msg"

# dlv NAME RCPT [CONF [MSG]]: deliver; exit status in NAME.rc
dlv() {
	rc=0
	timeout 120 "$SD" deliver -c "${3:-$W/conf}" -f a@b.test -q "Q$1" \
	    -- "$2" <"${4:-$W/msg}" >"$W/$1.out" 2>"$W/$1.err" || rc=$?
	echo "$rc" >"$W/$1.rc"
}
# pol_show NAME DOMAIN: smtpdirect policy into NAME.pol
pol_show() {
	timeout 60 "$SD" policy -c "$W/conf" "$2" >"$W/$1.pol" 2>&1 || true
}
# mails DIR: messages a server received
mails() {
	find "$W/$1" -name 'msg-*.eml' 2>/dev/null | wc -l
}
# fetches HOST: policy GETs the good server answered for HOST
fetches() {
	grep -c "^$1 GET /.well-known/mta-sts.txt" "$W/web/requests.log" \
	    2>/dev/null || true
}
# conns NAME: connections a server saw
conns() {
	cat "$W/$1/commands.log" 2>/dev/null | grep -c ' connect' || true
}
# wait_log REGEX: until the log matches (bounded)
wait_log() {
	n=0
	until grep -Eq -- "$1" "$W/log" 2>/dev/null || [ $n -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}

# --- enforce -----------------------------------------------------------------
dlv enf r@enf.test
st_rc "enforce, matching MX with a good certificate: delivered" "$W/enf" 0
st_grep "enforce: verified TLS, logged with the policy" \
    'Qenf: relay=mx\.enf\.test\[127\.0\.28\.11\]:28225, tls=TLSv1\.[23] .*trust=verified, mta-sts=enforce' \
    "$W/log"
st_eq "enforce: the message arrived" "$(mails enf)" 1
st_eq "enforce: the policy was fetched once" "$(fetches mta-sts.enf.test)" 1
dlv enf2 s@enf.test
st_rc "enforce again: delivered" "$W/enf2" 0
st_eq "enforce again: from the cache, no fetch" \
    "$(fetches mta-sts.enf.test)" 1
pol_show enf enf.test
st_grep "policy command: the policy" \
    '^policy: id 1, mode enforce, max_age 604800$' "$W/enf.pol"
st_grep "policy command: from the cache, with its expiry" \
    '^source: cache, fetched .* UTC, expires .* UTC \(in [0-9]+ s\)$' \
    "$W/enf.pol"
st_grep "policy command: what deliver does" \
    'mx\.enf\.test\[127\.0\.28\.11\]:28225: MTA-STS enforce: STARTTLS, certificate verified for mx\.enf\.test' \
    "$W/enf.pol"

dlv nomatch r@nomatch.test
st_rc "enforce, MX not in the policy: deferred" "$W/nomatch" 75
st_grep "MX not in the policy: 4.7.5 with the reason" \
    '^4\.7\.5 MX host mx\.nomatch\.test does not match the MTA-STS policy of nomatch\.test' \
    "$W/nomatch.err"
st_eq "MX not in the policy: nothing sent, no connection" \
    "$(conns nomatch)" 0
pol_show nomatch nomatch.test
st_grep "policy command: not tried" \
    'mx\.nomatch\.test\[127\.0\.28\.12\]:28225: not tried: 4\.7\.5 MX host' \
    "$W/nomatch.pol"

dlv badcert r@badcert.test
st_rc "enforce, certificate for another name: deferred" "$W/badcert" 75
st_grep "bad certificate: 4.7.5 naming the policy" \
    '^4\.7\.5 server certificate of mx\.badcert\.test\[127\.0\.28\.13\]:28225 not verified: .*\(MTA-STS policy of badcert\.test: enforce\)$' \
    "$W/badcert.err"
st_nogrep "bad certificate: no MAIL, no plaintext retry" 'in MAIL' \
    "$W/badcert/commands.log"

dlv notls r@notls.test
st_rc "enforce (wildcard), no STARTTLS: deferred" "$W/notls" 75
st_grep "no STARTTLS: 4.7.5, never plaintext" \
    '^4\.7\.5 TLS is required, but was not offered by host mx\.notls\.test.*\(MTA-STS policy of notls\.test: enforce\)$' \
    "$W/notls.err"
st_nogrep "no STARTTLS: no MAIL" 'in MAIL' "$W/notls/commands.log"

# --- testing -----------------------------------------------------------------
dlv testing r@testing.test
st_rc "testing, bad certificate: delivered" "$W/testing" 0
st_eq "testing: the message arrived" "$(mails testing)" 1
st_grep "testing: the failure is logged" \
    'Qtesting: MTA-STS policy of testing\.test \(testing\): mx\.testing\.test\[127\.0\.28\.15\]:28225: .*; delivered anyway' \
    "$W/log"

# --- DANE first -------------------------------------------------------------
dlv dane r@dane.test
st_rc "DANE and MTA-STS, MX not in the policy: DANE decides, delivered" \
    "$W/dane" 0
st_grep "DANE decides: verified by its TLSA records, no MTA-STS" \
    'Qdane: relay=mx\.dane\.test\[127\.0\.28\.17\]:28225, tls=.*trust=verified dane$' \
    "$W/log"
dlv danebad r@danebad.test
st_rc "DANE mismatch, certificate good for MTA-STS: deferred" \
    "$W/danebad" 75
st_grep "DANE failure not rescued by MTA-STS" \
    '^4\.7\.5 server certificate of mx\.danebad\.test\[127\.0\.28\.18\]:28225 not verified by its TLSA records' \
    "$W/danebad.err"

# --- TLS-Required: No (RFC 8689) ----------------------------------------------
# The sender asks for delivery despite the recipient's TLS policies, as
# TLS reports do: opportunistic TLS to every MX host, nothing fetched.
printf 'From: a@b.test\nSubject: report\nTLS-Required: No\n\nbody\n' \
    >"$W/msg-tlsno"
sed 's/^log_file = .*/&-off/' "$W/conf" >"$W/conf-off"
echo "tls_required_header = no" >>"$W/conf-off"
n_bad=$(mails badcert)
dlv badcertno r@badcert.test "$W/conf" "$W/msg-tlsno"
st_rc "TLS-Required: No, enforce, bad certificate: delivered" \
    "$W/badcertno" 0
st_eq "TLS-Required: No: the message arrived" \
    "$(mails badcert)" $((n_bad + 1))
st_grep "TLS-Required: No: over TLS, the relay line says so" \
    'Qbadcertno: relay=mx\.badcert\.test\[127\.0\.28\.13\]:28225, tls=TLSv1\.3 .*, tls-required=no$' \
    "$W/log"
dlv notlsno r@notls.test "$W/conf" "$W/msg-tlsno"
st_rc "TLS-Required: No, enforce, no STARTTLS: delivered" "$W/notlsno" 0
st_grep "TLS-Required: No, no STARTTLS: in plaintext" \
    'Qnotlsno: relay=.*, tls=none \(STARTTLS not offered\), tls-required=no$' \
    "$W/log"
dlv nomatchno r@nomatch.test "$W/conf" "$W/msg-tlsno"
st_rc "TLS-Required: No, MX not in the policy: delivered" "$W/nomatchno" 0
dlv danebadno r@danebad.test "$W/conf" "$W/msg-tlsno"
st_rc "TLS-Required: No, DANE mismatch: delivered" "$W/danebadno" 0
dlv badcertoff r@badcert.test "$W/conf-off" "$W/msg-tlsno"
st_rc "tls_required_header = no: the policy holds, deferred" \
    "$W/badcertoff" 75
st_grep "tls_required_header = no: 4.7.5 naming the policy" \
    '\(MTA-STS policy of badcert\.test: enforce\)$' "$W/badcertoff.err"

# --- override ---------------------------------------------------------------
dlv over r@over.test
st_rc "override line: not subject to the domain's policy" "$W/over" 0
st_eq "override: no policy fetched" "$(fetches mta-sts.over.test)" 0

# --- policy servers that serve badly ------------------------------------------
pol_show wrongname wrongname.test
st_grep "policy server with a certificate for another name" \
    '^fetch: sts-webpki-invalid: ' "$W/wrongname.pol"
st_grep "certificate for another name: no policy" '^policy: none$' \
    "$W/wrongname.pol"
dlv wrongname r@wrongname.test
st_rc "no policy could be had: delivered as without one" "$W/wrongname" 0
pol_show redirect redirect.test
st_grep "redirect refused" \
    '^fetch: sts-policy-fetch-error: .*redirect \(HTTP 302\), which is not followed' \
    "$W/redirect.pol"
pol_show big big.test
st_grep "70 KiB refused" \
    '^fetch: sts-policy-fetch-error: .*larger than 65536 bytes' "$W/big.pol"
t0=$(st_now_ms)
pol_show slow slow.test
t1=$(st_now_ms)
st_grep "slow server: timed out" '^fetch: sts-policy-fetch-error: .*[Tt]ime' \
    "$W/slow.pol"
st_eq "slow server: given up within the fetch time limit" \
    "$([ $((t1 - t0)) -lt 5000 ] && echo yes || echo "no: $((t1 - t0)) ms")" yes
pol_show type type.test
st_grep "text/html refused" \
    '^fetch: sts-policy-fetch-error: .*Content-Type "text/html", not text/plain' \
    "$W/type.pol"

# --- the cache when the policy server is down ---------------------------------
dlv cache1 r@cache.test
st_rc "cache: first delivery, policy fetched" "$W/cache1" 0
st_stop webcache
st_stop cache
srv cachenotls 127.0.28.16 -
dlv cache2 s@cache.test
st_rc "policy server down, MX without STARTTLS: the cached enforce policy applies" \
    "$W/cache2" 75
st_grep "cached policy: 4.7.5, no plaintext" \
    '^4\.7\.5 TLS is required.*\(MTA-STS policy of cache\.test: enforce\)$' \
    "$W/cache2.err"
# A new id, the server still down: the cached policy still applies, and
# the refetch happens after the message, not on its way.
cp "$W/dns/v2.signed" "$W/dns/test.zone"
st_kill "$NSD_PID"
nsd_start
sleep 2
dlv cache3 t@cache.test
st_rc "new id, server down: the cached policy still applies" "$W/cache3" 75
wait_log 'cache\.test: MTA-STS refresh: .*the cached policy stays'
st_grep "new id: refetch after the message, failed, cached policy kept" \
    'cache\.test: MTA-STS refresh: .*the cached policy stays' "$W/log"
pol_show cache cache.test
st_grep "policy command: still the cached policy" \
    '^policy: id c1, mode enforce' "$W/cache.pol"
st_nogrep "cached policy: nothing sent in plaintext" 'in MAIL' \
    "$W/cachenotls/commands.log"
st_done
