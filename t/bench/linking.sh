#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Linking (issue 20): smtpdirect-core with ldns, LMDB and OpenSSL linked
# in (make LINK=static, built into build/static: the variant that
# t/bench/deliver.sh builds for its own comparison, so that the two
# share one build) against the default build in transport/, which links
# them shared. Both are position-independent. Two measures, the builds
# taken in turn, so that a change in the machine's load hits both alike:
# - CPU of one start of `smtpdirect-core --version` and of
#   `smtpdirect-core route -c CONF user@bench.test`: LINK_PERF_ROUNDS
#   (3) rounds of `perf stat -r LINK_PERF_N (1000) -e task-clock`, the
#   builds in turn within each round; mean ± sd of all the runs;
# - the queue drain of t/bench/drain.sh, one round per run
#   (SMTPDIRECT=BUILD/smtpdirect DRAIN_ROUNDS=1), LINK_ROUNDS (6) runs
#   of each build, alternately (static, shared, static, ...); DRAIN_N
#   and DRAIN_MAXPROC, when set, pass on to it.
# Prints a markdown section: every round, the medians and the spread,
# and whether the drain moves beyond its spread (the default stays
# shared unless the shared build's median is slower than the static
# one's by more than the narrower of the two builds' spreads). No
# address of its own: route connects to nothing and drain.sh uses its
# own (127.0.7.10-11). Needs perf (linux-perf), and what drain.sh needs
# (root, Postfix).
#
#   LINK_ROUNDS=1 LINK_PERF_N=20 DRAIN_N=200 sh t/bench/linking.sh   (a quick try)
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export TOP
ROUNDS=${LINK_ROUNDS:-6}
PERF_N=${LINK_PERF_N:-1000}
PERF_ROUNDS=${LINK_PERF_ROUNDS:-3}
RCPT=user@bench.test
LIMIT=900
# The builds: "static" (make LINK=static) and "shared" (the default).
STATIC_DIR="$TOP/build/static/transport"
SHARED_DIR="$TOP/transport"

# WORK and a clean-up that stops only this script's own jobs.
# shellcheck source=t/lib/common.sh
. "$TOP/t/lib/common.sh"

# die MSG - report on stderr and fail
die() {
	echo "linking bench: $*" >&2
	exit 1
}

for t in perf awk timeout; do
	command -v "$t" >/dev/null 2>&1 || die "$t is missing"
done
for r in "$ROUNDS" "$PERF_N" "$PERF_ROUNDS"; do
	case $r in
	'' | *[!0-9]* | 0) die "LINK_ROUNDS, LINK_PERF_N and LINK_PERF_ROUNDS are counts from 1" ;;
	esac
done
for p in smtpdirect smtpdirect-core; do
	[ -x "$SHARED_DIR/$p" ] || die "$SHARED_DIR/$p is not built (make)"
done
# The same command as t/bench/deliver.sh: when it has run, nothing to do.
make -C "$TOP" -s VARIANT=static LINK=static build/static/transport/smtpdirect \
    build/static/transport/smtpdirect-core \
    >&2 || die "cannot build $STATIC_DIR/smtpdirect"

# bdir BUILD - the directory of that build's programs
bdir() {
	case $1 in
	static) echo "$STATIC_DIR" ;;
	shared) echo "$SHARED_DIR" ;;
	esac
}

# Each build must be what it is compared as (a `make LINK=static all`
# would have put a built-in core into transport/).
for b in static shared; do
	v=$("$(bdir $b)/smtpdirect-core" --version) || die "$(bdir $b)/smtpdirect-core --version failed"
	case $b in static) want="(built in)" ;; *) want="(shared)" ;; esac
	case $v in
	*"$want"*) ;;
	*) die "$(bdir $b)/smtpdirect-core is not the $b build: $v" ;;
	esac
done
libs=$(echo "$v" | sed -n '2s/ (shared)$//p')

# --- start-up CPU -------------------------------------------------------
# One configuration per build, each with a state_dir of its own (route
# compiles the map into it at its first run, the warm-up below).
echo "bench.test 127.0.7.20:25720" >"$WORK/overrides"
for b in static shared; do
	mkdir "$WORK/state-$b"
	cat >"$WORK/$b.conf" <<EOF
