# SPDX-License-Identifier: BSD-2-Clause
# The configuration of the DNS servers the tests, benchmarks and demo
# start on loopback: nsd serving zones as an authoritative server and
# unbound as the recursive (optionally validating) resolver in front of
# it. Sourced by any script (POSIX sh); writes files only: starting,
# waiting for and stopping the servers stay with the caller's own
# framework, which knows its PIDs.
#
#   ns_nsd_conf DIR ADDR PORT ZONE=FILE...
#       DIR/nsd.conf: nsd on ADDR:PORT, IPv4 only, one server process,
#       serving each ZONE from FILE (relative to DIR or absolute); its
#       pid, log, zone list and xfrd state in DIR. NS_NSD_CONTROL=yes
#       turns nsd-control on over DIR/nsd.ctl.
#   ns_unbound_conf DIR ADDR PORT NSD_ADDR NSD_PORT [ANCHOR]
#       DIR/unbound.conf: unbound on ADDR:PORT resolving "test." (and
#       the other NS_STUBS) through the nsd at NSD_ADDR:NSD_PORT; with
#       ANCHOR (a DNSKEY file, see ns_sign_key) it validates and sets
#       the AD bit, without it it only iterates. More clauses may be
#       appended to the file (a "server:" or "stub-zone:" clause each).
#       NS_STUBS: the stubbed zones, "test." unless set.
#   ns_sign_key DIR ZONE
#       a new ECDSA P-256 key for ZONE in DIR, its DNSKEY copied to
#       DIR/trust-anchor; prints the key's base name (relative to DIR)
#       for ldns-signzone.
#   ns_wait_ad ADDR PORT NAME TYPE
#       0 once the resolver answers NAME/TYPE with the AD bit, 1 after
#       10 s without.

# ns_nsd_conf DIR ADDR PORT ZONE=FILE...
ns_nsd_conf() {
	_d=$1 _a=$2 _p=$3
	shift 3
	{
		printf 'server:\n'
		printf '\tip-address: %s@%s\n\tport: %s\n' "$_a" "$_p" "$_p"
		printf '\tusername: ""\n\tchroot: ""\n\tdatabase: ""\n'
		printf '\tzonesdir: "%s"\n' "$_d"
		printf '\tzonelistfile: "%s/zone.list"\n' "$_d"
		printf '\txfrdfile: "%s/xfrd.state"\n' "$_d"
		printf '\tpidfile: "%s/nsd.pid"\n' "$_d"
		printf '\tlogfile: "%s/nsd.log"\n' "$_d"
		printf '\tserver-count: 1\n\tverbosity: 1\n\thide-version: yes\n'
		printf '\tdo-ip6: no\n\treuseport: no\n\tround-robin: no\n'
		printf 'remote-control:\n'
		if [ "${NS_NSD_CONTROL:-no}" = yes ]; then
			printf '\tcontrol-enable: yes\n'
			printf '\tcontrol-interface: %s/nsd.ctl\n' "$_d"
		else
			printf '\tcontrol-enable: no\n'
		fi
		for _z in "$@"; do
			printf 'zone:\n\tname: %s\n\tzonefile: %s\n' \
			    "${_z%%=*}" "${_z#*=}"
		done
	} >"$_d/nsd.conf"
}

# ns_unbound_conf DIR ADDR PORT NSD_ADDR NSD_PORT [ANCHOR]
ns_unbound_conf() {
	_d=$1
	{
		printf 'server:\n'
		printf '\tinterface: %s\n\tport: %s\n' "$2" "$3"
		printf '\tdo-ip6: no\n\taccess-control: 127.0.0.0/8 allow\n'
		printf '\tusername: ""\n\tchroot: ""\n'
		printf '\tdirectory: "%s"\n' "$_d"
		printf '\tpidfile: "%s/unbound.pid"\n' "$_d"
		printf '\tuse-syslog: no\n\tlogfile: "%s/unbound.log"\n' "$_d"
		printf '\tverbosity: 1\n\tnum-threads: 1\n'
		printf '\tdo-not-query-localhost: no\n'
		printf '\tqname-minimisation: no\n\tprefetch: no\n'
		if [ -n "${6:-}" ]; then
			printf '\tmodule-config: "validator iterator"\n'
			printf '\ttrust-anchor-file: "%s"\n\tval-log-level: 2\n' \
			    "$6"
		else
			printf '\tmodule-config: "iterator"\n'
		fi
		for _z in ${NS_STUBS:-test.}; do
			printf '\tlocal-zone: "%s" nodefault\n' "$_z"
		done
		for _z in ${NS_STUBS:-test.}; do
			printf 'stub-zone:\n\tname: "%s"\n\tstub-addr: %s@%s\n' \
			    "$_z" "$4" "$5"
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$_d/unbound.conf"
}

# ns_sign_key DIR ZONE
ns_sign_key() {
	(
		cd "$1" || exit 1
		_k=$(ldns-keygen -a ECDSAP256SHA256 -k "$2") || exit 1
		cp "$_k.key" trust-anchor || exit 1
		echo "$_k"
	)
}

# ns_wait_ad ADDR PORT NAME TYPE
ns_wait_ad() {
	_n=0
	until timeout 2 drill -D -p "$2" "$3" "@$1" "$4" 2>/dev/null |
	    grep -q 'flags:.* ad'; do
		_n=$((_n + 1))
		[ $_n -lt 50 ] || return 1
		sleep 0.2
	done
}
