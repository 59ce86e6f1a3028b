#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 91-milter-postfix: smtpdirect-milter in a real Postfix smtpd, end to end.
#
# A private Postfix instance (t/lib/postfix.sh, smtpd on 127.0.18.1:25881)
# has the smtpdirect pipe transport of conf-examples/postfix/master.cf
# (paths and user replaced), the milter as smtpd_milters (unix: socket,
# milter_default_action = tempfail) and the milter_header_checks table
# of conf-examples/postfix/milter.cf, which turns the milter's
# "X-SMTPDirect-Transport: smtpdirect:" into FILTER smtpdirect:. Every
# other message takes Postfix's own smtp(8) to the relayhost:
#
#   big.test  127.0.18.3:25883  $size>1M   (the override map, smtpdirect)
#   relayhost [127.0.18.4]:25884           (Postfix's smtp, the default)
#
# Cases: (a) a 3 MB message for big.test goes through FILTER to
# smtpdirect and reaches the rule's relay; (b) a small one for big.test
# takes the default transport, never smtpdirect; (c) forged
# X-SMTPDirect-* headers sent by the client, and the milter's own
# (removed by smtpdirect, and by smtp_header_checks IGNORE in Postfix's
# smtp), reach no sink, on either
# path; (d) SIGHUP with a broken map changes nothing: the milter keeps
# its map and the next messages are routed as before.
#
# Skips (77) when milter/smtpdirect-milter is not built. Needs root,
# postfix (smtp-sink), postfix-pcre (else the regexp: form of the table)
# and python3.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

MILTER=${SMTPDIRECT_MILTER:-$TOP/milter/smtpdirect-milter}
[ -x "$MILTER" ] || skip "$MILTER is not built (make)"
pf_require
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"

mta_install_sd # SDC: configuration and state for the pipe user "nobody"
install -m 755 "$MILTER" "$WORK/bin/smtpdirect-milter"
cat >"$SDC/overrides" <<'EOF'
big.test      127.0.18.3:25883  $size>1M
EOF
cat >"$SDC/smtpdirect.conf" <<EOF
# Nothing listens there: no DNS query may leave the machine.
dns_servers = 127.0.18.9:25919
dns_overrides = $SDC/overrides
state_dir = $SDC/state
helo_name = smtpdirect.test
connect_timeout = 5s
max_concurrent = 10
EOF
chmod 755 "$SDC"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf"

sink_start relay 127.0.18.3 25883 # the override's relay (smtpdirect)
sink_start default 127.0.18.4 25884 # the relayhost (Postfix's smtp)

# The milter, as the systemd unit runs it: root at first, then -u, with
# UMask 0011 so that Postfix (user postfix) may connect to its socket.
MDIR=$WORK/milter
MSOCK=$MDIR/milter.sock
MLOG=$WORK/milter.log
mkdir -p "$MDIR"
chown nobody "$MDIR"
chmod 755 "$MDIR"
: >"$MLOG"
milter_log() {
	echo "--- milter log (last 30 lines)"
	tail -n 30 "$MLOG"
}
mta_on_fail milter_log
mta_milter_start "$WORK/bin/smtpdirect-milter" "$SDC/smtpdirect.conf" \
    "$MSOCK" "$MLOG" 10
echo "91: milter $MPID on unix:$MSOCK ($(stat -c '%U %a' "$MSOCK"))"
# It holds the map's passwords: not dumpable (its /proc files stay root's
# after it became nobody).
grep -q "^Uid:	$(id -u nobody)	" "/proc/$MPID/status" ||
	fail "the milter does not run as nobody"
[ "$(stat -c %u "/proc/$MPID/status")" = 0 ] ||
	fail "the milter is dumpable (PR_SET_DUMPABLE)"
# The same when it is started as nobody without -u (no change of user
# that would reset the flag): it makes itself not dumpable.
mkdir -p "$WORK/nd"
chmod 777 "$WORK/nd"
bg_start setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$WORK/bin/smtpdirect-milter" -f -c "$SDC/smtpdirect.conf" \
    -p "unix:$WORK/nd/sock"
NDPID=$LAST_PID
wait_until 10 test -S "$WORK/nd/sock"
[ "$(stat -c %u "/proc/$NDPID/status")" = 0 ] ||
	fail "the milter started as nobody is dumpable"
kill -TERM "$NDPID"
echo "91: the milter runs as nobody and is not dumpable, with -u and without"

