#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 70-exim-pipe: smtpdirect with a real Exim 4.96, end to end.
#
# Exim runs from Debian's packages, unpacked (t/lib/exim.sh), with its own
# configuration, spool and log, listening on 127.0.6.20:25620.
#
# Part A, the pipe transport: the router and transport of
# conf-examples/exim/ (paths, user and group replaced) send every remote
# message, bounces included, through "$SMTPDIRECT deliver" with the
# recipient from $pipe_addresses and the sender and queue id from the
# environment. The override map sends each test domain to an smtp-sink:
#
#   dest.test     127.0.6.30:25630  accepts everything
#   origin.test   127.0.6.31:25631  accepts: the senders' domain (bounces)
#   unknown.test  127.0.6.32:25632  refuses every RCPT with 550 5.1.1
#   later.test    127.0.6.33:25633  down at first, started later
#   switch.test   127.0.6.33:25633  while $retries<1, then
#                 127.0.6.34:25634  once $retries>=1
#
# It shows delivery (also with the null sender); a 5.1.1 refusal bounces
# to the sender quoting the remote reply (return_fail_output) and the
# bounce goes out through smtpdirect with the null sender; deferred mail
# stays queued (exim -bp) with our 4.x.x line in the log; a later queue
# run delivers it once the server is back, and the $retries rule moves
# the other message to the second relay; every message reaches each of
# its recipients exactly once (counted at the sinks).
#
# Part B, the route router (conf-examples/exim/smtpdirect-route-router.conf)
# in a second Exim instance: "$SMTPDIRECT route -o exim" picks the hosts
# for Exim's own smtp transport (first host down, second one used); a
# domain without override goes on to the next router; a broken override
# map defers (never routes around the map) until it is fixed.
#
# SMTPDIRECT=t/lib/fake-deliver.sh runs it against the stand-in that
# proves the harness. Needs root, postfix (smtp-sink), python3, and
# apt-get/dpkg-deb to fetch Exim once into /var/cache/smtpdirect-tests.
set -eu

# shellcheck source=t/lib/exim.sh
. "$(dirname "$0")/../lib/exim.sh"
exim_isolate "$@"
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"
exim_fetch
mta_install_sd # SDC: configuration and state for the pipe user "nobody"
cat >"$SDC/overrides" <<'EOF'
dest.test     127.0.6.30:25630
origin.test   127.0.6.31:25631
unknown.test  127.0.6.32:25632
later.test    127.0.6.33:25633
switch.test   127.0.6.33:25633  $retries<1
switch.test   127.0.6.34:25634  $retries>=1
routed.test   127.0.6.35:25635  $priority:5
routed.test   127.0.6.30:25630  $priority:10
EOF
cat >"$SDC/smtpdirect.conf" <<EOF
# Nothing listens there: no DNS query may leave the machine.
dns_servers = 127.0.6.99:25699
dns_overrides = $SDC/overrides
state_dir = $SDC/state
helo_name = smtpdirect.test
connect_timeout = 5s
EOF
chmod 755 "$SDC"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf"

REPLY_511="550 5.1.1 Recipient address rejected: User unknown (test sink)"
sink_start good 127.0.6.30 25630
sink_start bounces 127.0.6.31 25631
sink_start unknown 127.0.6.32 25632 -f RCPT -B "$REPLY_511"
sink_start switch 127.0.6.34 25634

# ---- Part A: the pipe transport ---------------------------------------
exim_init pipe 127.0.6.20 25620
exim_add_routers "$(exim_example smtpdirect-router.conf "$SD_BIN" "$SDC/smtpdirect.conf" nobody nogroup)"
exim_add_transports "$(exim_example smtpdirect-transport.conf "$SD_BIN" "$SDC/smtpdirect.conf" nobody nogroup)"
exim_finish
exim_daemon
grep -E '^ *command = ' "$EXIM_CONF"
echo "70: exim daemon $EXIM_DAEMON_PID on 127.0.6.20:25620"

