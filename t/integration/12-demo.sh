#!/bin/bash
# make demo's script runs clean: every message arrives once at the server
# its route names, the deferred recipient goes through the $retries rule,
# and the retry does not send again to the one already delivered.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v nsd >/dev/null || skip "nsd is not installed"
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] ||
	skip "smtp-sink (package postfix) is not installed"
timeout 120 bash "$TOP/t/demo.sh" >"$WORK/out" 2>&1 ||
	fail "demo failed: $(tail -n 20 "$WORK/out")"
for want in \
    '-q DEMO1 -- alice@example.com  => exit 0' \
    '-q DEMO2 -- bob@example.org  => exit 0' \
    '-q DEMO3 -- dave@example.com carol@example.net  => exit 75 4.4.1 ' \
    '-q DEMO3 -- dave@example.com carol@example.net  => exit 0' \
    'DEMO3: to=<carol@example.net>, relay=smtp.isp.example.net\[127.0.2.103\]' \
    'DEMO3: to=<dave@example.com>, relay=none, .*status=sent (already delivered in an earlier attempt)' \
    '^127.0.2.101: 2 message(s)' '^127.0.2.102: 1 message(s)' \
    '^127.0.2.103: 1 message(s)' \
    '+ X-SMTPDirect-Route: <alice@example.com>; mx; domain=example.com' \
    '+ X-SMTPDirect-Route: <bob@example.org>; override; lines=3; hosts=big-relay.example.org:25281' \
    '+ X-SMTPDirect-Transport: smtpdirect:' \
    "- X-SMTPDirect-Transport (the client's, removed)"; do
	grep -q -- "$want" "$WORK/out" || fail "demo: no \"$want\": $(cat "$WORK/out")"
done
grep -q "warning: \|error: \|fatal: " "$WORK/out" &&
	fail "demo: $(grep "warning: \|error: \|fatal: " "$WORK/out")"
echo "12: demo ok"
