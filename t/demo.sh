#!/bin/bash
# make demo: smtpdirect delivering on loopback, self-contained.
#
# Starts nsd serving example.com, example.org and example.net on
# 127.0.2.100:25280, and Postfix's smtp-sink as three mail servers (the
# MX of example.com, a relay for big mail, an ISP relay); writes a
# configuration and an override map based on conf-examples/; then
# delivers: one message straight to an MX host, one big message through
# the override chosen by $size, and one to a domain whose MX is down,
# which defers and then goes through the $retries>=1 rule on its second
# attempt. Then smtpdirect-milter, on a unix socket, stamps three
# messages given to it by miltertest(8) as Postfix's smtpd would: its
# route headers, and X-SMTPDirect-Transport where the big one takes an
# override. Prints the route explanations, the exit statuses and the log
# lines; stops everything it started (by PID) and removes its files.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
SD=$TOP/transport/smtpdirect
PATH=$PATH:/usr/sbin
for t in nsd smtp-sink; do
	command -v "$t" >/dev/null ||
		{ echo "demo: $t is missing; run: sh t/deps.sh" >&2; exit 1; }
done
[ -x "$SD" ] || { echo "demo: build first (make)" >&2; exit 1; }

NS=127.0.2.100 NSP=25280 PORT=25281
MX=127.0.2.101 BIG=127.0.2.102 ISP=127.0.2.103 DOWN=127.0.2.104
. "$TOP/t/lib/common.sh" # WORK, and its clean-up of PIDS on exit
. "$TOP/t/lib/ns_conf.sh"
W=$WORK
chmod 711 "$W"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting nsd on $NS:$NSP and three smtp-sinks on 127.0.2.101-103:$PORT"
mkdir -p "$W/nsd" "$W/state"
zone() { # NAME MX-HOST MX-ADDR EXTRA...
	name=$1 host=$2 addr=$3
	shift 3
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$name"
		printf '@ IN SOA ns hostmaster 1 3600 600 86400 60\n'
		printf '@ IN NS ns\nns IN A %s\n' "$NS"
		printf '@ IN MX 10 %s\n%s IN A %s\n' "$host" "$host" "$addr"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$W/nsd/$name.zone"
}
zone example.com mx "$MX"
zone example.org mx "$MX" "big-relay IN A $BIG"
zone example.net mx "$DOWN" "smtp.isp IN A $ISP"
ns_nsd_conf "$W/nsd" "$NS" "$NSP" example.com=example.com.zone \
    example.org=example.org.zone example.net=example.net.zone
bg_start nsd -c "$W/nsd/nsd.conf" -d
user=()
[ "$(id -u)" -eq 0 ] && user=(-u nobody)
for a in "$MX" "$BIG" "$ISP"; do
	mkdir -p "$W/sink-$a"
	chmod 777 "$W/sink-$a"
	bg_start timeout 120 smtp-sink "${user[@]}" -d "$W/sink-$a/%M." \
	    "$a:$PORT" 20
done
for a in "$MX" "$BIG" "$ISP"; do wait_port "$a" "$PORT"; done
printf 'dns_servers = %s:%s\ndns_cache_size = 0\nstate_dir = %s\n' \
    "$NS" "$NSP" "$W/state" >"$W/probe.conf"
n=0
until "$SD" resolve -c "$W/probe.conf" example.com >/dev/null 2>&1; do
	[ $n -lt 100 ] || { echo "demo: nsd does not answer" >&2; exit 1; }
	sleep 0.1
	n=$((n + 1))
done
rm -f "$W/probe.conf"

say "configuration: conf-examples/smtpdirect.conf plus these lines"
cp "$TOP/conf-examples/smtpdirect.conf" "$W/smtpdirect.conf"
tee -a "$W/smtpdirect.conf" <<CONF
dns_servers = $NS:$NSP
dns_overrides = $W/overrides
state_dir = $W/state
mx_port = $PORT
helo_name = demo.smtpdirect.test
tls_policy = none
log_file = $W/smtpdirect.log
CONF
say "override map (the grammar of conf-examples/overrides)"
tee "$W/overrides" <<MAP
# Big mail for example.org goes through its big-mail relay; nothing else
# is read for it.
example.org     big-relay.example.org:$PORT    \$size>10K   \$end
# After a failed try, any domain goes through the ISP's relay.
*               smtp.isp.example.net:$PORT     \$retries>=1
MAP
chmod 600 "$W/overrides"
"$SD" lint -c "$W/smtpdirect.conf"
C=(-c "$W/smtpdirect.conf")
# As root, deliver runs as nobody, as pipe(8)'s user= would run it.
RUN=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# The program and its core, where nobody can reach them.
	install -m 755 "$SD" "$(dirname "$SD")/smtpdirect-core" "$W"
	SD=$W/smtpdirect
	touch "$W/smtpdirect.log"
	chown nobody "$W/state" "$W/smtpdirect.log" "$W/overrides"
	chmod 644 "$W/smtpdirect.conf"
	RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi

