#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 60-postfix-pipe: smtpdirect as a Postfix pipe(8) transport, end to end.
#
# A private Postfix instance (t/lib/postfix.sh, smtpd on 127.0.6.1:25601)
# runs the master.cf entry and main.cf lines of conf-examples/postfix/
# (paths and user replaced), so every remote message, bounces included,
# goes through "$SMTPDIRECT deliver". The smtpdirect override map sends
# each test domain to an smtp-sink on loopback:
#
#   dest.test     127.0.6.10:25610  accepts everything
#   origin.test   127.0.6.11:25611  accepts: the senders' domain (bounces)
#   unknown.test  127.0.6.12:25612  refuses every RCPT with 550 5.1.1
#   later.test    127.0.6.13:25613  down at first, started later
#   switch.test   127.0.6.13:25613  while $retries<1, then
#                 127.0.6.14:25614  once $retries>=1
#
# Mail is injected with Postfix's sendmail and over SMTP. The test shows:
# delivery to the sink (also with the null sender); a 5.1.1 refusal
# becomes a bounce to the sender that quotes the remote reply, and the
# bounce (null sender) goes out through smtpdirect too; deferred mail
# stays queued with a 4.x.x reason; on a later queue run the recovered
# server gets it and a $retries rule moves the other message to the
# second relay; and, across the run, every message reaches each of its
# recipients exactly once (counted at the sinks).
#
# SMTPDIRECT=t/lib/fake-deliver.sh runs it against the stand-in that
# proves the harness. Needs root, postfix (smtp-sink) and python3.
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

pf_require
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"
mta_install_sd # SDC: configuration and state for the pipe user "nobody"
cat >"$SDC/overrides" <<'EOF'
dest.test     127.0.6.10:25610
origin.test   127.0.6.11:25611
unknown.test  127.0.6.12:25612
later.test    127.0.6.13:25613
switch.test   127.0.6.13:25613  $retries<1
switch.test   127.0.6.14:25614  $retries>=1
EOF
cat >"$SDC/smtpdirect.conf" <<EOF
# Nothing listens there: no DNS query may leave the machine.
dns_servers = 127.0.6.99:25699
dns_overrides = $SDC/overrides
state_dir = $SDC/state
helo_name = smtpdirect.test
connect_timeout = 5s
max_concurrent = 10
EOF
chmod 755 "$SDC"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf"

REPLY_511="550 5.1.1 Recipient address rejected: User unknown (test sink)"
sink_start good 127.0.6.10 25610
sink_start bounces 127.0.6.11 25611
sink_start unknown 127.0.6.12 25612 -f RCPT -B "$REPLY_511"
sink_start switch 127.0.6.14 25614

pf_init 127.0.6.1 25601
pf_use_examples "$SD_BIN" "$SDC/smtpdirect.conf" nobody
pf_start
grep -A2 '^smtpdirect ' "$PF_CONF/master.cf"
echo "60: postfix master $PF_PID on 127.0.6.1:25601"

# 1. Inject: with sendmail (pickup) and over SMTP (smtpd).
mta_message M1 | pf_sendmail -f s1@origin.test a1@dest.test b1@dest.test
mta_message M2 | mta_smtp_send 127.0.6.1 25601 s2@origin.test c2@dest.test
mta_message M3 | mta_smtp_send 127.0.6.1 25601 "" d3@dest.test
mta_message M4 | pf_sendmail -f s4@origin.test x4@unknown.test
mta_message M5 | mta_smtp_send 127.0.6.1 25601 s5@origin.test l5@later.test
mta_message M6 | pf_sendmail -f s6@origin.test w6@switch.test