# No DNS query may leave the machine: the map routes the test domain.
dns_servers = 127.0.7.99:25799
dns_overrides = $WORK/overrides
state_dir = $WORK/state-$b
EOF
done

# cmd NAME BUILD - the command line of that row (split on purpose)
cmd() {
	case $1 in
	version) echo "$(bdir "$2")/smtpdirect-core --version" ;;
	route) echo "$(bdir "$2")/smtpdirect-core route -c $WORK/$2.conf $RCPT" ;;
	esac
}

# Warm-up, and a check that every command works: perf stat would count
# a failing one all the same.
for c in version route; do
	for b in static shared; do
		# shellcheck disable=SC2046 # split on purpose
		timeout 60 $(cmd $c $b) >"$WORK/warm.out" 2>&1 ||
			die "$(cmd $c $b): $(tail -n 3 "$WORK/warm.out")"
	done
done

# perf_row NAME BUILD ROUND - one perf stat of that row; appends "NAME
# BUILD ROUND cpu_ms cpu_sd_ms wall_ms wall_sd_ms" to $WORK/perf.rows,
# the sd of one run (perf's ± is that of the mean: times √N).
perf_row() {
	out="$WORK/perf-$1-$2-$3.txt"
	# shellcheck disable=SC2046 # split on purpose
	LC_ALL=C timeout $LIMIT perf stat -r "$PERF_N" -e task-clock -o "$out" \
	    -- $(cmd "$1" "$2") >/dev/null 2>>"$WORK/perf.err" ||
		die "perf stat $(cmd "$1" "$2") failed: $(tail -n 3 "$WORK/perf.err")"
	LC_ALL=C awk -v n="$PERF_N" -v row="$1 $2 $3" '
	function pm(    i) {
		for (i = 1; i < NF; i++)
			if ($i == "+-")
				return $(i + 1)
		return 0
	}
	/ task-clock/ { cpu = $1; rel = pm(); sub("%", "", rel) }
	/seconds time elapsed/ { wall = $1 * 1000; wsd = pm() * 1000 }
	END {
		if (cpu == "")
			exit 1
		printf "%s %.4f %.4f %.4f %.4f\n", row, cpu,
		    cpu * rel / 100 * sqrt(n), wall, wsd * sqrt(n)
	}' "$out" >>"$WORK/perf.rows" || die "no task-clock in $out"
	echo "linking bench: perf $(tail -n 1 "$WORK/perf.rows")" >&2
}

: >"$WORK/perf.rows"
: >"$WORK/perf.err"
for round in $(seq 1 "$PERF_ROUNDS"); do
	for c in version route; do
		for b in static shared; do
			perf_row $c $b "$round"
		done
	done
done

# pooled NAME BUILD COL - "mean sd" of all that row's runs: COL 4 (CPU)
# or 6 (wall); the variance within the rounds plus that of their means
pooled() {
	awk -v c="$1" -v b="$2" -v k="$3" '
	$1 == c && $2 == b { m[++n] = $k; s[n] = $(k + 1) }
	END {
		for (i = 1; i <= n; i++)
			mean += m[i] / n
		for (i = 1; i <= n; i++)
			v += (s[i] * s[i] + (m[i] - mean) ^ 2) / n
		printf "%.2f %.2f\n", mean, sqrt(v)
	}' "$WORK/perf.rows"
}

# cell NAME BUILD - "CPU ± sd ms (wall ± sd)"
cell() {
	set -- "$(pooled "$1" "$2" 4)" "$(pooled "$1" "$2" 6)"
	echo "${1% *} ± ${1#* } ms (wall ${2% *} ± ${2#* })"
}

