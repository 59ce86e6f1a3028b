#!/bin/sh
# Override map load time, lookups per second and peak RSS for generated
# maps of 10k, 100k and 1M mixed exact and wildcard lines (t/tools/ovr_bench).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B="$TOP/build/normal/t/tools/ovr_bench"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "## Override map: load and lookup"
echo
echo "Commands: \`ovr_bench -g N -o MAP\` then \`ovr_bench -l 200000 MAP\`"
echo "(one process per map; RSS is the process peak, generator excluded)."
echo
echo "| lines | load (s) | lookups/s | µs/lookup | peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|"
for n in 10000 100000 1000000; do
	"$B" -g "$n" -o "$dir/map" >/dev/null
	"$B" -l 200000 "$dir/map" | awk -v n="$n" '{
	    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	    printf "| %d | %s | %s | %s | %s |\n", n, v["load_s"],
	        v["lookups_per_s"], v["us_per_lookup"], v["maxrss_mb"] }'
done
