#!/bin/sh
# The test runner of `make check`: unit tests (normal and ASan+UBSan),
# static checks, then integration tests. Ends with "N passed, N failed".
# Set ONLY=unit|fuzz|static|integration to run one part (unit includes
# the replay of the fuzz corpora), and T=NAME to run only
# integration scripts whose name contains NAME.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
OUT="$TOP/t/out"
mkdir -p "$OUT"
ONLY=${ONLY:-all}
pass=0 fail=0 skip=0
failed_names=""

note_fail() {
	fail=$((fail + $1))
	failed_names="$failed_names $2"
}

# run_units VARIANT: run every Check program of that build. Check's
# timeouts (4 s, or the test's tcase_set_timeout()) are written for
# the normal build; ASan+UBSan at -O1 runs the CPU-bound tests 1.7 to
# 4 times as long, so that pass doubles them (CK_TIMEOUT_MULTIPLIER,
# unless set by the caller). Tests that wait on the disk do not slow
# down under ASan: their own timeouts cover a loaded machine.
run_units() {
	v=$1
	mult=${CK_TIMEOUT_MULTIPLIER:-1}
	[ "$v" != asan ] || mult=${CK_TIMEOUT_MULTIPLIER:-2}
	for b in build/$v/t/unit/check_*; do
		[ -x "$b" ] || continue
		name="$v/$(basename "$b")"
		log="$OUT/unit-$v-$(basename "$b").log"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CK_TIMEOUT_MULTIPLIER=$mult \
		    timeout 600 "$b" >"$log" 2>&1
		rc=$?
		line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
			f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
			e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
			pass=$((pass + n - f - e))
			bad=$((f + e))
			if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
				bad=1
			fi
			if [ "$bad" -gt 0 ]; then
				note_fail "$bad" "$name"
				grep -vE '^(Running suite|[0-9]+%: Checks)' "$log" | head -n 40
			fi
			echo "unit $name: $line"
		else
			note_fail 1 "$name"
			echo "unit $name: FAILED (exit $rc)"
			tail -n 40 "$log"
		fi
	done
}

# run_fuzz_replay: every fuzz target of the ASan build over its corpus
# (t/fuzz/fuzz.h): a crash, a sanitizer report or a failed check fails.
run_fuzz_replay() {
	for b in build/asan/t/fuzz/fuzz_*; do
		case "$b" in *.o) continue ;; esac
		[ -x "$b" ] || continue
		name=${b##*/fuzz_}
		log="$OUT/fuzz-$name.log"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		    timeout 600 "$b" "t/fuzz/corpus/$name" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			pass=$((pass + 1))
			echo "fuzz-replay $name: $(tail -n 1 "$log")"
		else
			note_fail 1 "fuzz-$name"
			echo "fuzz-replay $name: FAILED (exit $rc)"
			tail -n 40 "$log"
		fi
	done
}

# run_static NAME CMD...: one test per static check.
run_static() {
	name=$1
	shift
	if "$@" >"$OUT/static-$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "static $name: ok"
	else
		note_fail 1 "static-$name"
		echo "static $name: FAILED"
		head -n 40 "$OUT/static-$name.log"
	fi
}

if [ "$ONLY" = all ] || [ "$ONLY" = unit ]; then
	run_units normal
	run_units asan
fi

if [ "$ONLY" = all ] || [ "$ONLY" = unit ] || [ "$ONLY" = fuzz ]; then
	run_fuzz_replay
fi

if [ "$ONLY" = all ] || [ "$ONLY" = static ]; then
	run_static format-check make -s format-check
	run_static cppcheck make -s cppcheck
	run_static headers-check make -s headers-check
	run_static clang-tidy make -s tidy
	run_static hardening sh t/hardening.sh
	if ls man/*.[1-8] >/dev/null 2>&1; then
		run_static manlint make -s manlint
	fi
fi

if [ "$ONLY" = all ] || [ "$ONLY" = integration ]; then
	export TOP
	export SMTPDIRECT="$TOP/transport/smtpdirect"
	export SMTPDIRECT_ASAN="$TOP/build/asan/transport/smtpdirect"
	for s in t/integration/[0-9]*.sh; do
		[ -f "$s" ] || continue
		case "$s" in *"${T:-}"*) ;; *) continue ;; esac
		name=$(basename "$s" .sh)
		log="$OUT/int-$name.log"
		timeout 900 bash "$s" >"$log" 2>&1
		rc=$?
		case $rc in
		0) pass=$((pass + 1)); echo "integration $name: ok" ;;
		77) skip=$((skip + 1)); echo "integration $name: SKIPPED: $(tail -n 1 "$log")" ;;
		*) note_fail 1 "$name"; echo "integration $name: FAILED (exit $rc)"; tail -n 40 "$log" ;;
		esac
	done
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
