#!/bin/sh
# make fuzz: every target of t/fuzz (fuzz.h), built by `make VARIANT=fuzz
# fuzzers`, explores for FUZZ_TIME seconds (default 60) from its corpus,
# one target after the other; FUZZ_ONLY=NAME runs one. New inputs that
# reach code no corpus input reaches are merged into t/fuzz/corpus/NAME
# (commit them). An input that crashes or fails a check is left as
# t/fuzz/out/NAME-crash-* (and the run fails): fix the bug, then keep
# the input as t/fuzz/corpus/NAME/regress-WHAT.
# Each run appends a line to t/fuzz/log.tsv: date, target, seconds run,
# executions, coverage (edges), features, corpus size; SECURITY.md
# reports the totals.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
BIN=build/fuzz/t/fuzz
OUT=t/fuzz/out
TIME=${FUZZ_TIME:-60}
mkdir -p "$OUT"
rc=0
for b in "$BIN"/fuzz_*; do
	case "$b" in *.o) continue ;; esac
	[ -x "$b" ] || continue
	name=${b##*/fuzz_}
	[ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
	corpus=t/fuzz/corpus/$name
	work=$OUT/work-$name
	mkdir -p "$corpus" "$work"
	log=$OUT/$name.log
	t0=$(date +%s)
	"$b" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$OUT/$name-" "$work" "$corpus" >"$log" 2>&1
	frc=$?
	secs=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	"$b" -merge=1 "$corpus" "$work" >"$OUT/$name.merge.log" 2>&1
	n=$(find "$corpus" -type f | wc -l)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
	    "$name" "$secs" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$n" \
	    >>t/fuzz/log.tsv
	if [ "$frc" -ne 0 ]; then
		rc=1
		echo "fuzz $name: FAILED (exit $frc), input kept in $OUT:"
		grep -E 'ERROR|fuzz:|SUMMARY' "$log" | head -n 5
	else
		echo "fuzz $name: ${execs:-?} executions, cov ${cov:-?}, corpus $n"
	fi
done
exit $rc
