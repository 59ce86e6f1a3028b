#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 80-tls: STARTTLS policies, DANE with given TLSA records, and AUTH, with
# the session driver t/tools/smtp_send against t/lib/smtpserver.py
# (STARTTLS through Python's ssl module, AUTH recording what arrived),
# with certificates made here by the openssl command: a private CA, a
# server certificate for mx.accept.test, one for wrong.test and a
# self-signed one. Outcomes are Postfix's: may falls back to plaintext,
# encrypt and verify defer. Loopback 127.0.9.0/24, ports 25900-25949.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/tls_test.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: python3 not installed"
	exit 77
fi
tls_need_tools
st_init 80-tls
A=127.0.9.2
P=$W/pki
tls_make_certs "$P"
CRED='fred%40x.test:p%3Ass%40w0rd'
PASS='p:ss@w0rd'
USER='fred@x.test'

printf 'From: a@b.test\nSubject: tls\n\nbody\n' >"$W/msg"

# srv NAME PORT CERT [options]: smtpserver with STARTTLS (CERT "-": none)
srv() {
	name=$1 port=$2 cert=$3
	shift 3
	if [ "$cert" = - ]; then
		st_srv "$name" "$A:$port" --auth "$CRED" "$@"
	else
		st_srv "$name" "$A:$port" --tls-cert "$P/$cert.chain" \
		    --tls-key "$P/$cert.key" --auth "$CRED" "$@"
	fi
}
srv good 25901 good
srv self 25902 self
srv wrong 25903 wrong
srv notls 25904 -
srv drop 25905 good --tls-fail drop
srv garbage 25906 good --tls-fail garbage
srv refuse 25907 good --reply "starttls=454 4.7.0 TLS not available"
srv inject 25908 good --tls-fail inject
srv old 25909 good --tls-max TLSv1.1
srv login 25910 good --auth-mechs LOGIN
srv cram 25911 good --auth-mechs CRAM-MD5
srv tlsauth 25912 good --auth-tls-only
srv noauth 25913 good --auth-mechs ""

# mark NAME: remember how long a server's command log is
mark() {
	wc -l <"$W/$1/commands.log" | tr -d ' ' >"$W/$1.mark"
}

# since NAME: the server's commands after the last mark
since() {
	tail -n +"$(($(cat "$W/$1.mark") + 1))" "$W/$1/commands.log" \
	    >"$W/$1.since"
	echo "$W/$1.since"
}

# send OUT NAME PORT [smtp_send options]: to mx.accept.test on PORT
send() {
	out=$W/$1 name=$2 port=$3
	shift 3
	st_send "$out" "$W/msg" -v -C "$P/ca.crt" "$@" -f a@b.test \
	    -s "mx.accept.test[$A]:$port" r@x.test
}

# --- may ----------------------------------------------------------------
send may-good good 25901 -L may
st_rc "may, good certificate: sent" "$W/may-good" 0
st_grep "may, good: TLSv1.3, verified" \
    'tls=TLSv1\.3 cipher [A-Z0-9_]+ \([0-9]+/[0-9]+ bits\) trust=verified' \
    "$W/may-good"
st_grep "may, good: server saw TLS and SNI" \
    'ok TLSv1\.3 .* sni=mx\.accept\.test' "$W/good/tls.log"
st_grep "may, good: message over TLS" '^tls: TLSv1\.3' "$W/good/msg-0001.env"
send may-self self 25902 -L may
st_rc "may, self-signed: sent" "$W/may-self" 0
st_grep "may, self-signed: untrusted TLS" 'tls=TLSv1\.3 .*trust=untrusted' \
    "$W/may-self"
send may-notls notls 25904 -L may
st_rc "may, no STARTTLS: sent in plaintext" "$W/may-notls" 0
st_grep "may, no STARTTLS: tls=none noted" \
    'tls=none \(STARTTLS not offered\)' "$W/may-notls"
send may-drop drop 25905 -L may
st_rc "may, handshake dropped: sent in plaintext" "$W/may-drop" 0
st_grep "may, handshake dropped: retried in plaintext" \
    'tls=none \(TLS handshake with .* failed: .*; retried in plaintext\)' \
    "$W/may-drop"