# The Postfix instance: the transport of conf-examples, but
# default_transport is Postfix's smtp to the relayhost.
pf_init 127.0.18.1 25881
pf_use_examples "$SD_BIN" "$SDC/smtpdirect.conf" nobody
if "$PF_SBIN/postconf" -c "$PF_CONF" -m 2>/dev/null | grep -qx pcre; then
	HC_TYPE=pcre
	# shellcheck disable=SC2016 # $1 is Postfix's
	printf '%s\n' '/^X-SMTPDirect-Transport:\s*(\S+)/ FILTER $1' \
	    >"$PF_CONF/smtpdirect_milter_header_checks"
else
	HC_TYPE=regexp
	# shellcheck disable=SC2016 # $1 is Postfix's
	printf '%s\n' \
	    '/^X-SMTPDirect-Transport:[[:space:]]*([^[:space:]]+)/ FILTER $1' \
	    >"$PF_CONF/smtpdirect_milter_header_checks"
fi
pf_conf "default_transport = smtp" \
    "relayhost = [127.0.18.4]:25884" \
    "smtp_dns_support_level = disabled" \
    "smtpd_milters = unix:$MSOCK" \
    "milter_default_action = tempfail" \
    "milter_header_checks = $HC_TYPE:$PF_CONF/smtpdirect_milter_header_checks" \
    "smtp_header_checks = regexp:$PF_CONF/smtpdirect_smtp_header_checks"
printf '%s\n' '/^X-SMTPDirect-/ IGNORE' \
    >"$PF_CONF/smtpdirect_smtp_header_checks"
pf_start
echo "91: postfix master $PF_PID on 127.0.18.1:25881, milter_header_checks $HC_TYPE:"