# --- queue drain --------------------------------------------------------
DRAIN_ENV="DRAIN_ROUNDS=1${DRAIN_N:+ DRAIN_N=$DRAIN_N}${DRAIN_MAXPROC:+ DRAIN_MAXPROC=$DRAIN_MAXPROC}"
# drain BUILD ROUND - one run of drain.sh with that build; appends
# "BUILD ROUND smtpdirect_s smtp8_s share sessions" to $WORK/drain.rows
# from the table it prints (its whole output stays in $WORK).
drain() {
	out="$WORK/drain-$1-$2.md"
	echo "linking bench: drain $2 of $ROUNDS, $1" >&2
	# shellcheck disable=SC2086 # DRAIN_ENV is split on purpose
	env SMTPDIRECT="$(bdir "$1")/smtpdirect" $DRAIN_ENV \
	    sh "$TOP/t/bench/drain.sh" >"$out" || die "drain.sh with the $1 build failed"
	awk -F'|' -v row="$1 $2" '
	function t(s) { gsub(/^ +| +$/, "", s); return s }
	t($3) == "smtpdirect" { sd = t($5); share = t($7); sess = t($8) }
	t($2) == "Postfix smtp(8)" { nat = t($5) }
	END {
		if (sd == "" || nat == "")
			exit 1
		sub("%", "", share)
		print row, sd, nat, share, sess
	}' "$out" >>"$WORK/drain.rows" || die "no drain figures in $out"
	echo "linking bench: drain $(tail -n 1 "$WORK/drain.rows")" >&2
}

: >"$WORK/drain.rows"
for round in $(seq 1 "$ROUNDS"); do
	drain static "$round"
	drain shared "$round"
done
N=$(sed -n 's/^## Queue drain: \([0-9]*\) held messages.*/\1/p' "$WORK/drain-static-1.md")
MAXPROC=$(awk -F'|' '$3 ~ /^ *smtpdirect *$/ { gsub(/ /, "", $4); print $4 }' \
    "$WORK/drain-static-1.md")

# col BUILD COL - that column of every round of that build, one a line
col() {
	awk -v b="$1" -v k="$2" '$1 == b { print $k }' "$WORK/drain.rows"
}
# median - of the numbers on standard input (the mean of the two middle
# ones for an even count)
median() {
	sort -n | awk '{ r[NR] = $1 } END {
		if (NR % 2) print r[(NR + 1) / 2]
		else print (r[NR / 2] + r[NR / 2 + 1]) / 2 }'
}
# f2 X, f0 X - X with two decimals, none
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
f0() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
lo() { col "$1" "$2" | sort -n | head -n 1; }
hi() { col "$1" "$2" | sort -n | tail -n 1; }
# range BUILD COL - "lo–hi" of that column, or the one value
range() {
	if [ "$(lo "$1" "$2")" = "$(hi "$1" "$2")" ]; then
		lo "$1" "$2"
	else
		echo "$(lo "$1" "$2")–$(hi "$1" "$2")"
	fi
}
# runs N - "N runs", "1 run"
runs() {
	[ "$1" = 1 ] && echo "1 run" || echo "$1 runs"
}

# --- report -------------------------------------------------------------
echo "## Linking: ldns, LMDB and OpenSSL built in or shared (issue 20)"
echo
echo "\`t/bench/linking.sh\` (issue 20): two builds of the same code, both"
echo "position-independent: \`make LINK=static\` links ldns, LMDB and OpenSSL"
echo "into \`smtpdirect-core\` (glibc and libidn2 stay shared; the variant"
echo "\`build/static\`, which \"Delivery\" above uses too), the default"
echo "\`make\` (\`LINK=shared\`) links them shared ($libs)."
echo "The builds are taken in turn, so that a change in the machine's"
echo "load hits both alike."
echo
echo "Start-up of \`smtpdirect-core\`, which a message pays only when no"
echo "delivery worker is idle (and every command but \`deliver\`). Each cell"
echo "is the mean ± sd of $PERF_ROUNDS rounds of $(runs "$PERF_N") (the builds in turn"
echo "within each round; sd of all the runs: perf's ± times √$PERF_N within"
echo "a round, with the spread of the rounds' means); the first number is"
echo "CPU (task-clock), the second wall time, which other load makes noisy."
echo "CONF: \`dns_overrides\` a one-line map routing bench.test to an"
echo "address, \`state_dir\` a new directory of its own for each build."
echo
echo '```'
echo "make VARIANT=static LINK=static build/static/transport/smtpdirect build/static/transport/smtpdirect-core"
echo "perf stat -r $PERF_N -e task-clock -- BUILD/smtpdirect-core --version >/dev/null"
echo "perf stat -r $PERF_N -e task-clock -- BUILD/smtpdirect-core route -c CONF $RCPT >/dev/null"
echo '```'
echo
echo "| build | \`smtpdirect-core --version\` | \`smtpdirect-core route -c CONF $RCPT\` |"
echo "|---|---:|---:|"
echo "| built in (\`LINK=static\`, BUILD = build/static/transport) | $(cell version static) | $(cell route static) |"
echo "| shared (\`LINK=shared\`, BUILD = transport) | $(cell version shared) | $(cell route shared) |"
vs=$(pooled version static 4) vd=$(pooled version shared 4)
rs=$(pooled route static 4) rd=$(pooled route shared 4)
echo
echo "Loading and relocating the shared libraries costs"
echo "$(f2 "$(echo "${vd% *} ${vs% *}" | awk '{ print $1 - $2 }')") ms of CPU at every start (\`--version\`), $(f2 "$(echo "${rd% *} ${rs% *}" | awk '{ print $1 - $2 }')") ms"
echo "with a route looked up."
echo
echo "The queue drain (\`t/bench/drain.sh\`, \"Queue drain\" above: $N"
echo "held messages, maxproc $MAXPROC), one round per run, $(runs "$ROUNDS") of each build"
echo "alternately (the front is the same musl program in both):"
echo
echo '```'
echo "SMTPDIRECT=BUILD/smtpdirect $DRAIN_ENV sh t/bench/drain.sh"
echo '```'
echo
echo "| round | \`LINK=static\` s | its smtp(8) s | share | \`LINK=shared\` s | its smtp(8) s | share |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
	awk -v r="$round" '$2 == r { s[$1] = $3 " | " $4 " | " $5 "%" }
	END { printf "| %d | %s | %s |\n", r, s["static"], s["shared"] }' \
	    "$WORK/drain.rows"