mta_message M1 | mta_smtp_send 127.0.6.20 25620 s1@origin.test a1@dest.test b1@dest.test
mta_message M2 | exim_inject s2@origin.test c2@dest.test
mta_message M3 | mta_smtp_send 127.0.6.20 25620 "" d3@dest.test
mta_message M4 | exim_inject s4@origin.test x4@unknown.test
mta_message M5 | mta_smtp_send 127.0.6.20 25620 s5@origin.test l5@later.test
mta_message M6 | exim_inject s6@origin.test w6@switch.test
[ "$(exim_queue_count)" -eq 6 ] || fail "want 6 queued messages: $(exim_queue)"

# The first queue run delivers, bounces and defers; the bounce, queued by
# it, goes out in a run for recipients at origin.test only, so that the
# deferred messages are not retried yet.
exim_queue_run
exim_queue_run -R origin.test

sink_wait good "test M1" 2
sink_wait good "test M2" 1
sink_wait good "test M3" 1
sink_has good "X-Rcpt-Args: <a1@dest.test>" 1 || fail "M1 to a1: $(sink_grep good M1)"
sink_has good "X-Rcpt-Args: <b1@dest.test>" 1 || fail "M1 to b1: $(sink_grep good M1)"
[ "$(sink_files good "test M3" | xargs grep -c '^X-Mail-Args: <>')" -eq 1 ] ||
	fail "M3 lost its null sender: $(sink_grep good "test M3")"
grep -q '^\.leading dot line' "$(sink_files good "test M2")" ||
	fail "dot-stuffing: $(sink_grep good "test M2")"
f=$(sink_files good "test M2")
if grep -q '^From ' "$f"; then
	fail "message_prefix leaked a From line: $(cat "$f")"
fi
echo "70: delivered M1 (2 recipients), M2, M3 (null sender) to the sink"

sink_wait bounces "X-Rcpt-Args: <s4@origin.test>" 1
b=$(sink_files bounces "X-Rcpt-Args: <s4@origin.test>")
grep -q '^X-Mail-Args: <>' "$b" || fail "bounce sender: $(cat "$b")"
mta_unfold "$b" | grep -qF "$REPLY_511" || fail "bounce does not quote the reply: $(cat "$b")"
grep -qF "test M4" "$b" || fail "bounce does not carry M4: $(cat "$b")"
exim_log_has '\*\* x4@unknown.test .*R=smtpdirect T=smtpdirect' ||
	fail "no failure logged for x4@unknown.test"
[ "$(sink_count unknown "test M4")" -eq 0 ] || fail "M4 was accepted"
echo "70: M4 bounced: $(mta_unfold "$b" | grep -F "$REPLY_511" | head -n 1)"

# Deferred: still queued, the deferral in the message log, our 4.x.x line
# in the main log (log_defer_output).
exim_queue >"$WORK/queue1"
cat "$WORK/queue1"
[ "$(exim_queue_count)" -eq 2 ] || fail "want 2 queued messages"
for r in l5@later.test w6@switch.test; do
	grep -qF "$r" "$WORK/queue1" || fail "$r is not queued"
	line=$(grep -F "== $r " "$EXIM_LOG" | tail -n 1)
	echo "$line" | grep -Eq 'R=smtpdirect T=smtpdirect defer' ||
		fail "no deferral logged for $r: $line"
	grep -F "$r" "$EXIM_LOG" | grep -Eq '\b4\.[0-9]{1,3}\.[0-9]{1,3} ' ||
		fail "no 4.x.x reason logged for $r: $(grep -F "$r" "$EXIM_LOG")"
	echo "70: $r deferred: $(grep -F "$r" "$EXIM_LOG" | grep -Eo '\b4\.[0-9]{1,3}\.[0-9]{1,3} .*' | tail -n 1)"
done
for id in $(exim_queue_ids); do
	exim_msglog "$id" | grep -q ' R=smtpdirect T=smtpdirect defer ' ||
		fail "message log of $id shows no deferral: $(exim_msglog "$id")"
done