# big_message TOKEN [HEADER...] - a message of about 3 MB (76-byte lines).
big_message() {
	local tok=$1
	shift
	printf 'From: sender@origin.test\nTo: rcpt@big.test\nSubject: test %s\nMessage-ID: <%s@client.test>\n' "$tok" "$tok"
	[ $# -eq 0 ] || printf '%s\n' "$@"
	printf '\nThis is message %s.\n' "$tok"
	"$PYTHON3" -c 'import sys
line = b"x" * 75 + b"\n"
sys.stdout.buffer.write(line * (3 * 1024 * 1024 // 76 + 1))'
}
# small_message TOKEN [HEADER...]
small_message() {
	local tok=$1
	shift
	printf 'From: sender@origin.test\nTo: rcpt@big.test\nSubject: test %s\nMessage-ID: <%s@client.test>\n' "$tok" "$tok"
	[ $# -eq 0 ] || printf '%s\n' "$@"
	printf '\nThis is message %s.\n' "$tok"
}
FORGED1="X-SMTPDirect-Transport: smtpdirect:forgedT"
FORGED2="X-SMTPDirect-Route: <a@big.test>; forgedR; 127.0.18.4:25884"
FORGED3="x-smtpdirect-whatever: forgedW"

# where TOKEN - "relay", "default" or "none"/"both" (with the counts).
where() {
	local r d
	r=$(sink_count relay "Subject: test $1")
	d=$(sink_count default "Subject: test $1")
	echo "relay=$r default=$d"
}

# pf_relay_of RCPT TOKEN - the relay= Postfix logged for the message
# whose Message-ID carries TOKEN, to RCPT.
pf_relay_of() {
	local id
	id=$(grep -F "message-id=<$2@client.test>" "$PF_LOG" |
	    sed -n 's/.*: \([0-9A-Za-z]*\): message-id=.*/\1/p' | head -n 1)
	[ -n "$id" ] || return 1
	grep -F " $id: to=<$1>," "$PF_LOG" | grep -F 'status=sent' |
	    sed -n 's/.* relay=\([^,]*\),.*/\1/p' | head -n 1
}

# (a) and (c): 3 MB for big.test, with forged headers: smtpdirect.
big_message A1 "$FORGED1" "$FORGED2" "$FORGED3" |
	mta_smtp_send 127.0.18.1 25881 s@origin.test a1@big.test
sink_wait relay "Subject: test A1" 1 60
pf_wait_log 'to=<a1@big.test>, relay=smtpdirect, .*status=sent' 60
[ "$(where A1)" = "relay=1 default=0" ] || fail "A1: $(where A1)"
f=$(sink_files relay "Subject: test A1")
sz=$(stat -c %s "$f")
[ "$sz" -gt 3000000 ] || fail "A1 arrived with $sz bytes"
echo "91: (a) 3 MB to a1@big.test: relay=$(pf_relay_of a1@big.test A1), at the \$size>1M relay 127.0.18.3:25883 ($sz bytes dumped)"

# (b) and (c): a small one for big.test, with forged headers: smtp.
small_message B1 "$FORGED1" "$FORGED2" "$FORGED3" |
	mta_smtp_send 127.0.18.1 25881 s@origin.test b1@big.test
sink_wait default "Subject: test B1" 1 60
pf_wait_log 'to=<b1@big.test>, relay=127\.0\.18\.4\[127\.0\.18\.4\]:25884, .*status=sent' 60
[ "$(where B1)" = "relay=0 default=1" ] || fail "B1: $(where B1)"
echo "91: (b) small to b1@big.test: relay=$(pf_relay_of b1@big.test B1) (Postfix's smtp), not smtpdirect"

# The milter saw both, at the size that decides, and removed the forged
# headers: its line per message, by Postfix's queue id.
pf_qid_of() {
	grep -F "message-id=<$1@client.test>" "$PF_LOG" |
	    sed -n 's/.*: \([0-9A-Za-z]*\): message-id=.*/\1/p' | head -n 1
}
for t in A1:1 B1:0; do
	q=$(pf_qid_of "${t%:*}")
	l=$(grep -F "$q: size=" "$MLOG" | head -n 1)
	echo "$l" | grep -q "overridden=${t#*:}, .*removed=3" ||
		fail "milter line of ${t%:*} ($q): $l"
	echo "91: milter: $l"
done

# (c) No forged header anywhere; the milter's own headers never leave
# through smtpdirect (the transport removes them).
for s in relay default; do
	if grep -rl -e forgedT -e forgedR -e forgedW "$WORK/sink-$s" >/dev/null; then
		fail "a forged header reached sink $s: $(grep -r -i '^x-smtpdirect' "$WORK/sink-$s")"
	fi
done
if grep -ril '^x-smtpdirect' "$WORK/sink-relay" >/dev/null; then
	fail "X-SMTPDirect-* left through smtpdirect: $(grep -ri '^x-smtpdirect' "$WORK/sink-relay")"
fi
# ...nor through Postfix's smtp (smtp_header_checks IGNORE).
if grep -ril '^x-smtpdirect' "$WORK/sink-default" >/dev/null; then
	fail "X-SMTPDirect-* left through Postfix's smtp: $(grep -ri '^x-smtpdirect' "$WORK/sink-default")"
fi
echo "91: (c) no X-SMTPDirect-* header at either sink, forged or the milter's own"

# (d) SIGHUP with a broken map: refused, old map kept.
cp "$SDC/overrides" "$WORK/overrides.good"
cat >"$SDC/overrides" <<'EOF'
big.test      127.0.18.4:25884  $size>0  $nonsense
this line is not a rule at all
EOF
hups=$(grep -c 'reload' "$MLOG" || true)
kill -HUP "$MPID"
reload_seen() {
	[ "$(grep -c 'reload' "$MLOG" || true)" -gt "$hups" ]
}
wait_until 10 reload_seen
kill -0 "$MPID" 2>/dev/null || fail "the milter died on SIGHUP: $(cat "$MLOG")"
grep 'reload' "$MLOG" | tail -n 1 | grep -q 'refused' ||
	fail "the broken map was not refused: $(tail -n 5 "$MLOG")"
echo "91: (d) SIGHUP with a broken map: $(grep 'reload' "$MLOG" | tail -n 1 | cut -c1-160)"
# The transport reads the map on its own: put the good one back for it,
# with no SIGHUP, so that only the milter's kept map decides FILTER.
cp "$WORK/overrides.good" "$SDC/overrides"
big_message D1 | mta_smtp_send 127.0.18.1 25881 s@origin.test d1@big.test
small_message D2 | mta_smtp_send 127.0.18.1 25881 s@origin.test d2@big.test
sink_wait relay "Subject: test D1" 1 60
sink_wait default "Subject: test D2" 1 60
pf_wait_log 'to=<d1@big.test>, relay=smtpdirect, .*status=sent' 60
[ "$(where D1)" = "relay=1 default=0" ] || fail "D1: $(where D1)"
[ "$(where D2)" = "relay=0 default=1" ] || fail "D2: $(where D2)"
kill -0 "$MPID" 2>/dev/null || fail "the milter died: $(cat "$MLOG")"
echo "91: (d) after it: 3 MB D1 relay=$(pf_relay_of d1@big.test D1), small D2 relay=$(pf_relay_of d2@big.test D2), as before"

pf_wait_queue_empty 60
pf_log_has 'status=(bounced|deferred)' && fail "something bounced or deferred: $(pf_log)"
pf_log_has 'milter.*(error|fatal|timeout)' && fail "milter trouble in the Postfix log: $(grep milter "$PF_LOG")"
echo "91-milter-postfix: ok"
