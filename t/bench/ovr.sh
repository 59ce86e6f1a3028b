#!/bin/sh
# Override map benchmark: generate maps of 10k, 100k and 1M mixed exact and
# wildcard lines in a temporary directory, load each with ovr_bench and
# print load time, lookups per second and memory as a markdown table.
#   sh t/bench/ovr.sh            (after make VARIANT=normal build)
#   OVR_BENCH_SIZES="1000 5000" OVR_BENCH_LOOKUPS=50000 sh t/bench/ovr.sh
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=${OVR_BENCH:-$TOP/build/normal/t/tools/ovr_bench}
SIZES=${OVR_BENCH_SIZES:-10000 100000 1000000}
LOOKUPS=${OVR_BENCH_LOOKUPS:-200000}

if [ ! -x "$BENCH" ]; then
	echo "ovr.sh: $BENCH missing; run make VARIANT=normal build" >&2
	exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

echo "## Override map: load and lookup"
echo
echo "Commands, for each N in $SIZES: \`ovr_bench -g N -o MAP\` (mixed"
echo "exact and wildcard lines), then \`ovr_bench -m -l $LOOKUPS MAP\`, one"
echo "process per map. Goal: 1M lines load well under a second."
echo
echo "| lines | rules | file MB | load s | lookups/s | us/lookup |" \
    "matches/lookup | map RSS MB | peak RSS MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	"$BENCH" -g "$n" -o "$dir/map"
	row=$(timeout 600 "$BENCH" -m -l "$LOOKUPS" "$dir/map")
	echo "| $n $row"
	rm -f "$dir/map"
done
