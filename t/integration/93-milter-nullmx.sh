#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 93-milter-nullmx: smtpdirect-milter's optional check at RCPT
# (milter_reject_null_mx): a domain with a null MX is rejected with
# 556 5.1.10 (in U-labels too: looked up as its A-labels), one that
# does not exist with 550 5.1.2; a domain with MX or only an address is
# accepted, and so is every DNS failure: SERVFAIL
# (a lame delegation), a server that never answers (bounded by
# milter_dns_time_limit), no server at all. Local addresses, domain
# literals, unqualified domains and domains the override map routes are
# not looked up. Off by default: then nothing is rejected.
#
# DNS: nsd serves zone "test." on 127.0.23.2:27654; unbound on
# 127.0.23.1:27653 resolves through it (stub zones), and through a lame
# server for lame.example. (nsd refuses it: SERVFAIL) and a silent one
# for slow.test. (127.0.23.10:27697, a socket that reads and never
# answers). Through miltertest, then once more under ASan, then end to
# end through a private Postfix smtpd (127.0.23.20:27625, relayhost
# smtp-sink 127.0.23.21:27626): the SMTP client sees the 556 and the 550
# at RCPT, and the message goes to the other recipients.
# Loopback 127.0.23.0/24, ports 27600-27699.
set -eu
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/ns_conf.sh
. "$TOP/t/lib/ns_conf.sh"

for t in miltertest nsd unbound drill; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
done
[ -x "$PYTHON3" ] || skip "python3 is not installed"
MILTER=${SMTPDIRECT_MILTER:-$TOP/milter/smtpdirect-milter}
MILTER_ASAN=${SMTPDIRECT_MILTER_ASAN:-$TOP/build/asan/milter/smtpdirect-milter}
[ -x "$MILTER" ] || fail "$MILTER is missing (make)"

UB=127.0.23.1 UBP=27653 NS=127.0.23.2 NSP=27654
SILENT=127.0.23.10 SILENTP=27697 CLOSED=127.0.23.9:27698
PF=127.0.23.20 PFP=27625 SINK=127.0.23.21 SINKP=27626

# --- DNS -----------------------------------------------------------------
D=$WORK/dns
mkdir -p "$D"
cat >"$D/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 300
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@		IN NS ns.test.
ns		IN A $NS
good		IN MX 10 mx.good.test.
mx.good		IN A $SINK
implicit	IN A $SINK
nullmx		IN MX 0 .
xn--br-via	IN MX 0 .
routed		IN MX 0 .
band		IN MX 0 .
ZONE
ns_nsd_conf "$D" "$NS" "$NSP" test="$D/test.zone"
NS_STUBS="test. lame.example." ns_unbound_conf "$D" "$UB" "$UBP" "$NS" "$NSP"
printf 'stub-zone:\n\tname: "slow.test."\n\tstub-addr: %s@%s\n' \
    "$SILENT" "$SILENTP" >>"$D/unbound.conf"
bg_start nsd -c "$D/nsd.conf" -d
bg_start unbound -c "$D/unbound.conf" -d
# The silent server: reads every query, answers none.
bg_start timeout 600 "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    s.recvfrom(4096)
' "$SILENT" "$SILENTP"
n=0
until timeout 2 drill -p "$UBP" nullmx.test "@$UB" MX 2>/dev/null |
    grep -q 'MX[[:space:]]*0 \.'; do
	n=$((n + 1))
	[ $n -lt 50 ] || fail "no answer from unbound: $(tail -n 5 "$D/unbound.log" "$D/nsd.log" 2>/dev/null)"
	sleep 0.2
done
timeout 5 drill -p "$UBP" lame.example "@$UB" MX 2>/dev/null |
    grep -q 'rcode: SERVFAIL' || fail "lame.example. is not SERVFAIL"
echo "93: nsd $NS:$NSP, unbound $UB:$UBP (lame.example: SERVFAIL, slow.test: silent)"

