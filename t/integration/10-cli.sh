#!/bin/bash
# The command line: --help, --version, usage errors, lint and route on the
# example map, with exit codes and exact output.
set -eu
. "$(dirname "$0")/../lib/common.sh"

# --help, --version and usage errors.
"$SD" --help >"$WORK/help"
grep -q '^usage: smtpdirect deliver' "$WORK/help" || fail "--help synopsis"
grep -q 'smtpdirect route' "$WORK/help" || fail "--help lists route"
"$SD" --version >"$WORK/version"
grep -q '^smtpdirect [0-9]' "$WORK/version" || fail "--version"
# The libraries, and how this build links them (make LINK=static|shared).
grep -Eq '^OpenSSL [0-9].*, ldns [0-9.]+, LMDB [0-9.]+ \((built in|shared)\)$' \
    "$WORK/version" || fail "--version libraries: $(cat "$WORK/version")"
expect_exit 64 "$SD"
expect_exit 64 "$SD" frobnicate
expect_exit 64 "$SD" route
expect_exit 64 "$SD" route -s 12X example.org
expect_exit 64 "$SD" route -r -1 example.org
expect_exit 64 "$SD" route -o json example.org
expect_exit 64 "$SD" lint -x

# A missing config named with -c is an error (78); a bad one too.
expect_exit 78 "$SD" route -c "$WORK/nonexistent.conf" example.org
printf 'no_such_key = 1\n' >"$WORK/bad.conf"
expect_exit 78 "$SD" route -c "$WORK/bad.conf" example.org 2>"$WORK/err"
grep -q "bad.conf:1:1: error" "$WORK/err" || fail "bad.conf not named"

# The example map: no errors once it is private; a warning when readable.
cp "$TOP/conf-examples/overrides" "$WORK/overrides"
chmod 600 "$WORK/overrides"
printf 'dns_overrides = %s\nstate_dir = %s\n' "$WORK/overrides" "$WORK" \
    >"$WORK/conf"
# route resolves; a DNS server that refuses at once keeps it off the net.
printf 'dns_servers = 127.0.2.99:25299\ndns_timeout = 1s\ndns_tries = 1\n' \
    >>"$WORK/conf"
"$SD" lint -c "$WORK/conf" >"$WORK/out"
echo "lint: 0 errors, 0 warnings in 1 file" >"$WORK/want"
same "$WORK/out" "$WORK/want"
chmod 644 "$WORK/overrides"
"$SD" lint "$WORK/overrides" >"$WORK/out"
grep -q "overrides:[0-9]*:[0-9]*: warning: .*credentials" "$WORK/out" ||
	fail "no warning for a readable map with credentials"
tail -n 1 "$WORK/out" | grep -qx "lint: 0 errors, 1 warning in 1 file" ||
	fail "summary: $(tail -n 1 "$WORK/out")"
chmod 600 "$WORK/overrides"

# lint: errors exit 1, unreadable files exit 2, stdin is "-".
printf 'example.com\nexample.net relay.example:99999\n' >"$WORK/broken"
expect_exit 1 "$SD" lint "$WORK/broken" >"$WORK/out"
grep -q "broken:1:.*: error: " "$WORK/out" || fail "missing target"
grep -q "broken:2:.*: error: " "$WORK/out" || fail "bad port"
expect_exit 2 "$SD" lint "$WORK/missing" >"$WORK/out"
printf 'example.com relay.example\n' | "$SD" lint - >"$WORK/out"
tail -n 1 "$WORK/out" | grep -qx "lint: 0 errors, 0 warnings in 1 file" ||
	fail "lint - : $(cat "$WORK/out")"

# route -o postfix / exim on the example map.
r() { "$SD" route -c "$WORK/conf" "$@"; }
[ "$(r -o postfix user@gmail.com)" = "smtp:[smtp.myisp.example]:25" ] ||
	fail "postfix gmail.com"
[ -z "$(r -o postfix user@example.com)" ] || fail "postfix no match"
[ "$(r -o exim user@example.com)" = "DECLINE" ] || fail "exim DECLINE"
[ "$(r -o exim -r 4 user@example.com)" = \
    "ACCEPT HOSTS=<;smtp.myisp.example:25 LOOKUP=byname" ] ||
	fail "exim retries>=4: $(r -o exim -r 4 user@example.com)"
[ "$(r -o exim -s 10M example.org)" = "DECLINE" ] || fail "size 10M"
[ "$(r -o exim -s 10485761 example.org)" = \
    "ACCEPT HOSTS=<;big.relay.example.net:25 LOOKUP=byname" ] ||
	fail "size 10M+1"
# $end on the example.org line: the retries rule is not read.
[ "$(r -o exim -s 11M -r 9 example.org)" = \
    "ACCEPT HOSTS=<;big.relay.example.net:25 LOOKUP=byname" ] ||
	fail "\$end"
# Priority 5 before the default 10; both lines add their targets.
[ "$(r -o exim -r 4 x.demon.co.uk)" = \
    "ACCEPT HOSTS=<;smtp.myisp.example:587;smtp.myisp.example:25 LOOKUP=byname" ] ||
	fail "priority: $(r -o exim -r 4 x.demon.co.uk)"
[ "$(r -o exim demon.co.uk)" = "DECLINE" ] || fail "bare parent domain"

# route text: the lines, the order, never the password.
r -r 4 fred@X.Demon.Co.UK >"$WORK/out"
grep -q "Passw0rd" "$WORK/out" && fail "password printed"
grep -q "^matching line 19: \*.demon.co.uk fred:\*\*\*\*\*\*\*\*@smtp.myisp.example:587" \
    "$WORK/out" || fail "matching line 19: $(cat "$WORK/out")"
grep -q "^matching line 26: \* smtp.myisp.example" "$WORK/out" ||
	fail "matching line 26"
grep -q "^  1. smtp.myisp.example:587 priority 5, tls may, credentials: yes, line 19$" \
    "$WORK/out" || fail "hop 1: $(cat "$WORK/out")"
grep -q "^  2. smtp.myisp.example:25 priority 10, tls may, credentials: no, line 26$" \
    "$WORK/out" || fail "hop 2"
r user@example.com >"$WORK/out"
grep -q "^route: no override matches; the MX records of example.com will be looked up" \
    "$WORK/out" || fail "MX text: $(cat "$WORK/out")"
grep -q "^addresses: none; deliver would defer: 4\.4\.3 " "$WORK/out" ||
	fail "MX text without DNS: $(cat "$WORK/out")"

# A map with errors is a bad configuration for route.
printf 'dns_overrides = %s\n' "$WORK/broken" >"$WORK/conf2"
expect_exit 78 "$SD" route -c "$WORK/conf2" example.com 2>"$WORK/err"
grep -q "4.3.5\|broken:1" "$WORK/err" || fail "bad map not reported"
echo "cli: ok"
