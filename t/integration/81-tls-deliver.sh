#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 81-tls-deliver: smtpdirect deliver with override lines that carry
# $tls: policies and %XX-escaped credentials, against
# t/lib/smtpserver.py with STARTTLS and AUTH: exit statuses, the stderr
# line, the syslog lines (tls=..., caught on a private /dev/log), and
# the password in none of stderr, syslog, -v traces or route's output.
# A replaced CA bundle is read at once (by a worker too).
# Loopback 127.0.9.0/24, ports 25920-25939.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/tls_test.sh"
SD=${SMTPDIRECT:-$TOP/transport/smtpdirect}

if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: python3 not installed"
	exit 77
fi
tls_need_tools
if ! unshare --mount --propagation private true 2>/dev/null; then
	echo "skipped: no mount namespaces here (syslog cannot be caught)"
	exit 77
fi
st_init 81-tls
A=127.0.9.2
P=$W/pki
tls_make_certs "$P"
CRED='fred%40x.test:p%3Ass%40w0rd'
PASS='p:ss@w0rd'
tls_syslog_start

st_srv good "$A:25921" --tls-cert "$P/good.chain" --tls-key "$P/good.key" \
    --auth "$CRED"
st_srv notls "$A:25922" --auth "$CRED"
st_srv self "$A:25923" --tls-cert "$P/self.chain" --tls-key "$P/self.key"
st_srv drop "$A:25924" --tls-cert "$P/good.chain" --tls-key "$P/good.key" \
    --tls-fail drop

cat >"$W/map" <<MAP
auth.test   $CRED@$A:25921   \$tls:verify
bad.test    fred%40x.test:wrong%3Apw@$A:25921
plain.test  $CRED@$A:25922
self.test   $A:25923   \$tls:verify
may.test    $A:25923
drop.test   $A:25924
enc.test    $A:25922   \$tls:encrypt
MAP
chmod 600 "$W/map"
conf() { # conf FILE [extra lines]
	f=$1
	shift
	printf '%s\n' "dns_overrides = $W/map" "state_dir = $W/state" \
	    "tls_ca_file = $P/ca.crt" "connect_timeout = 5s" \
	    "command_timeout = 10s" "$@" >"$f"
}
conf "$W/conf"
printf 'From: a@b.test\nSubject: tls\n\nbody\n' >"$W/msg"

# dlv OUT RCPT [CONF [LOGGED]]: deliver -v in the private namespace, rc
# in OUT.rc; then wait until syslog has LOGGED (default: the to= line)
dlv() {
	rc=0
	tls_ns "$SD" deliver -v -c "${3:-$W/conf}" -f a@b.test -q "Q$1" -- \
	    "$2" <"$W/msg" >"$W/$1.out" 2>"$W/$1.err" || rc=$?
	echo "$rc" >"$W/$1.rc"
	tls_syslog_wait "${4:-Q$1: to=<}"
}

# --- policies and AUTH through deliver ----------------------------------
dlv auth a@auth.test
st_rc "verify + AUTH: delivered" "$W/auth" 0
st_grep "verify + AUTH: syslog tls line" \
    "Qauth: relay=127\\.0\\.9\\.2\\[127\\.0\\.9\\.2\\]:25921, tls=TLSv1\\.3 cipher [A-Z0-9_]+ \\([0-9]+/[0-9]+ bits\\) trust=verified" \
    "$W/syslog"
st_grep "verify + AUTH: %40 and %3A decoded, over TLS" \
    "mech=PLAIN user=b'fred@x.test' pass=b'p:ss@w0rd' tls=yes code=235" \
    "$W/good/auth.log"
st_eq "verify + AUTH: stderr empty" "$(wc -c <"$W/auth.err" | tr -d ' ')" 0

dlv bad b@bad.test
st_rc "AUTH 535: deferred (exit 75)" "$W/bad" 75
st_grep "AUTH 535: stderr line, 4.x.x, the server's words" \
    '^4\.7\.8 SASL PLAIN authentication failed; server 127\.0\.9\.2\[127\.0\.9\.2\]:25921 said: 535 5\.7\.8 Error: authentication failed' \
    "$W/bad.err"
st_grep "AUTH 535: logged deferred" 'Qbad: to=<b@bad.test>.*status=deferred' \
    "$W/syslog"
st_grep "AUTH 535: the wrong password arrived decoded" \
    "pass=b'wrong:pw' tls=yes code=535" "$W/good/auth.log"

dlv plain c@plain.test
st_rc "no STARTTLS, credentials: deferred" "$W/plain" 75
st_grep "no STARTTLS, credentials: 4.7.10" \
    '^4\.7\.10 credentials for 127\.0\.9\.2\[127\.0\.9\.2\]:25922 not sent without TLS' \
    "$W/plain.err"