# --- the milter through miltertest -----------------------------------------
SOCK=$WORK/milter.sock
LOG=$WORK/milter.log
mkdir -p "$WORK/state"
# routed.test has a null MX but the map routes it; band.test only for
# sizes between 1 and 5 MiB.
printf '%s\n' 'routed.test relay.test:2525' \
    'band.test relay.test:2525 $size>1M $size<5M' >"$WORK/map"
chmod 600 "$WORK/map"
conf() { # conf FILE DNS_SERVER [MORE LINES]
	local f=$1 s=$2
	shift 2
	printf 'dns_servers = %s\ndns_overrides = %s\n' "$s" "$WORK/map" >"$f"
	case "$*" in *state_dir*) ;; *) echo "state_dir = $WORK/state" >>"$f" ;; esac
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$f"
}
conf "$WORK/on.conf" "$UB:$UBP" "milter_reject_null_mx = yes" \
    "milter_dns_time_limit = 2s"
conf "$WORK/off.conf" "$UB:$UBP"
# (its own state_dir: the cache of the others knows nullmx.test)
conf "$WORK/nodns.conf" "$CLOSED" "milter_reject_null_mx = yes" \
    "milter_dns_time_limit = 2s" "state_dir = $WORK/state-nodns"

milter_start() { # milter_start BIN CONF
	: >"$LOG"
	bg_start "$1" -f -c "$2" -p "unix:$SOCK" 2>>"$LOG"
	MPID=$LAST_PID
	n=0
	while [ ! -S "$SOCK" ] && [ $n -lt 100 ]; do
		kill -0 "$MPID" 2>/dev/null || fail "milter died: $(cat "$LOG")"
		sleep 0.1
		n=$((n + 1))
	done
	[ -S "$SOCK" ] || fail "no socket $SOCK"
}
milter_stop() {
	kill -TERM "$MPID"
	n=0
	while kill -0 "$MPID" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -0 "$MPID" 2>/dev/null && fail "milter $MPID ignores SIGTERM"
	set +e
	wait "$MPID"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "milter exit $rc: $(tail -n 20 "$LOG")"
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG"; then
		fail "sanitizer report in $LOG"
	fi
}
# has_log TEXT: the milter logged a line with TEXT (fixed string)
has_log() {
	grep -qF -- "$1" "$LOG" || fail "no log line \"$1\": $(cat "$LOG")"
}
run_lua() { # run_lua NAME
	cat "$WORK/lib.lua" "$WORK/$1.lua" >"$WORK/run-$1.lua"
	timeout 120 miltertest -s "$WORK/run-$1.lua" >"$WORK/$1.out" 2>&1 ||
		fail "miltertest $1: $(tail -n 20 "$WORK/$1.out")"
}

cat >"$WORK/lib.lua" <<EOF
local sock = "unix:$SOCK"
function ok(r, what)
	if r ~= nil then error(what .. ": " .. tostring(r)) end
end
-- open(from...): a new connection with MAIL FROM (ESMTP args after it).
function open(...)
	local conn = mt.connect(sock, 40, 0.25)
	if conn == nil then error("cannot connect to " .. sock) end
	ok(mt.conninfo(conn, "localhost", "127.0.0.1"), "conninfo")
	ok(mt.mailfrom(conn, "<sender@src.test>", ...), "mailfrom")
	return conn
end
-- rcpt(conn, r, want): RCPT r, the milter answers want
-- ("reject": SMFIR_REPLYCODE, "continue": anything else).
function rcpt(conn, r, want)
	ok(mt.macro(conn, SMFIC_RCPT, "i", "QID93"), "macro")
	ok(mt.rcptto(conn, r), "rcptto " .. r)
	local got = mt.getreply(conn)
	if want == "reject" and got ~= SMFIR_REPLYCODE then
		error(r .. ": not rejected: " .. tostring(got))
	end
	if want ~= "reject" and (got == SMFIR_REPLYCODE or got == SMFIR_REJECT
	    or got == SMFIR_TEMPFAIL) then
		error(r .. ": rejected: " .. tostring(got))
	end
