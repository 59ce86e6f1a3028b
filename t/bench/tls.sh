#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The cost of STARTTLS per message: `smtpdirect deliver`, one process per
# message as the MTAs run it, to t/lib/smtpserver.py on loopback with and
# without TLS (TLSv1.3, a P-256 certificate from a private CA made here),
# then the public-key operations one full handshake does, which session
# resumption across processes could save. Prints a markdown section.
# Address 127.0.9.70, ports 25970-25971.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SD="$TOP/transport/smtpdirect"
# Without workers the core program delivers; it is started directly, as
# smtpdirect(8) advises with worker_idle_time = 0.
SD_CORE="$TOP/transport/smtpdirect-core"
N=${TLS_BENCH_RUNS:-200}
for t in python3 openssl "$SD"; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "tls bench: $t is missing" >&2
		exit 1
	}
done
dir=$(mktemp -d /tmp/smtpdirect-bench-tls.XXXXXX)
pid=""
spid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$spid" ] || kill "$spid" 2>/dev/null || true
	sleep 0.2
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

A=127.0.9.70
PORT=25970
# The certificate helpers of the TLS tests (they need only a directory).
. "$TOP/t/lib/tls_test.sh"
tls_make_certs "$dir/pki" >/dev/null
openssl req -new -key "$dir/pki/good.key" -subj /CN=bench \
    -out "$dir/bench.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\n' "$A" >"$dir/bench.ext"
openssl x509 -req -in "$dir/bench.csr" -CA "$dir/pki/ca.crt" \
    -CAkey "$dir/pki/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/bench.ext" -out "$dir/bench.crt" 2>/dev/null
cat "$dir/bench.crt" "$dir/pki/ca.crt" >"$dir/bench.chain"

python3 "$TOP/t/lib/smtpserver.py" --listen "$A:$PORT" --dir "$dir/srv" \
    --pidfile "$dir/srv.pid" --lifetime 900 --idle-timeout 10 \
    --tls-cert "$dir/bench.chain" --tls-key "$dir/pki/good.key" \
    >"$dir/srv.out" 2>&1 &