st_eq "may, handshake dropped: two connections" \
    "$(grep -c ' connect ' "$W/drop/commands.log")" 2
st_grep "may, handshake dropped: second one plaintext" '^tls: none' \
    "$W/drop/msg-0001.env"
send may-garbage garbage 25906 -L may
st_rc "may, garbage handshake: sent in plaintext" "$W/may-garbage" 0
st_grep "may, garbage: retried" 'retried in plaintext' "$W/may-garbage"
send may-refuse refuse 25907 -L may
st_rc "may, STARTTLS refused: sent in plaintext" "$W/may-refuse" 0
st_grep "may, refused: noted" 'tls=none \(STARTTLS refused: 454 4\.7\.0' \
    "$W/may-refuse"
st_eq "may, refused: same connection" \
    "$(grep -c ' connect ' "$W/refuse/commands.log")" 1
send may-inject inject 25908 -L may
st_rc "may, data injected before handshake: plaintext retry" \
    "$W/may-inject" 0
st_grep "may, injected: noted" 'sent data after its STARTTLS reply' \
    "$W/may-inject"
send may-old old 25909 -L may
st_rc "may, server below TLSv1.2: plaintext retry" "$W/may-old" 0
st_grep "may, below TLSv1.2: handshake failed" \
    'tls=none \(TLS handshake .* failed' "$W/may-old"
send may-old11 old 25909 -L may -V TLSv1.1
st_rc "tls_min_version TLSv1.1: sent" "$W/may-old11" 0
st_grep "tls_min_version TLSv1.1: TLSv1.1 used" 'tls=TLSv1\.1 ' \
    "$W/may-old11"

# --- none ---------------------------------------------------------------
send none-good good 25901 -L none
st_rc "none: sent" "$W/none-good" 0
st_grep "none: tls=none" 'tls=none$' "$W/none-good"
st_nogrep "none: STARTTLS never sent" '> STARTTLS' "$W/none-good.err"

# --- encrypt ------------------------------------------------------------
send enc-self self 25902 -L encrypt
st_rc "encrypt, self-signed: sent" "$W/enc-self" 0
st_grep "encrypt, self-signed: untrusted" 'trust=untrusted' "$W/enc-self"
mark notls
send enc-notls notls 25904 -L encrypt
st_rc "encrypt, no STARTTLS: deferred" "$W/enc-notls" 75
st_grep "encrypt, no STARTTLS: 4.7.4" \
    'dsn=4\.7\.4 .*TLS is required, but was not offered by host mx\.accept\.test\[127\.0\.9\.2\]:25904' \
    "$W/enc-notls"
st_nogrep "encrypt, no STARTTLS: no MAIL" 'in MAIL' "$(since notls)"
send enc-drop drop 25905 -L encrypt
st_rc "encrypt, handshake dropped: deferred" "$W/enc-drop" 75
st_grep "encrypt, handshake dropped: 4.7.5" \
    'dsn=4\.7\.5 .*TLS handshake with mx\.accept\.test\[127\.0\.9\.2\]:25905 failed' \
    "$W/enc-drop"
send enc-refuse refuse 25907 -L encrypt
st_rc "encrypt, STARTTLS refused: deferred" "$W/enc-refuse" 75
st_grep "encrypt, refused: the server's words" \
    'code=454 TLS is required, but host .* refused to start TLS: 454 4\.7\.0 TLS not available' \
    "$W/enc-refuse"
send enc-old old 25909 -L encrypt
st_rc "encrypt, server below TLSv1.2: deferred" "$W/enc-old" 75

# --- verify -------------------------------------------------------------
send ver-good good 25901 -L verify
st_rc "verify, good: sent" "$W/ver-good" 0
st_grep "verify, good: verified" 'trust=verified' "$W/ver-good"
mark self
send ver-self self 25902 -L verify
st_rc "verify, self-signed: deferred" "$W/ver-self" 75
st_grep "verify, self-signed: reason" \
    'dsn=4\.7\.5 .*server certificate of mx\.accept\.test\[127\.0\.9\.2\]:25902 not verified: self.signed certificate' \
    "$W/ver-self"
