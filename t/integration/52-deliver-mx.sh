#!/bin/bash
# deliver through the resolver: MX routes against nsd on loopback and
# Postfix's smtp-sink, MX failover to the next preference, implicit MX,
# an address-literal domain, an override target named by host name, null
# MX / NXDOMAIN / NODATA bounces, an MX set without address and a dead
# DNS server deferring, `route` showing the addresses, and log_file.
set -eu
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/t/lib/dns_test.sh"
dns_need nsd nsd-control drill
command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] ||
	skip "smtp-sink (package postfix) is not installed"
PATH=$PATH:/usr/sbin

NS=127.0.2.1 NSP=25201 MXP=25210 RP=25212
DEAD=127.0.2.10 MX2=127.0.2.11 RELAY=127.0.2.12
cat >"$WORK/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A $NS
one		IN MX 10 mx1.one.test.
one		IN MX 20 mx2.one.test.
mx1.one		IN A $DEAD
mx2.one		IN A $MX2
implicit	IN A $MX2
nullmx		IN MX 0 .
nodata		IN TXT "no mail here"
allgone		IN MX 10 gone.test.
relay.hosts	IN A $RELAY
ZONE
dns_nsd_start "$NS" "$NSP" "$WORK/test.zone"

mkdir -p "$WORK/mx2" "$WORK/relay" "$WORK/state"
sink() { # sink ADDR PORT DIR
	bg_start timeout 120 smtp-sink -u root -d "$3/%M." "$1:$2" 50
	wait_port "$1" "$2"
}
sink "$MX2" "$MXP" "$WORK/mx2"
sink "$RELAY" "$RP" "$WORK/relay"
count() { find "$1" -type f | wc -l; }

printf 'relayed.example relay.hosts.test:%s\nbroken.example gone.test:%s\n' \
    "$RP" "$RP" >"$WORK/map"
chmod 600 "$WORK/map"
cat >"$WORK/conf" <<CONF
dns_servers = $NS:$NSP
dns_overrides = $WORK/map
state_dir = $WORK/state
mx_port = $MXP
connect_timeout = 2s
command_timeout = 5s
log_file = $WORK/log
CONF
printf 'Subject: mx\n\nbody\n' >"$WORK/m"
# D WANT RCPT: deliver the message to RCPT with $CONF, expect exit WANT.
CONF=$WORK/conf
D() {
	set +e
	timeout 60 "$SD" deliver -c "$CONF" -f s@src.example -- "$2" \
	    <"$WORK/m" 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" -eq "$1" ] ||
		fail "deliver $2: exit $rc, want $1: $(cat "$WORK/err")"
}

# 1. MX 10 refuses connections, MX 20 takes the mail.
D 0 a@one.test
[ "$(count "$WORK/mx2")" -eq 1 ] || fail "one.test not at mx2"
grep -q "to=<a@one.test>, relay=mx2.one.test\[$MX2\]:$MXP, .*status=sent" \
    "$WORK/log" || fail "log line: $(cat "$WORK/log")"

# 2. Implicit MX, and a domain that is an address literal.
D 0 b@implicit.test
D 0 "c@[$MX2]"
[ "$(count "$WORK/mx2")" -eq 3 ] || fail "implicit MX or literal domain"

# 3. An override target given by host name is resolved (A, not MX).
D 0 d@relayed.example
[ "$(count "$WORK/relay")" -eq 1 ] || fail "override host name"

# 4. Permanent DNS answers bounce, with their codes.
D 68 e@nullmx.test
grep -q "^5\.1\.10 " "$WORK/err" || fail "null MX: $(cat "$WORK/err")"
D 68 f@nosuch.test
grep -q "^5\.1\.2 " "$WORK/err" || fail "NXDOMAIN: $(cat "$WORK/err")"
D 68 g@nodata.test
grep -q "^5\.4\.4 " "$WORK/err" || fail "NODATA: $(cat "$WORK/err")"

# 5. No MX host with an address, and an override host that does not
#    resolve: both defer, never bounce.
D 75 h@allgone.test
grep -q "^4\.4\.3 " "$WORK/err" || fail "allgone: $(cat "$WORK/err")"
D 75 i@broken.example
grep -q "^4\.4\.3 .*override" "$WORK/err" || fail "broken: $(cat "$WORK/err")"

# 6. A DNS server that does not answer: 75 within the time-out bound.
sed "s/^dns_servers = .*/dns_servers = 127.0.2.99:25299/" "$WORK/conf" \
    >"$WORK/conf-dead"
printf 'dns_timeout = 1s\ndns_tries = 1\ndns_cache_size = 0\n' \
    >>"$WORK/conf-dead"
start=$(now_ms)
CONF=$WORK/conf-dead D 75 j@one.test
grep -q "^4\.4\.3 " "$WORK/err" || fail "dead DNS: $(cat "$WORK/err")"
[ $(($(now_ms) - start)) -lt 20000 ] || fail "dead DNS took too long"

# 7. route explains with the addresses deliver would try.
"$SD" route -c "$WORK/conf" k@one.test >"$WORK/out"
grep -q "^  1\. mx1\.one\.test\[$DEAD\]:$MXP$" "$WORK/out" ||
	fail "route addresses: $(cat "$WORK/out")"
grep -q "^  2\. mx2\.one\.test\[$MX2\]:$MXP$" "$WORK/out" ||
	fail "route address 2: $(cat "$WORK/out")"
"$SD" route -c "$WORK/conf" k@nullmx.test >"$WORK/out"
grep -q "^addresses: none; deliver would bounce: 5\.1\.10 " "$WORK/out" ||
	fail "route null MX: $(cat "$WORK/out")"

# Nothing reached stderr but the final lines, and no mail was lost.
[ "$(count "$WORK/mx2")" -eq 3 ] && [ "$(count "$WORK/relay")" -eq 1 ] ||
	fail "sink counts changed"
echo "52: MX, implicit MX, literal, override names, bounces, deferrals: ok"
