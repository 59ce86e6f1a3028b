#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 84-implicit-tls: relays that expect TLS from the first byte (RFC 8314,
# port 465). Against a real Postfix smtpd with smtpd_tls_wrappermode (a
# private instance, one listener on port 465 and one on another port) and
# t/lib/smtpserver.py in implicit mode with AUTH: $tls:implicit and a
# target on port 465 without $tls: connect with TLS at once, verify the
# certificate, authenticate over it; a STARTTLS-only server named
# $tls:implicit, and a wrong certificate, defer (4.7.5) and nothing goes in
# plaintext; tls_policy = implicit is refused (an MX is never port 465).
# Loopback 127.0.9.3 (in the test CA's certificate), ports 465 and
# 25970-25979.
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
A=127.0.9.3
P=$WORK/pki
tls_make_certs "$P"
chmod 755 "$P"
chmod 644 "$P"/*.key

pf_init "$A" 25970
pf_conf "default_transport = discard:implicit test"
pf_tls "$P/good.key" "$P/good.chain" encrypt
for port in 465 25971; do
	printf '%s:%s inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n' \
	    "$A" "$port" >>"$PF_CONF/master.cf"
done
pf_start
wait_port "$A" 465
wait_port "$A" 25971
mta_on_fail pf_log

# smtpserver.py: implicit TLS with AUTH; and one with a wrong certificate.
mkdir -p "$WORK/auth" "$WORK/wrong"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$A:25972" \
    --dir "$WORK/auth" --tls-implicit --tls-cert "$P/good.chain" \
    --tls-key "$P/good.key" --auth 'fred:s3cret'
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$A:25973" \
    --dir "$WORK/wrong" --tls-implicit --tls-cert "$P/wrong.chain" \
    --tls-key "$P/wrong.key"
wait_port "$A" 25972
wait_port "$A" 25973

cat >"$WORK/map" <<MAP
p465.test	$A:465
wrapper.test	$A:25971	\$tls:implicit
auth.test	fred:s3cret@$A:25972	\$tls:implicit
wrong.test	$A:25973	\$tls:implicit
starttls.test	$A:25970	\$tls:implicit
MAP
chmod 600 "$WORK/map"
conf() { # conf FILE [LINE]
	printf '%s\n' "dns_servers = 127.0.9.99:25979" \
	    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
	    "tls_ca_file = $P/ca.crt" "log_file = $WORK/sd.log" \
	    "connect_timeout = 5s" "command_timeout = 10s" \
	    "helo_name = smtpdirect.test" ${2:+"$2"} >"$1"
}
conf "$WORK/conf"
printf 'From: a@origin.test\nSubject: implicit\n\nbody\n' >"$WORK/msg"
failures=0
n=0
# try DOMAIN WANT_EXIT REGEX: the log line (0) or stderr (75) matches
try() {
	local rc=0 q
	n=$((n + 1))
	q=Q$n
	timeout 60 "$SD" deliver -c "$WORK/conf" -f a@origin.test -q "$q" \
	    -- "r@$1" <"$WORK/msg" 2>"$WORK/$q.err" || rc=$?
	if [ "$rc" -ne "$2" ]; then
		echo "not ok - $1: exit $rc, want $2 ($(cat "$WORK/$q.err"))"
		failures=$((failures + 1))
	elif [ "$2" -eq 0 ] && ! grep -Eq -- "$q: relay=[^ ]+, $3" "$WORK/sd.log"; then
		echo "not ok - $1: no /$3/ in the log:"
		grep "$q:" "$WORK/sd.log" | sed 's/^/#   /'
		failures=$((failures + 1))
	elif [ "$2" -ne 0 ] && ! grep -Eq -- "$3" "$WORK/$q.err"; then
		echo "not ok - $1: stderr $(cat "$WORK/$q.err"), want /$3/"
		failures=$((failures + 1))
	else
		echo "ok - $1: exit $rc"
	fi
}

V='tls=TLSv1\.[23] cipher [^ ]+ \([0-9]+/[0-9]+ bits\) trust=verified'
try p465.test 0 "$V"
try wrapper.test 0 "$V"
try auth.test 0 "$V"
try wrong.test 75 '^4\.7\.5 server certificate of .*25973 not verified'
try starttls.test 75 '^4\.7\.5 TLS handshake with .*25970 failed'

# Postfix took TLS at connect on both listeners; smtpserver.py saw AUTH
# only over TLS; nothing reached the STARTTLS server in plaintext.
if [ "$(pf_log | grep -c 'TLS connection established from')" -ge 2 ]; then
	echo "ok - Postfix logged TLS on the wrapper-mode listeners"
else
	echo "not ok - Postfix logged no TLS connection"
	failures=$((failures + 1))
fi
if grep -q "user=b'fred' .*tls=yes code=235" "$WORK/auth/auth.log" 2>/dev/null; then
	echo "ok - AUTH over implicit TLS"
else
	echo "not ok - no AUTH over TLS: $(cat "$WORK/auth/auth.log" 2>/dev/null)"
	failures=$((failures + 1))
fi
if pf_log | grep -q 'smtpd.*25970.*MAIL\|from=<a@origin.test>.*25970'; then
	echo "not ok - the STARTTLS server got mail"
	failures=$((failures + 1))
fi

# route says what deliver does; tls_policy = implicit is refused.
"$SD" route -c "$WORK/conf" r@p465.test >"$WORK/route" 2>&1 || true
grep -q "tls implicit" "$WORK/route" &&
	echo "ok - route shows tls implicit for port 465" ||
	{ echo "not ok - route: $(cat "$WORK/route")"; failures=$((failures + 1)); }
conf "$WORK/conf-bad" "tls_policy = implicit"
if "$SD" route -c "$WORK/conf-bad" r@p465.test >"$WORK/bad" 2>&1; then
	echo "not ok - tls_policy = implicit accepted"
	failures=$((failures + 1))
else
	echo "ok - tls_policy = implicit refused: $(head -n 1 "$WORK/bad")"
fi

[ "$failures" -eq 0 ] || fail "$failures checks failed"
echo "84: implicit TLS relays: ok"