end
-- finish(conn, n, banned): end the message; n X-SMTPDirect-Route
-- headers came, none with the text banned (nil: any).
function finish(conn, n, banned)
	ok(mt.header(conn, "Subject", "nullmx"), "header")
	ok(mt.eoh(conn), "eoh")
	ok(mt.bodystring(conn, "body\r\n"), "body")
	ok(mt.eom(conn), "eom")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("eom reply " .. tostring(mt.getreply(conn)))
	end
	for i = 0, n do
		local v = mt.getheader(conn, "X-SMTPDirect-Route", i)
		if i < n and v == nil then error("route headers: " .. i) end
		if i == n and v ~= nil then error("route header for " .. v) end
		if v ~= nil and banned ~= nil and string.find(v, banned, 1, true) then
			error("route for a rejected recipient: " .. v)
		end
	end
	mt.disconnect(conn)
end
EOF

# on: rejections and acceptances, the message to the accepted ones.
cat >"$WORK/on.lua" <<'EOF'
local conn = open()
rcpt(conn, "<u@good.test>", "continue")
rcpt(conn, "<u@nullmx.test>", "reject")
rcpt(conn, "<u@nx.test>", "reject")
rcpt(conn, "<u@implicit.test>", "continue")
rcpt(conn, "<v@NullMX.Test.>", "reject")
rcpt(conn, "<u@lame.example>", "continue")
rcpt(conn, "<postmaster>", "continue")
rcpt(conn, "<u@[127.0.23.21]>", "continue")
rcpt(conn, "<u@localhost>", "continue")
rcpt(conn, "<u@routed.test>", "continue")
rcpt(conn, "<u@band.test>", "reject")
rcpt(conn, "<u@b\195\164r.test>", "reject")
finish(conn, 7, "nullmx")
-- The size MAIL FROM declares: band.test is routed at 2 MB.
conn = open("SIZE=2000000", "BODY=8BITMIME")
rcpt(conn, "<u@band.test>", "continue")
rcpt(conn, "<w@nullmx.test>", "reject")
finish(conn, 1, "nullmx")
EOF
# slow: a server that never answers; milter_dns_time_limit = 2s.
cat >"$WORK/slow.lua" <<'EOF'
local conn = open()
rcpt(conn, "<u@slow.test>", "continue")
rcpt(conn, "<v@slow.test>", "continue")
finish(conn, 2)
EOF
# par: one of 8 connections at once (threads, the shared resolver and
# cache): each rejects and accepts as the first did.
cat >"$WORK/par.lua" <<'EOF'
for i = 1, 5 do
	local conn = open()
	rcpt(conn, "<p" .. i .. "@nullmx.test>", "reject")
	rcpt(conn, "<p" .. i .. "@good.test>", "continue")
	rcpt(conn, "<p" .. i .. "@nx.test>", "reject")
	rcpt(conn, "<p" .. i .. "@implicit.test>", "continue")
	finish(conn, 2, "nullmx")
end
EOF
# off, or no DNS server: nothing rejected.
cat >"$WORK/none.lua" <<'EOF'
local conn = open()
rcpt(conn, "<u@nullmx.test>", "continue")
rcpt(conn, "<u@nx.test>", "continue")
rcpt(conn, "<u@good.test>", "continue")
finish(conn, 3)
EOF