# 2. What can be delivered is delivered, once per recipient.
sink_wait good "test M1" 2
sink_wait good "test M2" 1
sink_wait good "test M3" 1
sink_has good "X-Rcpt-Args: <a1@dest.test>" 1 || fail "M1 to a1: $(sink_grep good M1)"
sink_has good "X-Rcpt-Args: <b1@dest.test>" 1 || fail "M1 to b1: $(sink_grep good M1)"
[ "$(sink_files good "test M3" | xargs grep -c '^X-Mail-Args: <>')" -eq 1 ] ||
	fail "M3 lost its null sender: $(sink_grep good "test M3")"
grep -q '^\.leading dot line' "$(sink_files good "test M2")" ||
	fail "dot-stuffing: $(sink_grep good "test M2")"
echo "60: delivered M1 (2 recipients), M2, M3 (null sender) to the sink"

# 3. The 5.1.1 refusal bounces to the sender, quoting the remote reply;
# the bounce itself (null sender) goes out through smtpdirect.
sink_wait bounces "X-Rcpt-Args: <s4@origin.test>" 1
b=$(sink_files bounces "X-Rcpt-Args: <s4@origin.test>")
grep -q '^X-Mail-Args: <>' "$b" || fail "bounce sender: $(cat "$b")"
mta_unfold "$b" | grep -qF "$REPLY_511" || fail "bounce does not quote the reply: $(cat "$b")"
grep -qF "test M4" "$b" || fail "bounce does not carry M4: $(cat "$b")"
pf_wait_log 'to=<x4@unknown.test>, .*dsn=5\.1\.1, status=bounced'
[ "$(sink_count unknown "test M4")" -eq 0 ] || fail "M4 was accepted"
echo "60: M4 bounced: $(mta_unfold "$b" | grep -F "$REPLY_511" | head -n 1)"

# 4. Deferred mail stays queued with our 4.x.x reason.
wait_until 60 pf_log_has 'to=<l5@later.test>, .*status=deferred'
wait_until 60 pf_log_has 'to=<w6@switch.test>, .*status=deferred'
pf_queue_reasons >"$WORK/queue1"
cat "$WORK/queue1"
[ "$(wc -l <"$WORK/queue1")" -eq 2 ] || fail "want 2 queued recipients"
# Postfix takes the RFC 3463 code of deliver's stderr line as the
# recipient's dsn= and keeps the rest of the line as the reason.
for r in l5@later.test w6@switch.test; do
	line=$(grep -F "to=<$r>," "$PF_LOG" | grep 'status=deferred' | tail -n 1)
	echo "$line" | grep -Eq ', dsn=4\.[0-9]{1,3}\.[0-9]{1,3}, ' ||
		fail "no dsn=4.x.x for $r: $line"
	reason=${line#*status=deferred (}
	reason=${reason%)}
	reason=${reason% }
	[ -n "$reason" ] || fail "empty reason for $r: $line"
	grep -qF "deferred $r $reason" "$WORK/queue1" ||
		fail "queue reason of $r is not \"$reason\""
	pf_postqueue -p | tr -s ' \n' ' ' | grep -qF "(${reason% *}" ||
		fail "postqueue -p does not show \"$reason\": $(pf_postqueue -p)"
	echo "60: $r deferred: $(echo "$line" | grep -Eo 'dsn=[^,]+') ($reason)"
done

# 5. The server recovers; on the next queue run M5 reaches it, and M6
# (second attempt: $retries>=1) takes the other relay.
sink_start later 127.0.6.13 25613
pf_flush
sink_wait later "test M5" 1 60
sink_wait switch "test M6" 1 60
pf_wait_queue_empty 60
[ "$(sink_count later "test M6")" -eq 0 ] || fail "M6 went to the first relay"
echo "60: after the queue run: M5 at the recovered server, M6 at the relay of \$retries>=1"

# 6. No message lost or duplicated, anywhere.
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
sent=$(grep -c 'status=sent' "$PF_LOG" || true)
[ "$sent" -eq 7 ] || fail "postfix logged $sent status=sent, want 7 (6 + bounce)"
echo "60: $total deliveries + 1 bounce, each exactly once; queue empty"
echo "60-postfix-pipe: ok"
