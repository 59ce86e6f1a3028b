# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the resolver's integration tests (sourced after common.sh,
# POSIX sh). Addresses 127.0.3.0/24 and ports 25300-25399 only.
#
#   dns_need TOOL...            exit 77 when a tool is absent
#   dns_nsd_start ADDR PORT ZONEFILE   nsd on ADDR:PORT serving zone (path)
#                               "test" from ZONEFILE; waits until ready
#   dns_nsd_stat KEY            a counter from nsd-control (num.queries,
#                               num.type.MX, ...)
#   dns_wait_dns ADDR PORT NAME wait (bounded) until NAME/SOA is answered
#   dns_conf FILE SERVER SIZE [STATE]  a smtpdirect.conf for resolve
#   now_ms                      the time in milliseconds
#
# DNS_TOOL is the dns_resolve test tool.

DNS_TOOL=$TOP/build/normal/t/tools/dns_resolve
. "$TOP/t/lib/ns_conf.sh"
[ -x "$DNS_TOOL" ] || fail "dns_resolve is not built: run make build"

# dns_need TOOL...: skip the test when a tool is genuinely absent
dns_need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
	done
}

# dns_wait_dns ADDR PORT NAME: poll with drill, at most 10 s
dns_wait_dns() {
	n=0
	while [ $n -lt 100 ]; do
		if timeout 2 drill -t -p "$2" "$3" "@$1" SOA 2>/dev/null |
		    grep -q 'rcode: NOERROR'; then
			return 0
		fi
		sleep 0.1
		n=$((n + 1))
	done
	fail "no DNS answer from $1:$2"
}

# dns_nsd_start ADDR PORT ZONEFILE: start nsd for zone "test"
dns_nsd_start() {
	d=$WORK/nsd
	mkdir -p "$d"
	NS_NSD_CONTROL=yes ns_nsd_conf "$d" "$1" "$2" test="$3"
	bg_start nsd -c "$d/nsd.conf" -d
	dns_wait_dns "$1" "$2" test
}

# dns_nsd_stat KEY: one statistics counter of nsd
dns_nsd_stat() {
	timeout 10 nsd-control -c "$WORK/nsd/nsd.conf" stats_noreset |
	    sed -n "s/^$1=//p"
}

# dns_conf FILE SERVER SIZE [STATE]: configuration for smtpdirect resolve
dns_conf() {
	printf 'dns_servers = %s\ndns_cache_size = %s\nstate_dir = %s\n' \
	    "$2" "$3" "${4:-$WORK/state}" >"$1"
	printf 'dns_overrides =\n' >>"$1"
}

# now_ms: CLOCK_REALTIME in milliseconds
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