st_nogrep "no STARTTLS, credentials: no AUTH sent" 'in AUTH' \
    "$W/notls/commands.log"
st_nogrep "no STARTTLS, credentials: no MAIL sent" 'in MAIL' \
    "$W/notls/commands.log"

dlv self d@self.test
st_rc "verify, self-signed: deferred" "$W/self" 75
st_grep "verify, self-signed: 4.7.5 reason" \
    '^4\.7\.5 server certificate of 127\.0\.9\.2\[127\.0\.9\.2\]:25923 not verified: self.signed certificate' \
    "$W/self.err"

dlv may e@may.test
st_rc "may, self-signed: delivered" "$W/may" 0
st_grep "may, self-signed: syslog trust=untrusted" \
    'Qmay: relay=.*:25923, tls=TLSv1\.3 .*trust=untrusted' "$W/syslog"

dlv drop f@drop.test
st_rc "may, handshake fails: delivered in plaintext" "$W/drop" 0
st_grep "may, handshake fails: syslog says so" \
    'Qdrop: relay=.*:25924, tls=none \(TLS handshake with .* failed: .*; retried in plaintext\)' \
    "$W/syslog"

dlv enc g@enc.test
st_rc "encrypt, no STARTTLS: deferred" "$W/enc" 75
st_grep "encrypt, no STARTTLS: 4.7.4" \
    '^4\.7\.4 TLS is required, but was not offered by host 127\.0\.9\.2\[127\.0\.9\.2\]:25922' \
    "$W/enc.err"

conf "$W/conf-none" "tls_policy = none"
mark=$(wc -l <"$W/self/commands.log")
dlv none h@may.test "$W/conf-none"
st_rc "tls_policy = none: delivered" "$W/none" 0
st_grep "tls_policy = none: syslog tls=none" 'Qnone: relay=.*, tls=none$' \
    "$W/syslog"
tail -n +"$((mark + 1))" "$W/self/commands.log" >"$W/none.cmds"
st_nogrep "tls_policy = none: no STARTTLS" 'in STARTTLS' "$W/none.cmds"

conf "$W/conf-bad" "tls_min_version = SSLv3"
dlv badver i@may.test "$W/conf-bad" 'deferred: 4\.3\.5 .*tls_min_version'
st_rc "tls_min_version unknown: deferred" "$W/badver" 75
st_grep "tls_min_version unknown: 4.3.5" '^4\.3\.5 .*tls_min_version' \
    "$W/badver.err"
conf "$W/conf-13" "tls_min_version = TLSv1.3"
dlv v13 j@auth.test "$W/conf-13"
st_rc "tls_min_version TLSv1.3: delivered" "$W/v13" 0

# --- a changed CA bundle is read at once, by a worker too ----------------
# (a deliver hands its message to a worker by default, and a worker keeps
# its TLS context; the context is made anew when tls_ca_file changes)
dlv ca1 k@auth.test
st_rc "CA bundle: verified and delivered" "$W/ca1" 0
cp "$P/ca.crt" "$P/ca.crt.orig"
cp "$P/self.crt" "$P/ca.crt"
dlv ca2 l@auth.test
st_rc "CA bundle replaced: the server is no longer trusted" "$W/ca2" 75
st_grep "CA bundle replaced: 4.7.5, not verified" \
    '^4\.7\.5 server certificate of .* not verified' "$W/ca2.err"
cp "$P/ca.crt.orig" "$P/ca.crt"
dlv ca3 m@auth.test
st_rc "CA bundle restored: delivered again" "$W/ca3" 0

# --- route shows the policy and that credentials are used, never them ---
"$SD" route -c "$W/conf" -o text x@auth.test >"$W/route.out" 2>&1 || true
st_grep "route: policy and credentials shown" \
    'tls verify, credentials: yes' "$W/route.out"

# --- secrets --------------------------------------------------------------
B64PLAIN=$(printf '\000fred@x.test\000%s' "$PASS" | base64 | tr -d '\n')
B64PASS=$(printf '%s' "$PASS" | base64 | tr -d '\n')
leaks=0
for f in "$W/syslog" "$W"/*.err "$W"/*.out "$W/route.out"; do
	if grep -qF -e "$PASS" -e "$B64PLAIN" -e "$B64PASS" -e 'p%3Ass' \
	    -e 'wrong%3Apw' -e 'wrong:pw' "$f"; then
		echo "# password in $f"
		leaks=$((leaks + 1))
	fi
done
st_eq "password never in stderr, syslog, -v trace or route output" \
    "$leaks" 0
st_grep "-v trace reached syslog, AUTH masked" 'AUTH PLAIN \*\*\*\*\*\*\*\*' \
    "$W/syslog"
st_done
