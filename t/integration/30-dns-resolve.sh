#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The resolver against a real authoritative server (nsd on loopback):
# MX sorting and shuffling, implicit MX, null MX, NXDOMAIN versus NODATA,
# CNAME chains and their depth bound, MX naming a CNAME or an IP
# address, MX hosts without address, TLSA, and smtpdirect resolve's
# output and exit codes.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/dns_test.sh"
dns_need nsd nsd-control drill

A=127.0.3.1
P=25301
S=$A:$P
TLSA_HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A 127.0.3.1
sort		IN MX 10 a.hosts.test.
sort		IN MX 20 c.hosts.test.
sort		IN MX 10 b.hosts.test.
sort		IN MX 5 first.hosts.test.
a.hosts		IN A 127.0.3.11
a.hosts		IN AAAA 2001:db8::11
b.hosts		IN A 127.0.3.12
c.hosts		IN A 127.0.3.13
first.hosts	IN A 127.0.3.10
implicit	IN A 127.0.3.20
implicit	IN AAAA 2001:db8::20
nullmx		IN MX 0 .
nodata		IN TXT "no mail here"
chain		IN CNAME chain1.test.
chain1		IN CNAME chain2.test.
chain2		IN MX 10 a.hosts.test.
long0		IN CNAME long1.test.
long1		IN CNAME long2.test.
long2		IN CNAME long3.test.
long3		IN CNAME long4.test.
long4		IN CNAME long5.test.
long5		IN CNAME long6.test.
long6		IN CNAME long7.test.
long7		IN CNAME long8.test.
long8		IN CNAME long9.test.
long9		IN CNAME long10.test.
long10		IN MX 10 a.hosts.test.
loop		IN CNAME loop2.test.
loop2		IN CNAME loop.test.
mxcname		IN MX 10 alias.test.
alias		IN CNAME a.hosts.test.
mxip		IN MX 10 127.0.3.77.
dead		IN MX 10 gone.test.
dead		IN MX 20 b.hosts.test.
allgone		IN MX 10 gone.test.
allgone		IN MX 20 gone2.test.
_25._tcp.a.hosts IN TLSA 3 1 1 $TLSA_HEX
ZONE
dns_nsd_start $A $P "$WORK/test.zone"
dns_conf "$WORK/conf" $S 0

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

# MX sorted by preference; equal preferences shuffled across runs.
res sort.test
[ $rc -eq 0 ] || fail "sort.test: exit $rc"
prefs=$(grep -E '^[0-9]+ ' "$WORK/out" | cut -d' ' -f1 | tr '\n' ' ')
[ "$prefs" = "5 10 10 20 " ] || fail "preferences: $prefs"
has "$WORK/out" '^5 first\.hosts\.test: A ttl 300 \(network\)'
has "$WORK/out" '^    127\.0\.3\.10$'
has "$WORK/out" '^20 c\.hosts\.test:'
seen_a=0
seen_b=0
for seed in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	second=$("$DNS_TOOL" -s $S -S $seed sort.test | grep -E '^10 ' |
	    head -n 1 | cut -d' ' -f2)
	case $second in
	a.hosts.test:) seen_a=1 ;;
	b.hosts.test:) seen_b=1 ;;
	*) fail "unexpected second host $second" ;;
	esac
done
[ $seen_a -eq 1 ] && [ $seen_b -eq 1 ] || fail "equal preferences not shuffled"

# Implicit MX: the domain's own addresses.
res implicit.test
[ $rc -eq 0 ] || fail "implicit.test: exit $rc"
has "$WORK/out" '^implicit\.test: no MX, implicit MX: MX NODATA ttl 60'
has "$WORK/out" '^    127\.0\.3\.20$'
has "$WORK/out" '^    2001:db8::20$'

# Null MX, NXDOMAIN, NODATA: permanent (68), each with its code.
res nullmx.test
[ $rc -eq 68 ] || fail "nullmx.test: exit $rc"
has "$WORK/err" '^5\.1\.10 nullmx\.test: .*null MX'
res nx.test
[ $rc -eq 68 ] || fail "nx.test: exit $rc"
has "$WORK/err" '^5\.1\.2 nx\.test/MX: no such domain.*NXDOMAIN'
res nodata.test
[ $rc -eq 68 ] || fail "nodata.test: exit $rc"
has "$WORK/err" '^5\.4\.4 nodata\.test: no MX record and no A/AAAA record'

# CNAME chains are followed; too long a chain, or a loop, is temporary.
res chain.test
[ $rc -eq 0 ] || fail "chain.test: exit $rc"
has "$WORK/out" '^10 a\.hosts\.test:'
res long0.test
[ $rc -eq 75 ] || fail "long0.test: exit $rc"
has "$WORK/err" '^4\.4\.3 .*CNAME chain longer than 8'
res loop.test
[ $rc -eq 75 ] || fail "loop.test: exit $rc"
has "$WORK/err" '^4\.4\.3 .*CNAME'

# MX naming a CNAME: followed; MX naming an IP address: used as is.
res mxcname.test
[ $rc -eq 0 ] || fail "mxcname.test: exit $rc"
has "$WORK/out" '^10 alias\.test: A ttl 300'
has "$WORK/out" '^    127\.0\.3\.11$'
res mxip.test
[ $rc -eq 0 ] || fail "mxip.test: exit $rc"
has "$WORK/out" '^10 127\.0\.3\.77: IP address, used as is$'

# MX hosts without address are skipped; none left is temporary.
res dead.test
[ $rc -eq 0 ] || fail "dead.test: exit $rc"
has "$WORK/out" '^10 gone\.test: A NXDOMAIN .*: skipped: '
has "$WORK/out" '^    127\.0\.3\.12$'
res allgone.test
[ $rc -eq 75 ] || fail "allgone.test: exit $rc"
has "$WORK/err" '^4\.4\.3 allgone\.test: no MX host has an address'

# -v shows the queries sent.
res -v sort.test
has "$WORK/err" "query sort\.test/MX to $A:$P over UDP: reply"
has "$WORK/err" "query first\.hosts\.test/A to $A:$P over UDP"

# Address family options (tool): IPv4 only, IPv6 first.
"$DNS_TOOL" -s $S -4 implicit.test >"$WORK/out"
if grep -q '2001:db8::20' "$WORK/out"; then
	fail "-4 returned IPv6"
fi
"$DNS_TOOL" -s $S -p ipv6 implicit.test >"$WORK/out"
[ "$(sed -n 3p "$WORK/out")" = "    2001:db8::20" ] || fail "IPv6 not first"

# TLSA at _25._tcp.HOST.
"$DNS_TOOL" -s $S -T 25 a.hosts.test >"$WORK/out"
has "$WORK/out" "^    3 1 1 $TLSA_HEX$"

# Usage and configuration errors.
expect_exit 64 "$SD" resolve 2>/dev/null
expect_exit 64 "$SD" resolve -c "$WORK/conf" 'bad..name' 2>/dev/null
expect_exit 78 "$SD" resolve -c "$WORK/missing.conf" sort.test 2>/dev/null

# The ASan build gives the same answers without complaint.
if [ -x "${SMTPDIRECT_ASAN:-}" ]; then
	"$SMTPDIRECT_ASAN" resolve -c "$WORK/conf" chain.test >"$WORK/out" ||
		fail "ASan resolve chain.test"
	has "$WORK/out" '^10 a\.hosts\.test:'
fi
echo "30-dns-resolve: ok"
