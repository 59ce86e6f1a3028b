#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The resolver's cache against a local caching server: nsd serves the
# zone, unbound (its own config, loopback) caches it, and the same
# lookups are timed through our cache and through unbound in one run.
# Then a cache of 100k entries: hit latency and file size. Prints a
# markdown section. Addresses 127.0.3.8-9, ports 25330-25331.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SD="$TOP/transport/smtpdirect"
BENCH="$TOP/build/normal/t/tools/dns_bench"
. "$TOP/t/lib/ns_conf.sh"
RUNS=${DNS_BENCH_RUNS:-20000}
for t in nsd unbound "$BENCH"; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "dns bench: $t is missing" >&2
		exit 1
	}
done
dir=$(mktemp -d /tmp/smtpdirect-bench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	sleep 0.2
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

NSD=127.0.3.8
NSD_PORT=25330
UB=127.0.3.9
UB_PORT=25331
cat >"$dir/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 3600
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 3600
@		IN NS ns.test.
ns		IN A $NSD
bench		IN MX 10 mx.bench.test.
mx.bench	IN A 127.0.3.60
ZONE
ns_nsd_conf "$dir" "$NSD" "$NSD_PORT" test="$dir/test.zone"
ns_unbound_conf "$dir" "$UB" "$UB_PORT" "$NSD" "$NSD_PORT"
nsd -c "$dir/nsd.conf" -d >"$dir/nsd.out" 2>&1 &
pids="$pids $!"
unbound -c "$dir/unbound.conf" -d >"$dir/unbound.out" 2>&1 &
pids="$pids $!"
n=0
until "$BENCH" single -s $UB:$UB_PORT -N 1 mx.bench.test >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 100 ] || {
		echo "dns bench: unbound does not answer" >&2
		exit 1
	}
	sleep 0.1
done

# field LINE KEY: the value of KEY=... in a result line
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

ub_mx=$("$BENCH" mx -s $UB:$UB_PORT -N "$RUNS" bench.test | grep '^mx ')
ub_one=$("$BENCH" single -s $UB:$UB_PORT -N "$RUNS" mx.bench.test |
    grep '^single ')
c_mx=$("$BENCH" mx -s $UB:$UB_PORT -d "$dir/c1" -n 1000 -N "$RUNS" \
    bench.test | grep '^mx ')
c_one=$("$BENCH" single -s $UB:$UB_PORT -d "$dir/c1" -n 1000 -N "$RUNS" \
    mx.bench.test | grep '^single ')
big=$("$BENCH" fill -d "$dir/c2" -n 100000 -N "$RUNS")

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'
}

echo "## DNS: cache hits against a local unbound"
echo
echo "\`t/bench/dns.sh\`: nsd serves the zone on loopback, unbound 1.17"
echo "caches it (one thread, iterator only, stub zone to nsd); the same"
echo "lookups are timed ($RUNS runs after one warm-up, in one process, by"
echo "\`t/tools/dns_bench\`) through our LMDB cache and, with the cache"
echo "off, through unbound. \"MX+A\" is one \`dns_mx_lookup()\` of a domain"
echo "with one MX host, IPv4 only: two answers."
echo
echo "| lookup | path | median | p90 | lookups/s |"
echo "|---|---|---:|---:|---:|"
for row in "MX+A|our cache|$c_mx" "MX+A|unbound, loopback|$ub_mx" \
    "one A|our cache|$c_one" "one A|unbound, loopback|$ub_one"; do
	what=${row%%|*}
	rest=${row#*|}
	path=${rest%%|*}
	line=${rest#*|}
	echo "| $what | $path | $(field "$line" median_us) µs |" \
	    "$(field "$line" p90_us) µs | $(field "$line" per_s) |"
done
echo
echo "A cache hit is $(ratio "$(field "$ub_one" median_us)" \
    "$(field "$c_one" median_us)")× faster than one loopback round trip to"
echo "unbound (median against median; goal ≥ 20×); a cached MX+A lookup is"
echo "$(ratio "$(field "$ub_mx" median_us)" "$(field "$c_mx" median_us)")× faster than asking unbound for both. All figures vary"
echo "with the load of the machine; round trips to unbound vary most."
echo
echo "### A cache of 100k entries"
echo
echo "\`dns_bench fill -n 100000\`: 100,000 A answers put into a new cache,"
echo "then $RUNS hits on the newest 1,000 (hot) and on random entries. A"
echo "hit on an entry outside the newest eighth is noted, and the notes"
echo "move their entries to the front of the LRU order in one write"
echo "transaction per 64 (or when the process closes the cache): the"
echo "median is a read transaction, lookups/s includes those writes."
echo
hot=$(echo "$big" | grep '^hit_hot ')
rnd=$(echo "$big" | grep '^hit_random ')
echo "| hits on | median | p90 | lookups/s |"
echo "|---|---:|---:|---:|"
echo "| newest 1,000 | $(field "$hot" median_us) µs | $(field "$hot" p90_us) µs |" \
    "$(field "$hot" per_s) |"
echo "| random entries | $(field "$rnd" median_us) µs |" \
    "$(field "$rnd" p90_us) µs | $(field "$rnd" per_s) |"
echo
bytes=$(echo "$big" | sed -n 's/^file_bytes=//p')
secs=$(echo "$big" | sed -n 's/^fill .*seconds=//p')
echo "File size: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')"
echo "($bytes bytes, about $((bytes / 100000)) bytes an entry); filling it"
echo "took $secs s (one write transaction per entry)."
if command -v hyperfine >/dev/null 2>&1; then
	printf 'dns_servers = %s:%s\nstate_dir = %s\ndns_cache_size = 1000\n' \
	    $UB $UB_PORT "$dir/c3" >"$dir/conf"
	printf 'dns_servers = %s:%s\nstate_dir = %s\ndns_cache_size = 0\n' \
	    $UB $UB_PORT "$dir/c3" >"$dir/conf0"
	"$SD" resolve -c "$dir/conf" bench.test >/dev/null
	hyperfine -N --warmup 5 --runs 200 --export-markdown "$dir/md" \
	    "$SD resolve -c $dir/conf bench.test" \
	    "$SD resolve -c $dir/conf0 bench.test" >/dev/null 2>&1
	echo
	echo "### Whole \`smtpdirect resolve\` processes"
	echo
	echo "\`hyperfine -N --warmup 5 --runs 200\`; CONF has the cache on"
	echo "(warm), CONF0 has \`dns_cache_size = 0\` (unbound answers)."
	echo
	sed "s|$dir/conf0|CONF0|g; s|$dir/conf|CONF|g; s|$SD|smtpdirect|g" \
	    "$dir/md"
fi
