# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# chunk_test.sh - what 43-chunking-postfix and 43-chunking-exim share:
# the test messages, a deliver run with BDAT or DATA, and the check that
# a real server received the same bytes either way. Source it after
# mta.sh; it uses $WORK, $SD and fail/wait_until from there.
#
#   ct_messages           write $WORK/m-dots, m-notrail, m-large, m-8bit
#   ct_conf FILE ROUTE... a config for deliver (override lines in $WORK/map)
#   ct_send NAME MSG RCPT CHUNKING [KEY=VALUE]  deliver -v; want exit 0;
#                         the log (with the protocol trace) is
#                         $WORK/NAME.log
#   ct_same NAME GOT MSG  GOT (a received message, one Received: field
#                         first, LF line ends) less its first field is
#                         MSG as sent (LF, a final newline); print hashes
#   ct_ok / ct_nok / ct_done   results

ct_failures=0

ct_ok() { echo "ok - $*"; }
ct_nok() {
	echo "not ok - $*"
	ct_failures=$((ct_failures + 1))
}
ct_done() {
	[ "$ct_failures" -eq 0 ] || fail "$ct_failures check(s) failed"
	echo "all checks passed"
}

# ct_messages - the test messages: full headers (no server adds any),
# lines that start with a dot, one without a final newline, a large
# one of many BDAT pieces, one with 8-bit MIME content.
ct_messages() {
	local h
	h='From: a@origin.test
To: rcpt@dest.test
Date: Sun, 07 Dec 2025 12:00:00 +0000
Message-ID: <chunk-test@origin.test>'
	printf '%s\nSubject: dots\n\n.\n..\n.leading dot\n...three\nend\n' \
	    "$h" >"$WORK/m-dots"
	printf '%s\nSubject: no newline\n\nfirst\n.second\nno newline at the end' \
	    "$h" >"$WORK/m-notrail"
	{
		printf '%s\nSubject: large\n\n' "$h"
		awk 'BEGIN {
			srand(42)
			for (i = 0; i < 100000; i++) {
				if (i % 97 == 0) { print "."; continue }
				s = (i % 5 == 0) ? "." : ""
				n = int(rand() * 120)
				for (j = 0; j < n; j++)
					s = s sprintf("%c", 32 + int(rand() * 95))
				print s
			}
			printf "the end, no newline" }'
	} >"$WORK/m-large"
	{
		printf '%s\nSubject: =?UTF-8?Q?caf=C3=A9?=\nMIME-Version: 1.0\n' "$h"
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf 'caf\303\251 cr\303\250me br\303\273l\303\251e\n.dot\n'
	} >"$WORK/m-8bit"
}

# ct_conf FILE [KEY=VALUE] - a deliver configuration
ct_conf() {
	printf '%s\n' "dns_servers = 127.0.26.99:28099" \
	    "dns_overrides = $WORK/map" "state_dir = $WORK/state" \
	    "log_file = $WORK/${1##*/}.log" "connect_timeout = 5s" \
	    "command_timeout = 30s" "data_timeout = 60s" \
	    "helo_name = smtpdirect.test" "tls_policy = none" \
	    "session_cache_time = 0s" "worker_idle_time = 0s" \
	    ${2:+"$2"} >"$1"
}

# ct_send NAME MSG RCPT yes|no [KEY=VALUE] - deliver MSG to RCPT with
# smtp_chunking yes or no; exit 0 wanted; log in $WORK/NAME.log
ct_send() {
	local rc=0
	ct_conf "$WORK/$1.conf" "smtp_chunking = $4"
	[ -z "${5:-}" ] || echo "$5" >>"$WORK/$1.conf"
	sed -i "s|^log_file = .*|log_file = $WORK/$1.log|" "$WORK/$1.conf"
	timeout 120 "$SD" deliver -v -c "$WORK/$1.conf" -f a@origin.test \
	    -q "Q$1" -- "$3" <"$2" 2>"$WORK/$1.err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		ct_ok "$1: sent (exit 0)"
	else
		ct_nok "$1: exit $rc: $(cat "$WORK/$1.err")"
	fi
	if [ "$4" = yes ]; then
		if grep -Eq '> BDAT [0-9]+ LAST$' "$WORK/$1.log" &&
			! grep -q '> DATA$' "$WORK/$1.log"; then
			ct_ok "$1: with BDAT ($(grep -c '> BDAT' "$WORK/$1.log") pieces)"
		else
			ct_nok "$1: not with BDAT"
		fi
	elif grep -q '> DATA$' "$WORK/$1.log" &&
		! grep -q '> BDAT' "$WORK/$1.log"; then
		ct_ok "$1: with DATA"
	else
		ct_nok "$1: not with DATA"
	fi
}

# ct_same NAME GOT MSG - the received message less its first header
# field is MSG (LF line ends, a final newline)
ct_same() {
	local out
	if out=$("$PYTHON3" - "$2" "$3" <<'PY'
import hashlib, sys
got = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
lines = got.split(b"\n")
if not lines[0].startswith(b"Received:"):
    print("no Received: field first: %r" % lines[0][:60])
    sys.exit(1)
i = 1
while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
    i += 1
got = b"\n".join(lines[i:])
want = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
if not want.endswith(b"\n"):
    want += b"\n"
g, w = hashlib.sha256(got).hexdigest(), hashlib.sha256(want).hexdigest()
if g != w:
    n = next((k for k in range(min(len(got), len(want)))
              if got[k] != want[k]), min(len(got), len(want)))
    print("sha256 %s, want %s (%d bytes, want %d; first difference at %d)"
          % (g[:16], w[:16], len(got), len(want), n))
    sys.exit(1)
print("sha256 %s, %d bytes" % (g[:16], len(got)))
PY
	); then
		ct_ok "$1: the same bytes as sent ($out)"
	else
		ct_nok "$1: $out"
	fi
}