st_nogrep "verify, self-signed: no MAIL" 'in MAIL' "$(since self)"
send ver-wrong wrong 25903 -L verify
st_rc "verify, wrong name: deferred" "$W/ver-wrong" 75
st_grep "verify, wrong name: hostname mismatch" 'not verified: hostname mismatch' \
    "$W/ver-wrong"
st_send "$W/ver-ip" "$W/msg" -C "$P/ca.crt" -L verify -f a@b.test \
    -s "$A:25901" r@x.test
st_rc "verify by IP address (IP SAN): sent" "$W/ver-ip" 0
st_send "$W/ver-ip3" "$W/msg" -C "$P/ca.crt" -L verify -f a@b.test \
    -s "other.accept.test[$A]:25901" r@x.test
st_rc "verify, other name, same certificate: deferred" "$W/ver-ip3" 75
st_send "$W/ver-sys" "$W/msg" -L verify -f a@b.test \
    -s "mx.accept.test[$A]:25901" r@x.test
st_rc "verify, system store only: deferred" "$W/ver-sys" 75
st_grep "verify, system store: chain not trusted" \
    'not verified: (unable to get local issuer certificate|self.signed certificate in certificate chain)' \
    "$W/ver-sys"
send ver-notls notls 25904 -L verify
st_rc "verify, no STARTTLS: deferred" "$W/ver-notls" 75
send ver-drop drop 25905 -L verify
st_rc "verify, handshake dropped: deferred" "$W/ver-drop" 75

# --- dane with given TLSA records ---------------------------------------
EE="3 1 1 $(cat "$P/good.tlsa")"
EEBAD="3 1 1 $(cat "$P/wrong.tlsa")"
TA="2 0 1 $(cat "$P/ca.tlsa")"
send dane-ee good 25901 -L dane -A "$EE"
st_rc "dane, DANE-EE(3 1 1) match: sent" "$W/dane-ee" 0
st_grep "dane, DANE-EE: verified by DANE" 'trust=verified dane' "$W/dane-ee"
st_send "$W/dane-ee-name" "$W/msg" -L dane -A "$EE" -f a@b.test \
    -s "any.name.test[$A]:25901" r@x.test
st_rc "dane, DANE-EE: no name check (RFC 7672 3.1.1)" "$W/dane-ee-name" 0
send dane-eebad good 25901 -L dane -A "$EEBAD"
st_rc "dane, DANE-EE mismatch: deferred" "$W/dane-eebad" 75
st_grep "dane, DANE-EE mismatch: reason" \
    'not verified by its TLSA records: .*TLSA' "$W/dane-eebad"
send dane-ta good 25901 -L dane -A "$TA"
st_rc "dane, DANE-TA(2 0 1): sent" "$W/dane-ta" 0
st_grep "dane, DANE-TA: verified" 'trust=verified dane' "$W/dane-ta"
send dane-ta-wrong wrong 25903 -L dane -A "$TA"
st_rc "dane, DANE-TA, wrong name: deferred" "$W/dane-ta-wrong" 75
send dane-ta-self self 25902 -L dane -A "$TA"
st_rc "dane, DANE-TA, other issuer: deferred" "$W/dane-ta-self" 75
send dane-unusable self 25902 -L dane -A "1 1 1 $(cat "$P/good.tlsa")" \
    -A "3 1 9 00"
st_rc "dane, only unusable TLSA: encrypt, sent" "$W/dane-unusable" 0
st_grep "dane, unusable: TLS, not authenticated" 'trust=untrusted$' \
    "$W/dane-unusable"
send dane-unusable-notls notls 25904 -L dane -A "1 1 1 00"
st_rc "dane, only unusable TLSA, no STARTTLS: deferred" \
    "$W/dane-unusable-notls" 75
send dane-none notls 25904 -L dane
st_rc "dane, no TLSA: as may, sent in plaintext" "$W/dane-none" 0
send dane-notls notls 25904 -L dane -A "$EE"
st_rc "dane, usable TLSA, no STARTTLS: deferred" "$W/dane-notls" 75
send dane-drop drop 25905 -L dane -A "$EE"
st_rc "dane, usable TLSA, handshake dropped: deferred" "$W/dane-drop" 75

