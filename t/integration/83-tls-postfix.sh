#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 83-tls-postfix: smtpdirect deliver against a real Postfix smtpd with
# STARTTLS (a private instance, t/lib/postfix.sh), one smtpd listener per
# server kind: good certificate (private CA, the address in its names),
# self-signed, wrong name, no STARTTLS, and a server that only speaks
# TLSv1.1 (the handshake fails). Each tls_policy gets the outcome Postfix's
# own client would give: may delivers (in plaintext when the handshake
# fails), encrypt and verify defer (exit 75, 4.7.x) where their demands
# are not met. Loopback 127.0.9.60, ports 25960-25969.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/tls_test.sh
. "$TOP/t/lib/tls_test.sh"

pf_require
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
[ -x "$SD" ] || fail "$SD is not built (make)"
A=127.0.9.60
P=$WORK/pki
tls_make_certs "$P"
chmod 755 "$P"
chmod 644 "$P"/*.key

pf_init "$A" 25960
pf_conf "default_transport = discard:tls test"
pf_tls "$P/good.key" "$P/good.chain" may
# One listener per server kind, each overriding main.cf.
listener() { # listener PORT -o NAME=VALUE...
	local port=$1
	shift
	printf '%s:%s inet n - n - - smtpd %s\n' "$A" "$port" "$*" \
	    >>"$PF_CONF/master.cf"
}
listener 25961 -o "smtpd_tls_chain_files=$P/self.key,$P/self.chain"
listener 25962 -o "smtpd_tls_chain_files=$P/wrong.key,$P/wrong.chain"
listener 25963 -o smtpd_tls_security_level=none
listener 25964 -o "smtpd_tls_protocols=TLSv1.1" \
    -o "smtpd_tls_mandatory_protocols=TLSv1.1" \
    -o "tls_medium_cipherlist=DEFAULT:@SECLEVEL=0"
pf_start
for p in 25961 25962 25963 25964; do
	wait_port "$A" "$p"
done

cat >"$WORK/map" <<MAP
good.test	$A:25960
self.test	$A:25961
wrong.test	$A:25962
notls.test	$A:25963
old.test	$A:25964
MAP
conf() { # conf FILE POLICY
	printf '%s\n' "dns_servers = 127.0.9.99:25999" \
	    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
	    "tls_ca_file = $P/ca.crt" "tls_policy = $2" \
	    "log_file = $WORK/sd.log" "connect_timeout = 5s" \
	    "command_timeout = 15s" "helo_name = smtpdirect.test" >"$1"
}
printf 'From: a@origin.test\nSubject: tls\n\nbody\n' >"$WORK/msg"
failures=0
n=0

# try POLICY DOMAIN WANT_EXIT [LOG_REGEX [STDERR_REGEX]]
try() {
	local policy=$1 dom=$2 want=$3 logre=${4:-} errre=${5:-} rc=0 q
	n=$((n + 1))
	q=Q$n
	conf "$WORK/conf-$policy" "$policy"
	timeout 120 "$SD" deliver -c "$WORK/conf-$policy" -f a@origin.test \
	    -q "$q" -- "r@$dom" <"$WORK/msg" 2>"$WORK/$q.err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "not ok - $policy to $dom: exit $rc, want $want" \
		    "($(cat "$WORK/$q.err"))"
		failures=$((failures + 1))
	elif [ -n "$logre" ] && ! grep -Eq -- "$q: relay=[^ ]+, $logre" \
	    "$WORK/sd.log"; then
		echo "not ok - $policy to $dom: no /$logre/ in the log:"
		grep "$q:" "$WORK/sd.log" | sed 's/^/#   /'
		failures=$((failures + 1))
	elif [ -n "$errre" ] && ! grep -Eq -- "$errre" "$WORK/$q.err"; then
		echo "not ok - $policy to $dom: stderr $(cat "$WORK/$q.err")," \
		    "want /$errre/"
		failures=$((failures + 1))
	else
		echo "ok - $policy to $dom: exit $rc"
	fi
}

V='tls=TLSv1\.[23] cipher [^ ]+ \([0-9]+/[0-9]+ bits\) trust=verified'
U='tls=TLSv1\.[23] cipher [^ ]+ \([0-9]+/[0-9]+ bits\) trust=untrusted'
try none good.test 0 'tls=none$'
try may good.test 0 "$V"
try may self.test 0 "$U"
try may wrong.test 0 "$U"
try may notls.test 0 'tls=none \(STARTTLS not offered\)'
try may old.test 0 'tls=none \(TLS handshake with .* failed: .*; retried in plaintext\)'
try encrypt good.test 0 "$V"
try encrypt self.test 0 "$U"
try encrypt notls.test 75 '' '^4\.7\.4 TLS is required, but was not offered'
try encrypt old.test 75 '' '^4\.7\.5 TLS handshake with .*25964 failed'
try verify good.test 0 "$V"
try verify self.test 75 '' '^4\.7\.5 server certificate of .* not verified: self.signed'
try verify wrong.test 75 '' '^4\.7\.5 server certificate of .* not verified: IP address mismatch'
try verify notls.test 75 '' '^4\.7\.4 '
try verify old.test 75 '' '^4\.7\.5 TLS handshake'

# Postfix saw TLS where we said so, and plaintext on the fallback.
pf_wait_log 'TLS connection established from' 10
if pf_log | grep -q 'smtpd.*TLS connection established from.*TLSv1\.3'; then
	echo "ok - Postfix logged the TLSv1.3 connections"
else
	echo "not ok - no TLSv1.3 connection in Postfix's log"
	failures=$((failures + 1))
fi
sent=$(grep -c 'status=sent' "$WORK/sd.log" || true)
if [ "$sent" -eq 9 ]; then
	echo "ok - nine messages delivered to Postfix"
else
	echo "not ok - $sent messages delivered, want 9"
	failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "all checks passed"
