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

# The compiled map (issue 17): its answers against the parsed map's on
# 100,000 random lookups of the 1M-line map, and what each way costs a
# process in memory: ovr_cmap_cmp alone, then smtpdirect-milter.
CMP=${OVR_CMAP_CMP:-$TOP/build/normal/t/tools/ovr_cmap_cmp}
MILTER=${OVR_MILTER:-$TOP/milter/smtpdirect-milter}
"$BENCH" -g 1000000 -o "$dir/map"
mkdir "$dir/s" "$dir/w"
chmod 700 "$dir/s"
chmod 1777 "$dir/w"
cmp=$("$CMP" -l 100000 -d "$dir/s" "$dir/map" 2>/dev/null)
echo
echo "## Compiled override map: the same answers, the memory"
echo
echo "The 1M-line map of \`ovr_bench -g 1000000\`. \`ovr_cmap_cmp -l 100000"
echo "-d DIR MAP\` parses the map, loads it as every program does (compiling"
echo "it into DIR first), looks up 100,000 random domains (from random"
echo "lines, a quarter unknown) with random sizes and retry counts in both"
echo "and compares the lines, their order and \$end:"
echo
echo "\`$cmp\`"
echo
echo "Memory of one process after loading the map and 100,000 lookups"
echo "(\`ovr_cmap_cmp -r parsed|compiled -l N\`; /proc/self/status; RssFile"
echo "is the compiled map's pages, shared by every process that maps it):"
echo
echo "| way | lookups | load ms | VmRSS MB | RssAnon MB | RssFile MB |"
echo "|---|---:|---:|---:|---:|---:|"
for w in "parsed 100000" "compiled 0" "compiled 100000"; do
	set -- $w
	"$CMP" -r "$1" -l "$2" -d "$dir/s" "$dir/map" |
	    awk -v l="$2" '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
	        v[kv[1]] = kv[2] }
	        printf "| %s | %d | %s | %.1f | %.1f | %.1f |\n", v["way"], l,
	        v["load_ms"], v["vmrss_kb"] / 1024, v["rssanon_kb"] / 1024,
	        v["rssfile_kb"] / 1024 }'
done
if [ -x "$MILTER" ]; then
	echo
	echo "smtpdirect-milter with this map, started in the foreground as"
	echo "root (\`smtpdirect-milter -f -c CONF -p unix:SOCK\`), VmRSS once its"
	echo "socket is there; CONF's state_dir holds the compiled map (the first"
	echo "start after \`touch MAP\` rebuilds it, the next finds it up to date),"
	echo "or is one every user may write (parsed):"
	echo
	echo "| way | start ms | VmRSS MB | RssAnon MB |"
	echo "|---|---:|---:|---:|"
	touch "$dir/map"
	for w in "compiled, rebuilt" "compiled, up to date" parsed; do
		sd=$dir/s
		[ "$w" = parsed ] && sd=$dir/w
		printf 'dns_overrides = %s\nstate_dir = %s\n' "$dir/map" "$sd" \
		    >"$dir/mconf"
		rm -f "$dir/m.sock"
		t0=$(date +%s%N)
		"$MILTER" -f -c "$dir/mconf" -p "unix:$dir/m.sock" 2>/dev/null &
		mp=$!
		n=0
		while [ ! -S "$dir/m.sock" ] && [ $n -lt 3000 ]; do
			sleep 0.01
			n=$((n + 1))
		done
		t1=$(date +%s%N)
		awk -v w="$w" -v ms=$(((t1 - t0) / 1000000)) '
		    /^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 }
		    END { printf "| %s | %d | %.1f | %.1f |\n", w, ms, r / 1024,
		        a / 1024 }' "/proc/$mp/status"
		kill "$mp"
		wait "$mp" 2>/dev/null || :
	done
fi