deliver() { # QUEUE_ID FILE RCPT...: one run, as Postfix's pipe(8) would
	q=$1 f=$2
	shift 2
	set +e
	"${RUN[@]}" "$SD" deliver "${C[@]}" -f sender@demo.test -q "$q" -- "$@" \
	    <"$f" 2>"$W/err"
	rc=$?
	set -e
	echo "\$ smtpdirect deliver -f sender@demo.test -q $q -- $*  => exit $rc" \
	    "$(cat "$W/err")"
}
printf 'From: sender@demo.test\nSubject: small\n\nHello.\n' >"$W/small"
{
	printf 'From: sender@demo.test\nSubject: big\n\n'
	for i in $(seq 1 400); do printf 'line %04d of a big message\n' "$i"; done
} >"$W/big"

say "1. a small message to alice@example.com: no override matches, MX"
"${RUN[@]}" "$SD" route "${C[@]}" -s "$(wc -c <"$W/small")" alice@example.com
deliver DEMO1 "$W/small" alice@example.com

say "2. a $(wc -c <"$W/big")-byte message to bob@example.org: \$size>10K"
"${RUN[@]}" "$SD" route "${C[@]}" -s "$(wc -c <"$W/big")" bob@example.org
deliver DEMO2 "$W/big" bob@example.org

say "3. to dave@example.com and carol@example.net, whose MX ($DOWN) is down"
"${RUN[@]}" "$SD" route "${C[@]}" carol@example.net
deliver DEMO3 "$W/small" dave@example.com carol@example.net
say "3. the MTA retries DEMO3 with both: dave has it, carol's try is counted"
"${RUN[@]}" "$SD" route "${C[@]}" -r 1 carol@example.net | sed -n '/^matching/,$p'
deliver DEMO3 "$W/small" dave@example.com carol@example.net

# The milter: the same map, evaluated at receipt with the real size.
MILTER=$TOP/milter/smtpdirect-milter
if [ -x "$MILTER" ] && command -v miltertest >/dev/null; then
	say "4. smtpdirect-milter: what it stamps on mail at receipt"
	"$MILTER" --check -c "$W/smtpdirect.conf"
	bg_start "$MILTER" -f -c "$W/smtpdirect.conf" -p "unix:$W/milter.sock" \
	    2>"$W/milter.log"
	n=0
	while [ ! -S "$W/milter.sock" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	cat >"$W/demo.lua" <<LUA
-- stamp(rcpt, bodylen): one message through the milter; print what it adds.
function stamp(rcpt, bodylen)
	local conn = mt.connect("unix:$W/milter.sock", 40, 0.25)
	mt.conninfo(conn, "localhost", "127.0.0.1")
	mt.mailfrom(conn, "<sender@demo.test>")
	mt.rcptto(conn, "<" .. rcpt .. ">")
	mt.header(conn, "Subject", "milter demo")
	mt.header(conn, "X-SMTPDirect-Transport", "forged by the client")
	mt.eoh(conn)
	mt.bodystring(conn, string.rep("x", bodylen) .. "\r\n")
	mt.eom(conn)
	print(string.format("%s, %d-byte body:", rcpt, bodylen))
	if mt.eom_check(conn, MT_HDRDELETE, "X-SMTPDirect-Transport") then
		print("    - X-SMTPDirect-Transport (the client's, removed)")
	end
	for _, h in ipairs({"X-SMTPDirect-Route", "X-SMTPDirect-Transport"}) do
		local v = mt.getheader(conn, h, 0)
		if v ~= nil then
			print("    + " .. h .. ": " .. (string.gsub(v, "^%s+", "")))
		end
	end
	mt.disconnect(conn)
end
stamp("alice@example.com", 100)
stamp("bob@example.org", 100)
stamp("bob@example.org", 20000)
LUA
	timeout 60 miltertest -s "$W/demo.lua"
	kill "$LAST_PID" 2>/dev/null || true
fi

say "the log (log_file; syslog facility mail by default)"
cat "$W/smtpdirect.log"
say "what the sinks received"
for a in "$MX" "$BIG" "$ISP"; do
	printf '%s: %s message(s)\n' "$a" "$(find "$W/sink-$a" -type f | wc -l)"
	for f in "$W/sink-$a"/*; do
		[ -f "$f" ] && grep -h '^X-Rcpt-Args:\|^Subject:' "$f" | sed 's/^/    /'
	done
done
echo
echo "demo: done; everything it started is stopped and $W is removed."
