#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The cost per message of a cached MTA-STS policy (issue 18): `smtpdirect
# deliver`, one process per message as pipe(8) runs it (pipe_bench), to a
# private Postfix smtpd with STARTTLS on loopback, for a domain without a
# policy (tls_policy may) and for one whose enforce policy is cached
# (verified TLS to the matching MX), in rounds, each row the median round
# with the spread of the rounds beside it; also without the TLS report
# counts (tlsrpt = no). nsd serves the MX, A and _mta-sts records; the
# policy is fetched once from t/lib/httpsserver.py before the runs, and
# the runs must fetch nothing. Prints a markdown section.
# Loopback 127.0.28.0/24: .30-.41, port 443 and ports 28230-28239.
#
#   STS_N=300 sh t/bench/sts.sh        (a quick try)
# STS_N messages a row (1000; STS_CORE_N, 300, for the rows without
# workers), STS_ROUNDS rounds (5), STS_P at once (10).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "$(dirname "$0")/../lib/mta.sh"
. "$TOP/t/lib/postfix.sh"
. "$TOP/t/lib/tls_test.sh"
. "$TOP/t/lib/dns_test.sh"
SD_CORE="$TOP/transport/smtpdirect-core"
PB="$TOP/build/normal/t/tools/pipe_bench"
N=${STS_N:-1000}
NCORE=${STS_CORE_N:-300}
ROUNDS=${STS_ROUNDS:-5}
PAR=${STS_P:-10}
MXA=127.0.28.31 MXP=28231 WEB=127.0.28.40
for t in "$SD" "$SD_CORE" "$PB" nsd python3 openssl; do
	command -v "$t" >/dev/null 2>&1 || fail "sts bench: $t is missing"
done
pf_require

P=$WORK/pki
tls_make_certs "$P" >/dev/null
tls_sign "$P" mx "/CN=mx.pol.test" \
    "DNS:mx.pol.test,DNS:mx.nopol.test,DNS:mta-sts.pol.test"
