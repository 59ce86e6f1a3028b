#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Broken and hostile answers from ldns-testns, and servers that do not
# answer: SERVFAIL, REFUSED, an answer for another name, a question for
# another name, no QR bit, too many records, truncation then TCP, a
# garbled packet, a silent server (time-out within the configured
# bound), a closed port, and failing over to the next server. Every
# one is a temporary failure (75) or an answer; nothing crashes.
#
# ldns-testns can only listen on all addresses, and answers from the
# kernel's choice of source address, so the test runs in a private
# network namespace (unshare -n) where 127.0.3.5 is a /32 of its own.
set -eu
if [ -z "${DNS_NETNS:-}" ] && command -v unshare >/dev/null 2>&1 &&
    command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	DNS_NETNS=1 exec unshare -n sh "$0" "$@"
fi
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/dns_test.sh"
dns_need ldns-testns drill python3
[ -n "${DNS_NETNS:-}" ] ||
	skip "needs a private network namespace (unshare -n, ip) for ldns-testns"
ip link set lo up
ip addr add 127.0.3.5/32 dev lo
ip addr add 127.0.3.6/32 dev lo

A=127.0.3.5
P=25310
S=$A:$P
SILENT=127.0.3.6:25311
CLOSED=127.0.3.6:25312

# entry QNAME QTYPE REPLY-FLAGS [ANSWER-LINES]: one ldns-testns entry
entry() {
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
	printf 'REPLY %s\nSECTION QUESTION\n%s. IN %s\n' "$3" "$1" "$2"
	if [ -n "${4:-}" ]; then
		printf 'SECTION ANSWER\n%s\n' "$4"
	fi
	printf 'ENTRY_END\n\n'
}
{
	entry ok.test MX "QR AA NOERROR" "ok.test. 300 IN MX 10 ok.test."
	entry ok.test A "QR AA NOERROR" "ok.test. 300 IN A 127.0.3.50"
	entry ok.test AAAA "QR AA NOERROR" "ok.test. 300 IN AAAA 2001:db8::50"
	entry servfail.test MX "QR SERVFAIL"
	entry refused.test MX "QR REFUSED"
	entry othername.test MX "QR AA NOERROR" \
	    "elsewhere.test. 300 IN MX 10 ok.test."
	entry noqr.test MX "AA NOERROR" "noqr.test. 300 IN MX 10 ok.test."
	many=""
	i=0
	while [ $i -lt 101 ]; do
		many="${many}many.test. 300 IN A 10.0.0.$i
"
		i=$((i + 1))
	done
	entry many.test A "QR AA NOERROR" "$many"
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nMATCH UDP\n'
	printf 'ADJUST copy_id\nREPLY QR AA TC NOERROR\n'
	printf 'SECTION QUESTION\ntc.test. IN MX\nENTRY_END\n\n'
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nMATCH TCP\n'
	printf 'ADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\n'
	printf 'tc.test. IN MX\nSECTION ANSWER\ntc.test. 300 IN MX 10 ok.test.\n'
	printf 'ENTRY_END\n\n'
	# A parseable reply whose question is someoneelse.test/MX.
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
	printf 'SECTION QUESTION\nqother.test. IN MX\nHEX_ANSWER_BEGIN\n'
	printf '0000840000010001000000000b736f6d656f6e65656c73650474657374'
	printf '00000f0001c00c000f00010000012c0004000ac00c\n'
	printf 'HEX_ANSWER_END\nENTRY_END\n\n'
	# Garbage: a question name that points at itself.
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
	printf 'SECTION QUESTION\ngarbled.test. IN MX\nHEX_ANSWER_BEGIN\n'
	printf '000084000001000000000000c00c000f0001\nHEX_ANSWER_END\n'
	printf 'ENTRY_END\n'
} >"$WORK/testns.data"

ldns-testns -v -p $P "$WORK/testns.data" >"$WORK/testns.log" 2>&1 &
PIDS="$PIDS $!"
n=0
until timeout 2 drill -p $P ok.test @$A MX 2>/dev/null | grep -q 'rcode: NOERROR'; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "ldns-testns does not answer"
	sleep 0.1
done
# A server that reads queries and never answers.
python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.3.6', 25311))
open(sys.argv[1], 'w').close()
time.sleep(120)
" "$WORK/silent.ready" &
PIDS="$PIDS $!"
n=0
until [ -e "$WORK/silent.ready" ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "the silent server did not start"
	sleep 0.1
done

# t WANT_RC NAME [tool options]: the tool's exit status and output
t() {
	want=$1
	name=$2
	shift 2
	set +e
	timeout 30 "$DNS_TOOL" -t 400 -r 1 "$@" "$name" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	set -e
	[ $rc -eq "$want" ] ||
		fail "$name: exit $rc, want $want: $(cat "$WORK/out" "$WORK/err")"
}

# has FILE REGEX: the file has a matching line
has() {
	grep -Eq "$2" "$1" || fail "no /$2/ in $1: $(cat "$1")"
}

t 0 ok.test -s $S
has "$WORK/out" '^    127\.0\.3\.50$'
t 75 servfail.test -s $S
has "$WORK/out" '4\.4\.3 .*server said SERVFAIL'
t 75 refused.test -s $S
has "$WORK/out" '4\.4\.3 .*server said REFUSED'
t 75 othername.test -s $S
has "$WORK/out" 'answer does not match the question'
t 75 qother.test -s $S
has "$WORK/out" 'reply is for another question'
t 75 noqr.test -s $S
has "$WORK/out" 'reply is not an answer to our query'
t 75 many.test -s $S -q A
has "$WORK/out" 'too many records'
t 75 garbled.test -s $S
has "$WORK/out" '4\.4\.3 .*malformed reply'

# Truncated over UDP: asked again over TCP, which ldns-testns logged.
t 0 tc.test -s $S -q MX
has "$WORK/out" '^    10 ok\.test$'
has "$WORK/testns.log" 'TCP [0-9]+ bytes: tc\.test\.'

# A silent server times out within tries x time-out (2 x 500 ms).
start=$(now_ms)
t 75 ok.test -s $SILENT -t 500 -r 2
took=$(($(now_ms) - start))
has "$WORK/out" 'timed out after 500 ms'
[ $took -ge 900 ] && [ $took -lt 3000 ] || fail "silent server: $took ms"

# A closed port fails at once; the next server then answers.
start=$(now_ms)
t 75 ok.test -s $CLOSED
[ $(($(now_ms) - start)) -lt 2000 ] || fail "closed port was slow"
t 0 ok.test -s $SILENT -s $S -t 300
has "$WORK/out" '^    127\.0\.3\.50$'

# smtpdirect resolve itself, with the default bound (2 tries x 5 s).
dns_conf "$WORK/conf" $SILENT 0
start=$(now_ms)
set +e
timeout 60 "$SD" resolve -c "$WORK/conf" ok.test >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
took=$(($(now_ms) - start))
[ $rc -eq 75 ] || fail "resolve on a silent server: exit $rc"
has "$WORK/err" '^4\.4\.3 lookup of ok\.test/MX: 127\.0\.3\.6:25311: timed out'
[ $took -ge 9500 ] && [ $took -lt 13000 ] || fail "resolve took $took ms"
echo "30-dns-hostile: ok"