# scenarios BIN: the check on, against one build.
scenarios() {
	milter_start "$1" "$WORK/on.conf"
	has_log 'null MX check on'
	run_lua on
	has_log 'QID93: reject: RCPT to=<u@nullmx.test>: 556 5.1.10 Recipient address rejected: nullmx.test: domain does not accept mail (null MX, RFC 7505)'
	has_log 'QID93: reject: RCPT to=<u@nx.test>: 550 5.1.2 Recipient address rejected: nx.test: domain not found (NXDOMAIN)'
	has_log 'QID93: reject: RCPT to=<v@NullMX.Test.>: 556 5.1.10'
	has_log 'QID93: reject: RCPT to=<u@band.test>: 556 5.1.10'
	has_log 'QID93: to=<u@lame.example>: null MX check failed, accepted: DNS TEMP'
	for r in good.test implicit.test postmaster 127.0.23.21 localhost routed.test; do
		if grep -F "$r" "$LOG" | grep -v ' size=' | grep -q .; then
			fail "$r: $(grep -F "$r" "$LOG")"
		fi
	done
	has_log 'QID93: reject: RCPT to=<u@b??r.test>: 556 5.1.10 Recipient address rejected: xn--br-via.test: domain does not accept mail'
	[ "$(grep -c 'reject: ' "$LOG")" -eq 6 ] ||
		fail "not 6 rejections: $(cat "$LOG")"
	cat "$WORK/lib.lua" "$WORK/par.lua" >"$WORK/run-par.lua"
	pids=""
	for i in 1 2 3 4 5 6 7 8; do
		timeout 120 miltertest -s "$WORK/run-par.lua" \
		    >"$WORK/par$i.out" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail "parallel miltertest: $(cat "$WORK"/par*.out)"
	done
	n=$(grep -c 'reject: RCPT to=<p[1-5]@n' "$LOG")
	[ "$n" -eq 80 ] || fail "8 x 5 x 2 rejections wanted, $n logged"
	echo "93: 8 connections at once, 40 messages: 80 rejections"
	t0=$(date +%s%N)
	run_lua slow
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 5000 ] || fail "slow.test took $ms ms (limit 2 s)"
	has_log 'QID93: to=<u@slow.test>: null MX check failed, accepted: DNS TEMP'
	# The second recipient there does not wait again.
	has_log 'QID93: to=<v@slow.test>: null MX check failed, accepted: failed before in this connection: DNS TEMP'
	echo "93: two recipients at slow.test accepted after $ms ms: $(grep -F 'u@slow.test' "$LOG" | sed 's/.*accepted: //')"
	kill -0 "$MPID" || fail "milter died: $(tail -n 20 "$LOG")"
	milter_stop
}

scenarios "$MILTER"
grep 'reject: \|accepted:' "$LOG" | grep -v 'to=<p[1-5]@' | sed 's/^/93: /'
[ -s "$WORK/state/dns-cache.lmdb" ] || fail "no DNS cache in state_dir"

# Off (the default): the same recipients pass; no resolver is opened.
milter_start "$MILTER" "$WORK/off.conf"
has_log 'null MX check off'
run_lua none
if grep -E 'reject|accepted' "$LOG"; then fail "check off, yet: $(cat "$LOG")"; fi
milter_stop
echo "93: off: nullmx.test and nx.test accepted"

# No DNS server that answers: accepted, with a log line each.
milter_start "$MILTER" "$WORK/nodns.conf"
t0=$(date +%s%N)
run_lua none
ms=$((($(date +%s%N) - t0) / 1000000))
has_log 'to=<u@nullmx.test>: null MX check failed, accepted: DNS TEMP'
has_log 'to=<u@nx.test>: null MX check failed, accepted: DNS TEMP'
milter_stop
echo "93: no DNS server: accepted in $ms ms ($(grep -F 'nx.test' "$LOG" | sed 's/.*accepted: //'))"

if [ -x "$MILTER_ASAN" ]; then
	rm -rf "$WORK/state"
	mkdir -p "$WORK/state"
	scenarios "$MILTER_ASAN"
	echo "asan: scenarios passed"
else
	echo "asan: $MILTER_ASAN not built, not run"
fi

# --- end to end through Postfix's smtpd ----------------------------------
if [ ! -x "$PF_SBIN/postfix" ] || [ "$(id -u)" -ne 0 ] ||
    ! getent passwd postfix >/dev/null || [ ! -x "$SMTP_SINK" ]; then
	echo "93: the Postfix part skipped: needs root, postfix and smtp-sink"
	echo "93-milter-nullmx: ok"
	exit 0