chmod 755 "$P"
chmod 644 "$P"/*.key
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 86400
@		SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns.test.
ns		A 127.0.28.39
nopol		MX 10 mx.nopol.test.
mx.nopol	A $MXA
pol		MX 10 mx.pol.test.
mx.pol		A $MXA
_mta-sts.pol	TXT "v=STSv1; id=1"
mta-sts.pol	A $WEB
ZONE
dns_nsd_start 127.0.28.39 28239 "$WORK/test.zone" >/dev/null
printf 'version: STSv1\nmode: enforce\nmx: mx.pol.test\nmax_age: 604800\n' \
    >"$WORK/pol.txt"
mkdir -p "$WORK/web"
bg_start python3 "$TOP/t/lib/httpsserver.py" --listen "$WEB:443" \
    --cert "$P/mx.chain" --key "$P/mx.key" --log "$WORK/web" \
    --site "mta-sts.pol.test=file:$WORK/pol.txt" --lifetime 3600
wait_port "$WEB" 443

pf_init "$MXA" "$MXP" >/dev/null
pf_conf "default_transport = discard:bench" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_connection_rate_limit = 0" >/dev/null
pf_tls "$P/mx.key" "$P/mx.chain" may >/dev/null
pf_conf "smtpd_tls_loglevel = 0" >/dev/null
pf_start >/dev/null

printf 'From: a@origin.test\nSubject: sts bench\n\n%s\n' \
    "$(head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 72)" >"$WORK/msg"
# conf NAME [LINE...]: a configuration with a state_dir of its own
conf() {
	local name=$1
	shift
	mkdir -p "$WORK/state-$name"
	printf '%s\n' "dns_servers = 127.0.28.39:28239" "dns_overrides =" \
	    "dns_address_family = ipv4" "state_dir = $WORK/state-$name" \
	    "mx_port = $MXP" "tls_ca_file = $P/ca.crt" \
	    "helo_name = origin.test" "max_concurrent = 20" \
	    "log_file = $WORK/$name.log" "$@" >"$WORK/$name.conf"
}
conf w
conf w-norpt "tlsrpt = no"
conf core "worker_idle_time = 0"
conf core-norpt "worker_idle_time = 0" "tlsrpt = no"

# one CONF RCPT PROGRAM: a message, which must go
one() {
	"$3" deliver -c "$WORK/$1.conf" -f a@origin.test -- "$2" \
	    <"$WORK/msg" || fail "sts bench: deliver $1 to $2 failed"
}
# Warm-up: the policy fetched and cached, caches filled, workers up.
for c in w w-norpt core core-norpt; do
	one "$c" r@pol.test "$SD"
	one "$c" r@nopol.test "$SD"
done
grep -q 'mta-sts=enforce' "$WORK/w.log" ||
    fail "sts bench: the policy was not applied"
fetches=$(wc -l <"$WORK/web/requests.log")

# helper_cpu CONF: CPU ms so far of the keeper of CONF's state_dir and
# of its delivery workers (its children, live or reaped: a worker exits
# after WORKER_MAX_USE messages), read while they run
helper_cpu() {
	local k="" f
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$WORK/state-$1/scache.lock" ] ||
			continue
		k=${f#/proc/}
		k=${k%%/*}
		break
	done
	[ -n "$k" ] || { echo 0; return; }
	for f in /proc/[0-9]*/stat; do
		cat "$f" 2>/dev/null
	done | awk -v k="$k" -v hz="$(getconf CLK_TCK)" '{
		pid = $1; line = $0
		sub(/^[0-9]+ \(.*\) /, "", line)
		split(line, f, " ")
		if (pid == k)
			t += f[12] + f[13] + f[14] + f[15]
		else if (f[2] == k)
			t += f[12] + f[13]
	} END { printf "%d", t * 1000 / hz }'
}
# run NAME CONF RCPT PAR PROGRAM [COUNT]: one round of COUNT (N)
# messages; appends "NAME|PAR|line cpu_us=C", C our CPU per message (the
# processes started, the keeper and the workers) in microseconds
run() {
	local line h0 h1 u s cpu n=${6:-$N}
	h0=$(helper_cpu "$2")
	line=$(/usr/bin/time -f '%U %S' -o "$WORK/time" timeout 900 "$PB" \
	    -n "$n" -P "$4" -i "$WORK/msg" -- "$5" \
	    deliver -c "$WORK/$2.conf" -f a@origin.test -q "B%n" -- "$3" \
	    2>>"$WORK/errors") ||
	    fail "sts bench: $1: $line $(tail -n 3 "$WORK/errors")"
	h1=$(helper_cpu "$2")
	read -r u s <"$WORK/time"
	cpu=$(awk -v u="$u" -v s="$s" -v h="$((h1 - h0))" -v n="$n" \
	    'BEGIN { h = h < 0 ? 0 : h
		     printf "%d", ((u + s) * 1000 + h) * 1000 / n }')
	echo "$1|$4|$line cpu_us=$cpu" >>"$WORK/rows"
	echo "sts bench: $1 P$4: $line cpu_us=$cpu" >&2
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# stats NAME PAR: "median min max" of per_s over the rounds, the median
# round's median_ms, and the median of the rounds' CPU per message (ms)
stats() {
	local cpu
	cpu=$(grep "^$1|$2|" "$WORK/rows" | cut -d'|' -f3 |
	    while IFS= read -r l; do field "$l" cpu_us; done | sort -n |
	    awk '{ c[NR] = $1 } END { printf "%.2f", c[int((NR + 1) / 2)] / 1000 }')
	grep "^$1|$2|" "$WORK/rows" | cut -d'|' -f3 |
	    while IFS= read -r l; do
		    echo "$(field "$l" per_s) $(field "$l" median_ms)"
	    done | sort -n | awk -v c="$cpu" '{ r[NR] = $1; m[NR] = $2 }
		END { k = int((NR + 1) / 2)
		      printf "%s %s %s %s %s", r[k], r[1], r[NR], m[k], c }'
}
# cpu_pct NAME_A NAME_B PAR: B's median CPU per message against A's
cpu_pct() {
	local a b
	a=$(stats "$1" "$3" | cut -d' ' -f5)
	b=$(stats "$2" "$3" | cut -d' ' -f5)
	awk -v a="$a" -v b="$b" \
	    'BEGIN { printf "%+.2f ms (%+.1f%%)", b - a, (b - a) * 100 / a }'
}
# cpu_spread NAME PAR: (max - min) / median of the rounds' CPU, per cent
cpu_spread() {
	grep "^$1|$2|" "$WORK/rows" | cut -d'|' -f3 |
	    while IFS= read -r l; do field "$l" cpu_us; done | sort -n |
	    awk '{ c[NR] = $1 } END { k = int((NR + 1) / 2)
		printf "%.1f%%", (c[NR] - c[1]) * 100 / c[k] }'
}
for round in $(seq "$ROUNDS"); do
	for par in 1 "$PAR"; do
		run nopol w r@nopol.test "$par" "$SD"
		run pol w r@pol.test "$par" "$SD"
		run nopol-norpt w-norpt r@nopol.test "$par" "$SD"
		run pol-norpt w-norpt r@pol.test "$par" "$SD"
	done
	run core-nopol core r@nopol.test 1 "$SD_CORE" "$NCORE"
	run core-pol core r@pol.test 1 "$SD_CORE" "$NCORE"
	run core-nopol-norpt core-norpt r@nopol.test 1 "$SD_CORE" "$NCORE"
	run core-pol-norpt core-norpt r@pol.test 1 "$SD_CORE" "$NCORE"
	echo "sts bench: round $round done" >&2