# --- AUTH -----------------------------------------------------------------
: >"$W/good/auth.log"
send auth-plain good 25901 -L may -a "$USER:$PASS"
st_rc "AUTH PLAIN: sent" "$W/auth-plain" 0
st_grep "AUTH PLAIN: decoded user and password, over TLS" \
    "mech=PLAIN user=b'fred@x.test' pass=b'p:ss@w0rd' tls=yes code=235" \
    "$W/good/auth.log"
send auth-login login 25910 -L may -a "$USER:$PASS"
st_rc "AUTH LOGIN: sent" "$W/auth-login" 0
st_grep "AUTH LOGIN: decoded user and password, over TLS" \
    "mech=LOGIN user=b'fred@x.test' pass=b'p:ss@w0rd' tls=yes code=235" \
    "$W/login/auth.log"
send auth-tlsonly tlsauth 25912 -L may -a "$USER:$PASS"
st_rc "AUTH offered only after STARTTLS: sent" "$W/auth-tlsonly" 0
send auth-bad good 25901 -L may -a "$USER:wrong"
st_rc "AUTH, wrong password (535): deferred" "$W/auth-bad" 75
st_grep "AUTH 535: the server's words, a clear reason" \
    'code=535 SASL PLAIN authentication failed; server mx\.accept\.test\[127\.0\.9\.2\]:25901 said: 535 5\.7\.8 Error: authentication failed' \
    "$W/auth-bad"
: >"$W/notls/auth.log"
mark notls
send auth-notls notls 25904 -L may -a "$USER:$PASS"
st_rc "AUTH, no STARTTLS, auth_requires_tls: deferred" "$W/auth-notls" 75
st_grep "AUTH, no STARTTLS: 4.7.10, credentials not sent" \
    'dsn=4\.7\.10 code=0 credentials for .* not sent without TLS' \
    "$W/auth-notls"
st_nogrep "AUTH, no STARTTLS: no AUTH command" 'in AUTH' "$(since notls)"
st_eq "AUTH, no STARTTLS: nothing reached the server" \
    "$(wc -c <"$W/notls/auth.log" | tr -d ' ')" 0
send auth-notls-p notls 25904 -L may -P -a "$USER:$PASS"
st_rc "AUTH without TLS when allowed (-P): sent" "$W/auth-notls-p" 0
st_grep "AUTH without TLS: server saw no TLS" "tls=no code=235" \
    "$W/notls/auth.log"
send auth-none good 25901 -L none -a "$USER:$PASS"
st_rc "AUTH, policy none: deferred" "$W/auth-none" 75
send auth-cram cram 25911 -L may -a "$USER:$PASS"
st_rc "AUTH, no common mechanism: deferred" "$W/auth-cram" 75
st_grep "AUTH, no common mechanism: reason" \
    'offers no AUTH mechanism we support \(PLAIN, LOGIN\): CRAM-MD5' \
    "$W/auth-cram"
send auth-noauth noauth 25913 -L may -a "$USER:$PASS"
st_rc "AUTH not offered, credentials configured: deferred" \
    "$W/auth-noauth" 75

# --- secrets --------------------------------------------------------------
# The password, raw and in every base64 form a trace could hold.
B64PLAIN=$(printf '\000%s\000%s' "$USER" "$PASS" | base64 | tr -d '\n')
B64PASS=$(printf '%s' "$PASS" | base64 | tr -d '\n')
leaks=0
for f in "$W"/*auth* "$W"/*.err; do
	[ -f "$f" ] || continue
	if grep -qF -e "$PASS" -e "$B64PLAIN" -e "$B64PASS" -e 'p%3Ass' "$f"; then
		echo "# password in $f"
		leaks=$((leaks + 1))
	fi
done
st_eq "password never in smtp_send output or -v trace" "$leaks" 0
st_grep "trace shows AUTH PLAIN masked" 'AUTH PLAIN \*\*\*\*\*\*\*\*$' \
    "$W/auth-plain.err"

st_done