pid=$!
n=0
while [ ! -s "$dir/srv.pid" ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || {
		echo "tls bench: smtpserver did not start" >&2
		exit 1
	}
	sleep 0.1
done

printf '* %s:%s\n' "$A" "$PORT" >"$dir/map"
conf() { # conf NAME POLICY [workers]: by itself, or through workers
	if [ "${3:-}" = workers ]; then
		w="state_dir = $dir/state-$1"
	else
		w="state_dir = $dir/state
worker_idle_time = 0"
	fi
	printf '%s\n' "dns_overrides = $dir/map" "$w" \
	    "tls_policy = $2" "tls_ca_file = $dir/pki/ca.crt" \
	    "log_file = $dir/$1.log" >"$dir/$1.conf"
}
conf none none
conf may may
conf verify verify
conf none-w none workers
conf may-w may workers
head -c 2000 /dev/zero | tr '\0' 'x' | fold -w 72 >"$dir/body"
{
	printf 'From: a@bench.test\nSubject: tls bench\n\n'
	cat "$dir/body"
} >"$dir/msg"

# run NAME [PROGRAM]: N deliveries in a row by PROGRAM ($SD_CORE);
# prints "wall_ms user_ms sys_ms"
run() {
	p=${2:-$SD_CORE}
	"$p" deliver -c "$dir/$1.conf" -f a@bench.test -- r@x.test \
	    <"$dir/msg" || {
		echo "tls bench: deliver with $1 failed" >&2
		exit 1
	}
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$dir/$1.time" sh -c '
		i=0
		while [ $i -lt "$1" ]; do
			"$2" deliver -c "$3" -f a@bench.test -- r@x.test <"$4" ||
			    exit 1
			i=$((i + 1))
		done' sh "$N" "$p" "$dir/$1.conf" "$dir/msg"
	t1=$(date +%s%N)
	read -r u s <"$dir/$1.time"
	echo "$(((t1 - t0) / 1000000)) $u $s"
}
command -v /usr/bin/time >/dev/null 2>&1 || {
	echo "tls bench: /usr/bin/time (package time) is missing" >&2
	exit 1
}
# helper_cpu NAME: CPU ms so far of the keeper of NAME's state_dir and of
# its delivery workers (read while they still run)
helper_cpu() {
	k=""
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$dir/state-$1/scache.lock" ] ||
			continue
		k=${f#/proc/}
		k=${k%%/*}
		break
	done
	[ -n "$k" ] || {
		echo 0
		return
	}
	for f in /proc/[0-9]*/stat; do
		cat "$f" 2>/dev/null
	done | awk -v k="$k" -v hz="$(getconf CLK_TCK)" '{
		pid = $1; line = $0
		sub(/^[0-9]+ \(.*\) /, "", line)
		split(line, f, " ")
		if (pid == k || f[2] == k)
			t += f[12] + f[13]
	} END { printf "%d", t * 1000 / hz }'
}
# run_w NAME: run, with the helpers' CPU added to the callers'
run_w() {
	r=$(run "$1" "$SD")
	echo "$r $(helper_cpu "$1")" |
	    awk '{ printf "%s %.3f %s", $1, $2 + $4 / 1000, $3 }'
}
r_none=$(run none)
r_may=$(run may)
r_verify=$(run verify)
r_none_w=$(run_w none-w)
r_may_w=$(run_w may-w)
grep -q 'tls=TLSv1.3 .*trust=verified' "$dir/verify.log" || {
	echo "tls bench: the verify runs did not use TLSv1.3" >&2
	exit 1
}
grep -q 'tls=none$' "$dir/none.log" || {
	echo "tls bench: the none runs used TLS" >&2
	exit 1
}

# row LABEL "wall user sys": a table row per message
row() {
	echo "$2" | awk -v n="$N" -v l="$1" '{
		printf "| %s | %.0f | %.2f ms | %.2f ms |\n", l,
		    n * 1000 / $1, $1 / n, ($2 + $3) * 1000 / n }'
}
per_msg() { # per_msg "wall user sys" -> wall ms per message
	echo "$1" | awk -v n="$N" '{ printf "%.2f", $1 / n }'
}
cpu_msg() {
	echo "$1" | awk -v n="$N" '{ printf "%.2f", ($2 + $3) * 1000 / n }'
}

speed=$(openssl speed -seconds 1 ecdsap256 ecdhx25519 2>/dev/null)
sign=$(echo "$speed" | awk '/256 bits ecdsa \(nistp256\)/ { print $7; exit }')
vfy=$(echo "$speed" | awk '/256 bits ecdsa \(nistp256\)/ { print $8; exit }')
x25519=$(echo "$speed" | awk '/253 bits ecdh \(X25519\)/ { print $6; exit }')

# Full and resumed handshakes in one process: openssl s_time against
# openssl s_server (plain TLS on a second port, same certificate).
openssl s_server -accept "$A:$((PORT + 1))" -cert "$dir/bench.crt" \
    -key "$dir/pki/good.key" -www -quiet >"$dir/s_server.out" 2>&1 &
spid=$!
sleep 0.5
stime() { # stime -new|-reuse: client handshakes per CPU second
	timeout 30 openssl s_time -connect "$A:$((PORT + 1))" "$1" -time 3 \
	    2>/dev/null | sed -n 's/.*; \([0-9.]*\) connections\/user sec.*/\1/p' |
	    head -n 1
}
full=$(stime -new)
resumed=$(stime -reuse)

echo "## TLS: STARTTLS per message"
echo
echo "\`t/bench/tls.sh\`: $N messages of 2 KB, one \`smtpdirect deliver\`"
echo "process each, in a row, to \`t/lib/smtpserver.py\` on loopback"
echo "(Python's ssl module, OpenSSL $(openssl version | cut -d' ' -f2));"
echo "the certificate is P-256, issued by a private CA. \`none\` talks"
echo "plaintext; \`may\` does STARTTLS (TLSv1.3, X25519) and checks"
echo "the certificate for the log only; \`verify\` requires chain and"
echo "name to verify against \`tls_ca_file\`. CPU is ours (user + system"
echo "of the deliver processes, which deliver by themselves:"
echo "\`smtpdirect-core deliver\` with \`worker_idle_time = 0\`); the wall"
echo "time includes the Python server."
echo
echo "| tls_policy | messages/s | wall per message | our CPU per message |"
echo "|---|---:|---:|---:|"
row none "$r_none"
row may "$r_may"
row verify "$r_verify"
row "none, through workers" "$r_none_w"
row "may, through workers" "$r_may_w"
echo
echo "STARTTLS costs $(awk -v a="$(per_msg "$r_may")" -v b="$(per_msg "$r_none")" \
    'BEGIN { printf "%.2f", a - b }') ms of wall time and $(awk \
    -v a="$(cpu_msg "$r_may")" -v b="$(cpu_msg "$r_none")" \
    'BEGIN { printf "%.2f", a - b }') ms of our CPU per message (may"
echo "against none): a TLS context per process (OpenSSL 3's SSL_CTX_new"
echo "and reading the CA file), the handshake, the second EHLO, and the"
echo "server's side of it. \`may\` verifies the certificate too (for the"
echo "log's trust=), so \`verify\` costs the same; differences between"
echo "them are noise. The rows through workers are the default"
echo "(\`worker_idle_time = 10s\`, a state_dir of their own): the processes"
echo "hand each message to a resident worker, which keeps its TLS context"
echo "for a minute; their CPU includes the keeper's and the workers'. There"
echo "STARTTLS costs $(awk -v a="$(cpu_msg "$r_may_w")" -v b="$(cpu_msg "$r_none_w")" \
    'BEGIN { printf "%.2f", a - b }') ms of CPU per message."
echo
echo "### Would session resumption across processes pay?"
echo
echo "\`openssl s_time -time 3\` against \`openssl s_server\` (TLSv1.3,"
echo "same certificate, one client process): ${full:-?} full handshakes and"
echo "${resumed:-?} resumed ones per second of client CPU, that is"
awk -v f="${full:-0}" -v r="${resumed:-0}" 'BEGIN {
    if (f > 0 && r > 0)
	printf "%.2f ms against %.2f ms: resumption saves %.2f ms", 1000 / f,
	    1000 / r, 1000 / f - 1000 / r
    else
	printf "(not measured)" }'
