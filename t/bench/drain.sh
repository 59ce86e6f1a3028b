#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Queue drain (issue #6): a private Postfix instance (t/lib/postfix.sh)
# holds DRAIN_N (10000) queued 4 KB messages; they are released at once
# and the time until the queue is empty and the sink has counted them all
# is measured, in turn through the smtpdirect pipe(8) transport (the
# master.cf entry and main.cf lines of conf-examples/postfix), through
# Postfix's own smtp(8), and through a pipe(8) transport running `cat`
# (the floor of pipe(8) itself), all to the same smtp-sink and with the
# same maxproc. Prints a markdown section. Addresses 127.0.7.10-11,
# ports 25710-25711. Needs root and Postfix.
#
#   DRAIN_N=500 sh t/bench/drain.sh          (a quick try)
# DRAIN_MAXPROC (10) is the maxproc of the three transports and
# smtpdirect's max_concurrent; DRAIN_ROUNDS (3) rounds take the three
# transports in turn, and each is reported by its median round.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

N=${DRAIN_N:-10000}
MAXPROC=${DRAIN_MAXPROC:-10}
ROUNDS=${DRAIN_ROUNDS:-3}
LIMIT=$((120 + N / 10))
PF_A=127.0.7.10
PF_P=25710
SINK_A=127.0.7.11
SINK_P=25711
SOURCE=/usr/sbin/smtp-source

pf_require
for t in "$SMTP_SINK" "$SOURCE" "$PYTHON3"; do
	[ -x "$t" ] || fail "$t is missing"
done
mta_install_sd # SDC: configuration and state for the pipe user "nobody"
echo "drain.test $SINK_A:$SINK_P" >"$SDC/overrides"
cat >"$SDC/smtpdirect.conf" <<EOF
# No DNS query may leave the machine: the map routes the test domain.
dns_servers = 127.0.7.99:25799
dns_overrides = $SDC/overrides
state_dir = $SDC/state
helo_name = smtpdirect.test
max_concurrent = $MAXPROC
EOF
chmod 755 "$SDC"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf"

# The sink, keeping a running count on its standard output.
bg_start "$SMTP_SINK" -u nobody -c "$SINK_A:$SINK_P" 256 \
    >"$WORK/sink.out" 2>"$WORK/sink.err"
wait_port $SINK_A $SINK_P

# sink_total [KEY] - the sink's count of messages (mesg) or sessions
# (sess) so far
sink_total() {
	tr '\r' '\n' <"$WORK/sink.out" |
	    sed -n "s/.*${1:-mesg}=\([0-9]*\).*/\1/p" | tail -n 1 | grep . ||
		echo 0
}

pf_init $PF_A $PF_P
pf_use_examples "$SD_BIN" "$SDC/smtpdirect.conf" nobody
# The example says maxproc 10; the bench sets all three the same.
sed -E -i "s/^(smtpdirect([[:space:]]+[^[:space:]]+){5}[[:space:]]+)[0-9]+/\1$MAXPROC/" \
    "$PF_CONF/master.cf"
pf_pipe catpipe "$MAXPROC" "flags=q user=nobody" "argv=/bin/cat"
printf 'nsmtp     unix  -       -       n       -       %-7s smtp\n' \
    "$MAXPROC" >>"$PF_CONF/master.cf"
# Everything that arrives over SMTP is put on hold until the bench
# releases it; each recipient is its own delivery (as for smtpdirect).
pf_conf "smtpd_recipient_restrictions = check_client_access static:HOLD" \
    "catpipe_destination_recipient_limit = 1" \
    "default_destination_concurrency_limit = $MAXPROC" \
    "smtpd_client_connection_count_limit = 0"
# A master left over from an interrupted run would share the smtpd port
# (Postfix binds it with SO_REUSEPORT) and take half of the connections.
if (exec 3<>"/dev/tcp/$PF_A/$PF_P") 2>/dev/null; then
	fail "something already listens on $PF_A:$PF_P (a leftover Postfix master?)"
fi
# drain_kill_master - after pf_stop: should the master still run (its
# pid file gone with $WORK), stop it by the PID noted at start; on
# SIGTERM it stops its children too.
drain_kill_master() {
	local n=0
	[ -n "${PF_PID:-}" ] && kill -0 "$PF_PID" 2>/dev/null || return 0
	echo "drain bench: stopping postfix master $PF_PID by PID" >&2
	kill "$PF_PID" 2>/dev/null || true
	while kill -0 "$PF_PID" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	! kill -0 "$PF_PID" 2>/dev/null || kill -9 "$PF_PID"
}
mta_at_exit drain_kill_master
pf_start >&2

# queue_files [QUEUE...] - how many files the instance's queues hold
queue_files() {
	local q total=0
	for q in "${@:-maildrop incoming active deferred hold}"; do
		for d in $q; do
			[ -d "$PF_DIR/spool/$d" ] || continue
			total=$((total + $(find "$PF_DIR/spool/$d" -type f | wc -l)))
		done
	done
	echo "$total"
}