done
[ "$(wc -l <"$WORK/web/requests.log")" -eq "$fetches" ] ||
    fail "sts bench: a policy was fetched during the runs"

row() { # row LABEL NAME PAR
	read -r med lo hi ms cpu <<<"$(stats "$2" "$3")"
	printf '| %s | %s | %s | %s-%s | %s | %s |\n' "$1" "$3" "$med" "$lo" \
	    "$hi" "$ms" "$cpu"
}
pct() { # pct NAME_A NAME_B PAR: B's median rate against A's, per cent
	local a b
	a=$(stats "$1" "$3" | cut -d' ' -f1)
	b=$(stats "$2" "$3" | cut -d' ' -f1)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }'
}
spread() { # spread NAME PAR: (max - min) / median of the rounds, per cent
	stats "$1" "$2" | awk '{ printf "%.1f%%", ($3 - $2) * 100 / $1 }'
}
# within NAME_A NAME_B PAR: "yes" when B's median rate is not lower and
# its median CPU not higher than A's by more than the larger spread of
# the two rows' rounds
within() {
	local ra rb ca cb sr sc
	ra=$(stats "$1" "$3" | cut -d' ' -f1)
	rb=$(stats "$2" "$3" | cut -d' ' -f1)
	ca=$(stats "$1" "$3" | cut -d' ' -f5)
	cb=$(stats "$2" "$3" | cut -d' ' -f5)
	sr="$(spread "$1" "$3") $(spread "$2" "$3")"
	sc="$(cpu_spread "$1" "$3") $(cpu_spread "$2" "$3")"
	awk -v ra="$ra" -v rb="$rb" -v ca="$ca" -v cb="$cb" -v sr="$sr" \
	    -v sc="$sc" 'function big(s, a) { split(s, a, "[% ]+")
		return a[1] > a[2] ? a[1] : a[2] }
	    BEGIN { ok = (ra - rb) * 100 / ra <= big(sr) &&
		(cb - ca) * 100 / ca <= big(sc); print ok ? "yes" : "no" }'
}
# verdict: the goal of issue 18, from the three pairs of rows
verdict() {
	local miss=""
	[ "$(within nopol pol 1)" = yes ] || miss="$miss one at a time,"
	[ "$(within nopol pol "$PAR")" = yes ] || miss="$miss $PAR at once,"
	[ "$(within core-nopol core-pol 1)" = yes ] ||
	    miss="$miss by themselves,"
	if [ -z "$miss" ]; then
		echo "met: on every pair of rows a cached policy is slower and uses more CPU by less than the rounds spread, or not at all"
	else
		echo "not met:${miss%,} beyond the spread of the rounds"
	fi
}

cat <<EOF
## MTA-STS: the cost per message of a cached policy