done
ms=$(col static 3 | median) md=$(col shared 3 | median)
echo "| **median** | **$(f2 "$ms")** | $(f2 "$(col static 4 | median)") | $(f0 "$(col static 5 | median)")% |" \
    "**$(f2 "$md")** | $(f2 "$(col shared 4 | median)") | $(f0 "$(col shared 5 | median)")% |"
echo
# spread BUILD - "lo–hi s (P% of the median)"
spread() {
	l=$(lo "$1" 3) h=$(hi "$1" 3) m=$(col "$1" 3 | median)
	echo "$(range "$1" 3) s ($(awk -v l="$l" -v h="$h" -v m="$m" 'BEGIN { printf "%.0f", 100 * (h - l) / m }')% of the median)"
}
# The noise: the narrower of the two builds' spreads (highest minus
# lowest round), in seconds: a build that the change slows in some
# rounds only would widen its own; the difference: shared minus static,
# medians.
noise=$(awk -v a="$(lo static 3)" -v b="$(hi static 3)" -v c="$(lo shared 3)" \
    -v d="$(hi shared 3)" 'BEGIN { x = b - a; y = d - c; printf "%.2f", (x < y ? x : y) }')
diff=$(awk -v s="$ms" -v d="$md" 'BEGIN { printf "%.2f", d - s }')
absdiff=${diff#-}
dpct=$(awk -v s="$ms" -v d="$md" 'BEGIN { x = 100 * (d - s) / s; printf "%.0f", (x < 0 ? -x : x) }')
case $absdiff in
0.00) faster="neither the faster" ;;
*) case $diff in
	-*) faster="the shared build the faster" ;;
	*) faster="the built-in build the faster" ;;
	esac ;;
esac
echo "Spread from run to run: $(spread static) built in,"
echo "$(spread shared) shared; the medians differ by $absdiff s ($dpct%,"
echo "$faster)."
if [ "$ROUNDS" -lt 2 ]; then
	echo "With one run of each build there is no spread to judge by: this"
	echo "run decides nothing, and the default stays shared (README, \"Install\")."
elif awk -v d="$diff" -v n="$noise" 'BEGIN { exit !(d > n) }'; then
	echo "Linking shared slows the drain by $diff s, more than the narrower"
	echo "spread of the two builds ($noise s): the default should be"
	echo "\`LINK=static\` again (README, \"Install\")."
else
	echo "Linking shared does not slow the drain by more than the narrower"
	echo "spread of the two builds ($noise s), so it is the default (README,"
	echo "\"Install\")."
fi
echo "smtpdirect used $(range static 6) SMTP sessions per drain built in,"
echo "$(range shared 6) shared."