# held_all - true when all N messages of a batch are on hold
held_all() {
	[ "$(queue_files hold)" -ge "$N" ] &&
		[ "$(queue_files "maildrop incoming active")" -eq 0 ]
}

# drained WANT - true when the queue is empty and the sink reached WANT
drained() {
	[ "$(sink_total)" -ge "$1" ] && [ "$(queue_files)" -eq 0 ]
}

# log_sent WANT - true when the log has WANT status=sent lines
log_sent() {
	[ "$(grep -c 'status=sent' "$PF_LOG" || true)" -ge "$1" ]
}

# now_ns - the clock in nanoseconds
now_ns() {
	date +%s%N
}

# phase NAME TRANSPORT SINK_WANT - queue N messages on hold, release them
# with default_transport = TRANSPORT, time the drain. Appends
# "NAME|TRANSPORT|seconds" to $WORK/rows.
phase() {
	local name=$1 tr=$2 want=$3 before t0 t1 got sent sess n last same cur
	pf_conf "default_transport = $tr"
	timeout 60 "$PF_SBIN/postfix" -c "$PF_CONF" reload >&2
	before=$(sink_total)
	sess=$(sink_total sess)
	timeout "$LIMIT" "$SOURCE" -s 10 -m "$N" -N -l 4096 -M client.test \
	    -f sender@origin.test -t user@drain.test "$PF_A:$PF_P" >&2 ||
		fail "$name: smtp-source into Postfix failed"
	wait_until "$LIMIT" held_all
	sent=$(grep -c 'status=sent' "$PF_LOG" || true)
	t0=$(now_ns)
	timeout 120 "$PF_SBIN/postsuper" -c "$PF_CONF" -H ALL 2>&1 |
	    grep -v 'Released from hold' >&2 || true
	pf_flush
	if [ "$want" = 1 ]; then
		wait_until "$LIMIT" drained $((before + N))
	else
		wait_until "$LIMIT" drained 0
	fi
	t1=$(now_ns)
	got=$(($(sink_total) - before))
	[ "$want" = 0 ] || [ "$got" -eq "$N" ] ||
		fail "$name: the sink got $got of $N messages"
	# Postfix logs through postlogd over a datagram socket, which may
	# drop lines when flooded: the log is a cross-check, not a verdict.
	n=0
	until log_sent $((sent + N)) || [ $n -ge 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	log_sent $((sent + N)) || echo "drain bench: $name: the log shows" \
	    "$(($(grep -c 'status=sent' "$PF_LOG" || true) - sent)) of $N" \
	    "status=sent lines" >&2
	# The sink counts a session when it ends; kept connections (smtp(8)'s
	# cache, smtpdirect's keeper) end a few seconds after the drain.
	n=0 last=-1 same=0
	while [ $same -lt 15 ] && [ $n -lt 100 ]; do
		cur=$(sink_total sess)
		[ "$cur" = "$last" ] && same=$((same + 1)) || same=0
		last=$cur
		sleep 0.2
		n=$((n + 1))
	done
	sess=$(($(sink_total sess) - sess))
	echo "$name|$tr|$(awk -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.2f", (b - a) / 1e9 }')|$sess" >>"$WORK/rows"
	echo "drain bench: $name: $(tail -n 1 "$WORK/rows")" >&2
}

: >"$WORK/rows"
# Rounds: the transports in turn, so that a change in the machine's load
# shifts them alike; each is reported by its median round.
for round in $(seq 1 "$ROUNDS"); do
	phase smtpdirect smtpdirect 1
	phase native "nsmtp:[$SINK_A]:$SINK_P" 1
	phase cat catpipe 0
done
deferred=$(grep -c 'status=deferred' "$PF_LOG" || true)

rate() {
	awk -v n="$N" -v s="$1" 'BEGIN { printf "%.0f", n / s }'
}
# median NAME - the row of that transport's median round (by seconds)
median() {
	grep "^$1|" "$WORK/rows" | sort -t'|' -k3,3n |
	    awk '{ r[NR] = $0 } END { if (NR) print r[int((NR + 1) / 2)] }'
}
secs() {
	median "$1" | cut -d'|' -f3
}
# all_secs NAME - every round of that transport, "1.02, 0.87, 1.32"
all_secs() {
	grep "^$1|" "$WORK/rows" | cut -d'|' -f3 | paste -sd, - | sed 's/,/, /g'
}
sessions() {
	median "$1" | cut -d'|' -f4
}
# round_pcts - for each round, smtpdirect's rate as a share of smtp(8)'s
# in that round (their seconds inverted), one per line
round_pcts() {
	paste -d' ' <(grep '^smtpdirect|' "$WORK/rows" | cut -d'|' -f3) \
	    <(grep '^native|' "$WORK/rows" | cut -d'|' -f3) |
	    awk '{ printf "%.0f\n", 100 * $2 / $1 }'
}
sd=$(secs smtpdirect)
nat=$(secs native)
cat_s=$(secs cat)
pct=$(awk -v a="$nat" -v b="$sd" 'BEGIN { printf "%.0f", 100 * a / b }')
pcts=$(round_pcts | sed 's/$/%/' | paste -sd, - | sed 's/,/, /g')
pct_med=$(round_pcts | sort -n | awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }')