\`t/bench/sts.sh\` (issue 18). $N messages of 3 KB a row ($NCORE for the
rows without workers), in $ROUNDS rounds, each row the round with the median messages/s and the range of
all its rounds beside it: one \`smtpdirect deliver\` process per message
(\`t/tools/pipe_bench\`, as pipe(8) starts it), one at a time and $PAR
at once, to a private Postfix smtpd with STARTTLS on loopback (discard
transport). nsd serves MX and A records and the \`_mta-sts\` TXT record;
\`pol.test\` has an MTA-STS policy in mode enforce naming its MX host,
fetched once before the runs and then taken from the cache in
state_dir (the runs fetched nothing: checked); \`nopol.test\` has
none (its TXT lookup is a cached NXDOMAIN). So \`pol.test\` goes over
STARTTLS with the certificate verified for the MX name (\`mta-sts=enforce\`),
\`nopol.test\` over STARTTLS under \`tls_policy = may\` (which verifies
the certificate too, for the log). Through the default delivery
workers a kept TLS session carries the next message of the same
policy; \`smtpdirect-core\` with \`worker_idle_time = 0\` delivers in
each process (a TLS handshake a message, and the policy cache opened
by every process). \`tlsrpt = no\` rows leave out the TLS report counts
(one LMDB write transaction a message, without fsync).

\`\`\`
pipe_bench -n $N -P 1|$PAR -i MSG -- smtpdirect deliver -c CONF -f a@origin.test -q B%n -- r@pol.test|r@nopol.test
pipe_bench -n $NCORE -P 1 -i MSG -- smtpdirect-core deliver -c CORECONF -f a@origin.test -q B%n -- r@pol.test|r@nopol.test
\`\`\`

| domain | at once | messages/s (median) | range of the rounds | median ms | our CPU ms a message |
|---|---:|---:|---:|---:|---:|
$(row "no policy" nopol 1)
$(row "cached enforce policy" pol 1)
$(row "no policy, \`tlsrpt = no\`" nopol-norpt 1)
$(row "cached enforce policy, \`tlsrpt = no\`" pol-norpt 1)
$(row "no policy" nopol "$PAR")
$(row "cached enforce policy" pol "$PAR")
$(row "no policy, \`tlsrpt = no\`" nopol-norpt "$PAR")
$(row "cached enforce policy, \`tlsrpt = no\`" pol-norpt "$PAR")
$(row "no policy, \`smtpdirect-core\`" core-nopol 1)
$(row "cached enforce policy, \`smtpdirect-core\`" core-pol 1)
$(row "no policy, \`smtpdirect-core\`, \`tlsrpt = no\`" core-nopol-norpt 1)
$(row "cached enforce policy, \`smtpdirect-core\`, \`tlsrpt = no\`" core-pol-norpt 1)

Our CPU is user and system time of the processes pipe_bench started
(\`/usr/bin/time\`) plus that of the keeper and its workers over the
round (from /proc), divided by the messages; it is less disturbed than
the wall-clock rates by the other load of the machine.

A cached policy against none, median messages/s: $(pct nopol pol 1) one
at a time (the no-policy rounds spread over $(spread nopol 1)),
$(pct nopol pol "$PAR") at $PAR at once (spread $(spread nopol "$PAR")),
$(pct core-nopol core-pol 1) for processes that deliver by themselves
(spread $(spread core-nopol 1)); our CPU a message: $(cpu_pct nopol pol 1)
(the no-policy rounds spread over $(cpu_spread nopol 1)),
$(cpu_pct nopol pol "$PAR") (spread $(cpu_spread nopol "$PAR")),
$(cpu_pct core-nopol core-pol 1) (spread $(cpu_spread core-nopol 1)).
The TLS report counts, messages/s: $(pct nopol-norpt nopol 1) one at a
time, $(pct nopol-norpt nopol "$PAR") at $PAR at once,
$(pct core-nopol-norpt core-nopol 1) by themselves; CPU:
$(cpu_pct nopol-norpt nopol 1), $(cpu_pct nopol-norpt nopol "$PAR"),
$(cpu_pct core-nopol-norpt core-nopol 1).

Goal (a cached policy within the run-to-run noise of no policy):
$(verdict).
EOF