fi
mta_install_sd
install -m 755 "$MILTER" "$WORK/bin/smtpdirect-milter"
cp "$WORK/map" "$SDC/overrides"
chown nobody "$SDC/overrides"
cat >"$SDC/smtpdirect.conf" <<EOF
dns_servers = $UB:$UBP
dns_overrides = $SDC/overrides
state_dir = $SDC/state
milter_reject_null_mx = yes
milter_dns_time_limit = 2s
EOF
chmod 755 "$SDC"
chmod 644 "$SDC/smtpdirect.conf"
sink_start default "$SINK" "$SINKP"
MDIR=$WORK/milter
MLOG=$WORK/pf-milter.log
mkdir -p "$MDIR"
chown nobody "$MDIR"
chmod 755 "$MDIR"
: >"$MLOG"
mta_milter_start "$WORK/bin/smtpdirect-milter" "$SDC/smtpdirect.conf" \
    "$MDIR/milter.sock" "$MLOG" 10
pf_init "$PF" "$PFP"
pf_conf "default_transport = smtp" \
    "relayhost = [$SINK]:$SINKP" \
    "smtp_dns_support_level = disabled" \
    "smtpd_milters = unix:$MDIR/milter.sock" \
    "non_smtpd_milters = unix:$MDIR/milter.sock" \
    "milter_default_action = tempfail"
pf_start
mta_on_fail pf_log_tail

# The SMTP client: each RCPT's reply, then DATA to those accepted.
timeout 60 "$PYTHON3" - "$PF" "$PFP" >"$WORK/client.out" <<'PYTHON'
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="client.test",
                 timeout=30)
s.ehlo()
s.mail("sender@origin.test")
ok = []
for r in ["u@good.test", "u@nullmx.test", "u@nx.test", "u@lame.example",
          "u@routed.test", "u@implicit.test"]:
    code, text = s.rcpt(r)
    print("%s %d %s" % (r, code, text.decode(errors="replace")))
    if code == 250:
        ok.append(r)
code, text = s.data(b"Subject: test E93\r\n\r\nnull MX at RCPT\r\n")
print("DATA %d %s" % (code, ok))
s.quit()
PYTHON
sed 's/^/93: postfix: /' "$WORK/client.out"
want() { # want LINE-REGEX
	grep -Eq -- "$1" "$WORK/client.out" ||
		fail "no client line /$1/: $(cat "$WORK/client.out")"
}
want '^u@good.test 250 '
want '^u@nullmx.test 556 5\.1\.10 Recipient address rejected: nullmx\.test: domain does not accept mail \(null MX, RFC 7505\)$'
want '^u@nx.test 550 5\.1\.2 Recipient address rejected: nx\.test: domain not found \(NXDOMAIN\)$'
want '^u@lame.example 250 '
want '^u@routed.test 250 '
want '^u@implicit.test 250 '
want '^DATA 250 '
sink_wait default "Subject: test E93" 1 60
pf_wait_log 'milter-reject: RCPT from .*: 556 5\.1\.10 ' 10
pf_wait_log 'milter-reject: RCPT from .*: 550 5\.1\.2 ' 10
grep -q 'reject: RCPT to=<u@nullmx.test>: 556 5.1.10' "$MLOG" ||
	fail "no rejection in the milter log: $(cat "$MLOG")"
grep 'reject: ' "$MLOG" | sed 's/^/93: postfix: milter log: /' 
grep -q ' size=.*nrcpt=4,' "$MLOG" ||
	fail "the message did not have the 4 accepted recipients: $(cat "$MLOG")"
# A local submission (sendmail(1), non_smtpd_milters) is not checked:
# Postfix would hold a message whose recipient a milter rejects there.
printf 'Subject: test L93\n\nlocal submission\n' |
	pf_sendmail -f sender@origin.test u@nullmx.test
sink_wait default "Subject: test L93" 1 60
pf_log_has 'milter configuration error' &&
	fail "a recipient rejected in a local submission: $(grep milter "$PF_LOG")"
echo "93: postfix: a local submission to u@nullmx.test went out unchecked"
pf_wait_queue_empty 60
echo "93: postfix: $(grep -F 'milter-reject' "$PF_LOG" | head -n 1 | sed 's/.*milter-reject: //' | cut -c1-150)"
echo "93-milter-nullmx: ok"