echo "## Queue drain: $N held messages through Postfix"
echo
echo "\`t/bench/drain.sh\` (issue #6). A private Postfix $(postconf -d -h mail_version)"
echo "(t/lib/postfix.sh: its own config_directory and queue_directory,"
echo "smtpd on $PF_A:$PF_P) receives $N messages from \`smtp-source\` (4096"
echo "bytes of body each, a distinct recipient each, \`-N\`), all put on"
echo "hold by \`smtpd_recipient_restrictions = check_client_access"
echo "static:HOLD\`. Then \`postsuper -H ALL; postqueue -f\` releases them,"
echo "and the clock runs until the queue directories are empty and the"
echo "sink (\`smtp-sink\` on $SINK_A:$SINK_P, its own running count) has"
echo "received all of them. Each transport gets a new batch; the sink and"
echo "the instance are the same for all three. $ROUNDS rounds take the three"
echo "transports in turn; each row is the transport's median round (all"
echo "rounds, in seconds: smtpdirect $(all_secs smtpdirect); smtp(8)"
echo "$(all_secs native); cat $(all_secs cat))."
echo
echo "master.cf (maxproc $MAXPROC for each), main.cf as conf-examples/postfix"
echo "(\`smtpdirect_destination_recipient_limit = 1\`) plus"
echo "\`catpipe_destination_recipient_limit = 1\`,"
echo "\`default_destination_concurrency_limit = $MAXPROC\`, and"
echo "\`default_transport\` set to the transport under test:"
echo
echo '```'
grep -A2 -e '^smtpdirect ' -e '^catpipe ' "$PF_CONF/master.cf" |
    sed -e "s|$SD_BIN|smtpdirect|" -e "s|$SDC/smtpdirect.conf|CONF|" -e '/^--$/d'
grep '^nsmtp ' "$PF_CONF/master.cf"
echo '```'
echo
echo "smtpdirect's CONF: the override map routes drain.test to"
echo "$SINK_A:$SINK_P, \`max_concurrent = $MAXPROC\`, state_dir new."
echo
echo "| transport | default_transport | maxproc | seconds | messages/s | share of smtp(8) | SMTP sessions |"
echo "|---|---|---:|---:|---:|---:|---:|"
echo "| smtpdirect, pipe(8) | smtpdirect | $MAXPROC | $sd | $(rate "$sd") | $pct% | $(sessions smtpdirect) |"
echo "| Postfix smtp(8) | nsmtp:[$SINK_A]:$SINK_P | $MAXPROC | $nat | $(rate "$nat") | 100% | $(sessions native) |"
echo "| \`cat\`, pipe(8) (floor) | catpipe | $MAXPROC | $cat_s | $(rate "$cat_s") | $(awk -v a="$nat" -v b="$cat_s" 'BEGIN { printf "%.0f", 100 * a / b }')% | - |"
echo
echo "Round by round (the three transports back to back, so that a change"
echo "in the machine's load shifts them alike) smtpdirect drained at $pcts"
echo "of the rate of Postfix's smtp(8) in the same round: median"
echo "**$pct_med%** (goal ≥ 75%: $(awk -v p="$pct_med" 'BEGIN { print (p >= 75) ? "met" : "not met" }')). The table's median rounds give $pct%."
echo "SMTP sessions: the sessions the sink saw end for each drain (counted"
echo "until the count stood still for 3 s, so that connections kept"
echo "after the drain are in). smtp(8) is a long-lived process that reuses"
echo "its connections to the sink when mail for it is backed up (Postfix's"
echo "on-demand connection cache); pipe(8) starts one smtpdirect process"
echo "per message, which hands the message to one of up to $MAXPROC resident"
echo "delivery workers (\`worker_idle_time\`, default 10 s) or, when none"
echo "is idle, delivers it itself; either hands its connection to the next"
echo "message through smtpdirect's keeper (\`session_cache_time\`, default 2 s)."
echo "A connection carries at most 100 messages (smtpdirect.conf(5),"
echo "\`session_cache_time\`), as smtp(8) would with"
echo "\`smtp_connection_reuse_count_limit = 100\`; its default, 0, sets no"
echo "limit: so smtpdirect needs at least $((N / 100)) sessions for $N messages."
echo "$deferred deliveries were deferred during the run."