# The server recovers: the next queue run delivers M5 there, and M6
# (second attempt) to the relay of the $retries>=1 line.
sink_start later 127.0.6.33 25633
exim_queue_run
sink_wait later "test M5" 1
sink_wait switch "test M6" 1
[ "$(sink_count later "test M6")" -eq 0 ] || fail "M6 went to the first relay"
[ "$(exim_queue_count)" -eq 0 ] || fail "queue not empty: $(exim_queue)"
echo "70: after the queue run: M5 at the recovered server, M6 at the relay of \$retries>=1"

total=0
for m in M1:2 M2:1 M3:1 M4:0 M5:1 M6:1; do
	n=0
	for s in good unknown later switch; do
		n=$((n + $(sink_count $s "Subject: test ${m%:*}")))
	done
	[ "$n" -eq "${m#*:}" ] || fail "${m%:*} reached the sinks $n times, want ${m#*:}"
	total=$((total + n))
done
[ "$(sink_count bounces "X-Mail-Args: <>")" -eq 1 ] ||
	fail "want exactly 1 bounce: $(sink_grep bounces "X-Mail-Args")"
echo "70: part A: $total deliveries + 1 bounce, each exactly once; queue empty"

# ---- Part B: the route router and Exim's smtp transport ---------------
cat >"$WORK/next-router.conf" <<'EOF'
# Stands in for dnslookup: where mail goes when the route router declines.
next_router:
  driver = manualroute
  domains = ! +local_domains
  route_list = * 127.0.6.34::25634
  headers_add = X-Test-Router: next_router
  transport = remote_smtp
EOF
cat >"$WORK/remote-smtp.conf" <<'EOF'
remote_smtp:
  driver = smtp
  helo_data = exim.origin.test
EOF
exim_init route 127.0.6.21 25621
exim_add_routers "$(exim_example smtpdirect-route-router.conf "$SD_BIN" "$SDC/smtpdirect.conf" nobody nogroup)" \
    "$WORK/next-router.conf"
exim_add_transports "$WORK/remote-smtp.conf"
exim_finish

mta_message R1 | exim_inject s1@origin.test r1@routed.test
mta_message R2 | exim_inject s2@origin.test r2@nomatch.test
exim_queue_run
sink_wait good "test R1" 1
f=$(sink_files good "test R1")
grep -q '^X-Helo-Args: exim.origin.test' "$f" || fail "R1 not sent by Exim's smtp transport: $(cat "$f")"
exim_log_has 'H=127\.0\.6\.35 \[127\.0\.6\.35\]:?[0-9]* Connection refused' ||
	fail "R1: the first host of the route was not tried"
exim_log_has '=> r1@routed.test R=smtpdirect_route T=remote_smtp H=127\.0\.6\.30 ' ||
	fail "R1 not delivered by the route router"
sink_wait switch "test R2" 1
grep -q '^X-Test-Router: next_router' "$(sink_files switch "test R2")" ||
	fail "R2 did not go on to the next router"
echo "70: route router: R1 via the override map's second host, R2 declined to the next router"

cp "$SDC/overrides" "$SDC/overrides.good"
echo "broken.test" >>"$SDC/overrides"
mta_message R3 | exim_inject s3@origin.test r3@dest.test
exim_queue_run
[ "$(exim_queue_count)" -eq 1 ] || fail "R3 not kept in the queue: $(exim_queue)"
exim_log_has '== r3@dest.test R=smtpdirect_route defer .*smtpdirect-route-failed' ||
	fail "R3: no deferral by the route router"
[ "$(sink_count good "test R3")" -eq 0 ] || fail "R3 was sent despite the broken map"
[ "$(sink_count switch "test R3")" -eq 0 ] || fail "R3 was routed around the broken map"
echo "70: broken map: $(grep -F '== r3@dest.test' "$EXIM_LOG" | grep -Eo 'failed to open [^ ]+' | tail -n 1)"
cp "$SDC/overrides.good" "$SDC/overrides"
exim_queue_run
sink_wait good "test R3" 1
[ "$(exim_queue_count)" -eq 0 ] || fail "queue not empty: $(exim_queue)"
echo "70: map fixed: R3 delivered on the next queue run"
echo "70-exim-pipe: ok"