echo " of CPU a"
echo "handshake. \`openssl speed\`: ECDSA P-256 ${sign:-?} signatures and"
echo "${vfy:-?} verifications per second, X25519 ${x25519:-?} operations per"
echo "second; resumption with a ticket still does the X25519 exchange"
echo "(OpenSSL offers psk_dhe_ke only) and saves the two verifications and"
echo "the certificate parsing. Of the STARTTLS cost above, a full"
echo "handshake is about $(awk -v f="${full:-0}" 'BEGIN { if (f > 0) printf "%.1f", 1000 / f; else printf "?" }') ms; the rest is making the TLS context"
echo "in every process (OpenSSL 3's SSL_CTX_new alone takes milliseconds)."
echo "Against the $(cpu_msg "$r_may") ms of CPU a"
echo "message costs with TLS that is a few per cent at best, and across"
echo "processes the tickets would have to live in the shared state (one"
echo "LMDB write per message, TLSv1.3 tickets being single-use), costing"
echo "about what they save; tickets are per server, so only a busy"
echo "smarthost route could gain. Not implemented: it does not pay for"
echo "itself. What would pay is the per-process TLS context, which only a"
echo "long-lived process can keep: the delivery workers"
echo "(\`worker_idle_time\`) keep it, see the rows through workers above."
