#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 45-slots: the host-wide concurrency cap (SPEC section 6), no network.
# MAX processes take every slot; the next one gives up with 4.3.2 within
# its wait bound; a holder killed with SIGKILL leaves its slot free, and
# a new process takes it; a process that exits normally frees its slot.
set -eu

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
HOLD=$TOP/build/normal/t/tools/slot_hold
MAX=3

fail() {
	echo "45-slots: FAIL: $*"
	exit 1
}

[ -x "$HOLD" ] || fail "$HOLD is not built (make VARIANT=normal build)"

tmp=$(mktemp -d /tmp/smtpdirect-45-slots.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill -9 "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/state"
dir=$tmp/state/slots

# now_ms: monotonic enough for a bound check (GNU date).
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_held FILE: poll until FILE says "held N", at most 10 s.
wait_held() {
	n=0
	while ! grep -q '^held [0-9]' "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -le 100 ] || fail "no slot held in $1 within 10s"
		sleep 0.1
	done
}

# 1. MAX holders take every slot.
k=1
while [ "$k" -le "$MAX" ]; do
	"$HOLD" "$dir" "$MAX" 5 120 >"$tmp/h$k.out" 2>"$tmp/h$k.err" &
	pids="$pids $!"
	eval "pid$k=$!"
	k=$((k + 1))
done
k=1
while [ "$k" -le "$MAX" ]; do
	wait_held "$tmp/h$k.out"
	k=$((k + 1))
done
held=$(cat "$tmp"/h*.out | sort | tr '\n' ' ')
[ "$held" = "held 0 held 1 held 2 " ] || fail "holders got: $held"
echo "45-slots: $MAX holders: $held"
mode=$(stat -c %a "$dir")
[ "$mode" = 700 ] || fail "slot directory mode $mode, want 700"

# 2. The next one gives up with 4.3.2 within its bound (1 s).
t0=$(now_ms)
rc=0
timeout 10 "$HOLD" "$dir" "$MAX" 1 0 >"$tmp/x.out" 2>"$tmp/x.err" || rc=$?
elapsed=$(($(now_ms) - t0))
[ "$rc" -eq 75 ] || fail "over the cap: exit $rc, want 75"
line=$(cat "$tmp/x.err")
[ "$line" = "4.3.2 too many concurrent deliveries (max_concurrent=3), waited 1s" ] ||
	fail "over the cap: stderr \"$line\""
[ ! -s "$tmp/x.out" ] || fail "over the cap: it printed $(cat "$tmp/x.out")"
[ "$elapsed" -ge 1000 ] && [ "$elapsed" -lt 5000 ] ||
	fail "over the cap: gave up after ${elapsed}ms, want 1000..5000"
echo "45-slots: over the cap: exit 75 after ${elapsed}ms: $line"

# 3. kill -9 one holder: its slot comes free, nothing leaks.
victim=$(sed -n 's/^held //p' "$tmp/h2.out")
# shellcheck disable=SC2154 # pid2 is set by eval above
kill -9 "$pid2"
wait "$pid2" 2>/dev/null || true
out=$(timeout 10 "$HOLD" "$dir" "$MAX" 2 0) || fail "after kill -9: exit $?"
[ "$out" = "held $victim" ] || fail "after kill -9: \"$out\", want held $victim"
echo "45-slots: after kill -9 of the holder of slot $victim: $out"

# 4. A process that exited normally left its slot free too.
out=$(timeout 10 "$HOLD" "$dir" "$MAX" 0 0) || fail "after exit: exit $?"
[ "$out" = "held $victim" ] || fail "after exit: \"$out\", want held $victim"

# 5. The other holders were not disturbed.
# shellcheck disable=SC2154 # pid1 and pid3 are set by eval above
kill -0 "$pid1" && kill -0 "$pid3" || fail "a surviving holder died"
echo "45-slots: ok"
