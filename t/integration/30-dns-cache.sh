#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The shared DNS cache against nsd on loopback: hits proven by nsd's
# query counters, TTL expiry (TTL 2 s), processes sharing the cache, LRU
# eviction at dns_cache_size, damaged cache files (rebuilt, never fatal),
# dns_cache_size = 0, and an unusable state_dir.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/dns_test.sh"
dns_need nsd nsd-control drill

A=127.0.3.2
P=25302
S=$A:$P
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A 127.0.3.2
m		IN MX 10 h.hosts.test.
h.hosts		IN A 127.0.3.31
h.hosts		IN AAAA 2001:db8::31
ttl2	2	IN MX 10 h.hosts.test.
p1		IN MX 10 h.hosts.test.
p2		IN MX 10 h.hosts.test.
p3		IN MX 10 h.hosts.test.
e1		IN A 127.0.3.41
e2		IN A 127.0.3.42
e3		IN A 127.0.3.43
e4		IN A 127.0.3.44
ZONE
dns_nsd_start $A $P "$WORK/test.zone"
STATE=$WORK/state
CACHE=$STATE/dns-cache.lmdb
dns_conf "$WORK/conf" $S 100 "$STATE"

# res ARGS...: smtpdirect resolve; output in $WORK/out, $WORK/err, rc in $rc
res() {
	set +e
	"$SD" resolve -c "$WORK/conf" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	set -e
}

# has FILE REGEX: the file has a matching line
has() {
	grep -Eq "$2" "$1" || fail "no /$2/ in $1: $(cat "$1")"
}

# queries_since N: queries nsd received since it had N
queries_since() {
	echo $(($(dns_nsd_stat num.queries) - $1))
}

# A hit: the second resolve sends nothing and says "cache" everywhere.
q0=$(dns_nsd_stat num.queries)
res m.test
[ $rc -eq 0 ] || fail "m.test: exit $rc: $(cat "$WORK/err")"
[ "$(queries_since "$q0")" -eq 3 ] || fail "first resolve: $(queries_since "$q0") queries"
has "$WORK/out" '^m\.test: MX ttl 300 \(network\)'
[ -s "$CACHE" ] || fail "no cache file $CACHE"
q1=$(dns_nsd_stat num.queries)
res m.test
[ "$(queries_since "$q1")" -eq 0 ] || fail "cached resolve sent queries"
has "$WORK/out" '^m\.test: MX ttl [0-9]+ \(cache\)'
has "$WORK/out" '^10 h\.hosts\.test: A ttl [0-9]+ \(cache\), AAAA ttl [0-9]+ \(cache\)'
has "$WORK/out" '^    127\.0\.3\.31$'

# TTL expiry: a 2 s MX is served from the cache, then asked again.
mx0=$(dns_nsd_stat num.type.MX)
res ttl2.test
has "$WORK/out" '^ttl2\.test: MX ttl 2 \(network\)'
res ttl2.test
has "$WORK/out" '^ttl2\.test: MX ttl [12] \(cache\)'
[ $(($(dns_nsd_stat num.type.MX) - mx0)) -eq 1 ] || fail "TTL 2 not cached"
sleep 2.2
res ttl2.test
has "$WORK/out" '^ttl2\.test: MX ttl 2 \(network\)'
[ $(($(dns_nsd_stat num.type.MX) - mx0)) -eq 2 ] || fail "TTL 2 not expired"

# Processes share the cache: two at once fill it, a third finds both.
timeout 30 "$SD" resolve -c "$WORK/conf" p1.test >"$WORK/p1" 2>&1 &
pid1=$!
timeout 30 "$SD" resolve -c "$WORK/conf" p2.test >"$WORK/p2" 2>&1 &
pid2=$!
wait $pid1 || fail "p1: $(cat "$WORK/p1")"
wait $pid2 || fail "p2: $(cat "$WORK/p2")"
q2=$(dns_nsd_stat num.queries)
res p1.test
has "$WORK/out" '^p1\.test: MX ttl [0-9]+ \(cache\)'
res p2.test
has "$WORK/out" '^p2\.test: MX ttl [0-9]+ \(cache\)'
[ "$(queries_since "$q2")" -eq 0 ] || fail "second process asked again"

# Many processes at once on one cache: every one succeeds.
pids=""
i=0
while [ $i -lt 12 ]; do
	timeout 30 "$SD" resolve -c "$WORK/conf" p3.test >"$WORK/many.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || fail "a concurrent resolve failed"
done

# LRU eviction at the cache size (3 entries, A lookups with the tool).
L=$WORK/lru
look() {
	"$DNS_TOOL" -s $S -d "$L" -n 3 -q A "$1.test" >/dev/null
}
a0=$(dns_nsd_stat num.type.A)
look e1
look e2
look e3
look e1
[ $(($(dns_nsd_stat num.type.A) - a0)) -eq 3 ] || fail "e1 not a hit"
look e4
look e2
[ $(($(dns_nsd_stat num.type.A) - a0)) -eq 5 ] || fail "e2 was not evicted"
look e1
[ $(($(dns_nsd_stat num.type.A) - a0)) -eq 5 ] || fail "e1 (recently used) was evicted"
if command -v mdb_stat >/dev/null 2>&1; then
	n=$(mdb_stat -n -s answers "$L/dns-cache.lmdb" |
	    sed -n 's/^ *Entries: //p')
	[ "$n" -eq 3 ] || fail "cache holds $n entries, want 3"
fi

# Damaged cache files are discarded and rebuilt; resolve still works.
for damage in head text truncate; do
	res m.test
	case $damage in
	head) dd if=/dev/urandom of="$CACHE" bs=4096 count=2 conv=notrunc \
	    2>/dev/null ;;
	text) echo "not a cache" >"$CACHE" ;;
	truncate) truncate -s 12288 "$CACHE" ;;
	esac
	res m.test
	[ $rc -eq 0 ] || fail "$damage: exit $rc: $(cat "$WORK/err")"
	has "$WORK/out" '^m\.test: MX ttl 300 \(network\)'
	has "$WORK/err" 'damaged or foreign state file: discarding it'
	res m.test
	has "$WORK/out" '^m\.test: MX ttl [0-9]+ \(cache\)'
done

# dns_cache_size = 0: no cache, every resolve asks.
dns_conf "$WORK/conf0" $S 0 "$WORK/state0"
q3=$(dns_nsd_stat num.queries)
"$SD" resolve -c "$WORK/conf0" m.test >/dev/null
"$SD" resolve -c "$WORK/conf0" m.test >"$WORK/out"
[ "$(queries_since "$q3")" -eq 6 ] || fail "size 0 cached something"
[ ! -e "$WORK/state0/dns-cache.lmdb" ] || fail "size 0 made a cache file"

# An unusable state_dir costs the cache, not the lookup.
: >"$WORK/plainfile"
dns_conf "$WORK/confbad" $S 100 "$WORK/plainfile/state"
"$SD" resolve -c "$WORK/confbad" m.test >"$WORK/out" 2>"$WORK/err" ||
	fail "resolve without a usable state_dir"
has "$WORK/err" 'DNS cache disabled'
echo "30-dns-cache: ok"
