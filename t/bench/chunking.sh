#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# BDAT against DATA (issue 19, item 6): one `smtpdirect deliver` process
# per message, started as Postfix's pipe(8) starts it (t/tools/pipe_bench,
# as t/bench/deliver.sh does), to a private Postfix smtpd
# (t/lib/postfix.sh) that offers CHUNKING and PIPELINING and discards
# what it receives, its queue on tmpfs so that its disk does not hide
# the protocol. The same messages go with smtp_chunking = yes (BDAT) and
# = no (DATA), in turn in each round; each row is its median round.
# Then one CHUNK_BIG_MB MB message each way, CHUNK_BIG_ROUNDS times in
# turn: peak RSS and wall time (medians). Then the round trips of one
# message each way (t/lib/smtpserver.py --chunking). Every message is
# counted in Postfix's log. Prints a markdown section. Address
# 127.0.26.8, ports 28098-28099. Needs root and Postfix.
#
#   CHUNK_N=200 CHUNK_BIG_MB=10 bash t/bench/chunking.sh   (a quick try)
# CHUNK_N messages of 4096 bytes (1000), CHUNK_P at once (10),
# CHUNK_ROUNDS (7), CHUNK_BIG_MB (100), CHUNK_BIG_ROUNDS (5).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

N=${CHUNK_N:-1000}
P=${CHUNK_P:-10}
ROUNDS=${CHUNK_ROUNDS:-7}
BIG_MB=${CHUNK_BIG_MB:-100}
BIG_ROUNDS=${CHUNK_BIG_ROUNDS:-5}
LIMIT=900
A=127.0.26.8
PORT=28098
RT_PORT=28099
FROM=sender@origin.test
RCPT=user@bench.test
SD_CORE=$TOP/transport/smtpdirect-core
PB=$TOP/build/normal/t/tools/pipe_bench
TIME=/usr/bin/time

pf_require
for t in "$SD" "$SD_CORE" "$PB" "$TIME" "$PYTHON3"; do
	[ -x "$t" ] || fail "$t is missing (make all build)"
done

# The receiver's queue on tmpfs (its queue_directory a symbolic link
# there), removed at exit once its master has stopped.
SHM=$(mktemp -d /dev/shm/smtpdirect-bench.XXXXXX)
chmod 711 "$SHM"
shm_rm() {
	pf_stop
	rm -rf "$SHM"
}
mta_at_exit shm_rm
pf_init $A $PORT
mkdir "$SHM/spool"
rmdir "$PF_DIR/spool"
ln -s "$SHM/spool" "$PF_DIR/spool"
pf_conf "default_transport = discard" \
    "relay_transport = discard" "relay_domains = static:ALL" \
    "smtpd_recipient_restrictions = permit" "message_size_limit = 0" \
    "smtpd_client_connection_count_limit = 0"
pf_start

# The two configurations differ in smtp_chunking only; each has its
# own state_dir (and keeper, and workers). Defaults otherwise, as
# t/bench/deliver.sh's CONF.
echo "bench.test $A:$PORT" >"$WORK/overrides"
for c in yes no; do
	mkdir "$WORK/state-$c"
	cat >"$WORK/conf-$c" <<EOF
dns_servers = 127.0.26.99:28097
dns_overrides = $WORK/overrides
state_dir = $WORK/state-$c
helo_name = bench.test
log_file = $WORK/deliver-$c.log
smtp_chunking = $c
EOF
	# The same, delivering in the process itself: its RSS is the
	# delivery's (the big message).
	printf 'worker_idle_time = 0\n' | cat "$WORK/conf-$c" - \
	    >"$WORK/conf-$c-now"
done

# gen_msg BYTES FILE - a message of exactly BYTES bytes, LF line ends
gen_msg() {
	"$PYTHON3" "$TOP/t/lib/gen_msg.py" "$1" "$2"
}

# received - messages Postfix's smtpd has taken so far (its log)
received() {
	grep -c 'postfix/cleanup\[[0-9]*\]: [0-9A-Za-z]*: message-id=' \
	    "$PF_LOG" 2>/dev/null || true
}

# wait_received N - until Postfix has logged N messages (60 s at most)
wait_received() {
	local k=0
	until [ "$(received)" -ge "$1" ]; do
		k=$((k + 1))
		[ $k -lt 300 ] || fail "Postfix logged $(received) of $1 messages"
		sleep 0.2
	done
}

# field LINE KEY - the value of KEY=... in a pipe_bench line
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# run_pb NAME COUNT PAR CMD... - pipe_bench COUNT runs of CMD, PAR at
# once; Postfix must have received each. Appends "NAME|PAR|line".
total=0
run_pb() {
	local name=$1 count=$2 par=$3 line
	shift 3
	line=$(timeout $LIMIT "$PB" -n "$count" -P "$par" -i "$WORK/msg" \
	    -- "$@" 2>>"$WORK/errors") ||
		fail "$name: $line $(tail -n 3 "$WORK/errors")"
	total=$((total + count))
	wait_received $total
	echo "$name|$par|$line" >>"$WORK/rows"
	echo "chunking bench: $name x$count P$par: $line" >&2
}

# median_row NAME PAR - the pipe_bench line of the median round
median_row() {
	grep "^$1|$2|" "$WORK/rows" | cut -d'|' -f3 |
	    while IFS= read -r l; do echo "$(field "$l" per_s) $l"; done |
	    sort -n | awk '{ r[NR] = $0 } END { if (NR) print r[int((NR + 1) / 2)] }' |
	    cut -d' ' -f2-
}

# rates NAME PAR - every round's messages/s, in round order
rates() {
	grep "^$1|$2|" "$WORK/rows" | cut -d'|' -f3 |
	    while IFS= read -r l; do field "$l" per_s; done |
	    paste -sd, - | sed 's/,/, /g'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
gen_msg 4096 "$WORK/msg"
: >"$WORK/rows"
: >"$WORK/errors"
for c in yes no; do
	run_pb "warm-$c" 20 1 "$SD" deliver -c "$WORK/conf-$c" -f $FROM \
	    -q "W$c%n" -- $RCPT
done
# Rounds: BDAT first in odd rounds, DATA first in even ones.
for round in $(seq 1 "$ROUNDS"); do
	[ $((round % 2)) = 1 ] && order="yes no" || order="no yes"
	for par in 1 "$P"; do
		for c in $order; do
			run_pb "$c" "$N" "$par" "$SD" deliver -c "$WORK/conf-$c" \
			    -f $FROM -q "R${round}P${par}$c%n" -- $RCPT
		done
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# Postfix's view: which sessions used BDAT.
bdat_sessions=$(grep -c 'disconnect from .* bdat=' "$PF_LOG" || true)
data_sessions=$(grep -c 'disconnect from .* data=' "$PF_LOG" || true)

# --- one big message, each way -------------------------------------------
gen_msg $((BIG_MB * 1048576)) "$WORK/big"
: >"$WORK/big.rows"
for round in $(seq 1 "$BIG_ROUNDS"); do
	[ $((round % 2)) = 1 ] && order="yes no" || order="no yes"
	for c in $order; do
		timeout $LIMIT "$TIME" -f '%M %e' -o "$WORK/time.out" "$SD_CORE" \
		    deliver -c "$WORK/conf-$c-now" -f $FROM -q "BIG$round$c" -- $RCPT \
		    <"$WORK/big" >/dev/null 2>>"$WORK/errors" ||
			fail "$BIG_MB MB with smtp_chunking = $c failed: $(tail -n 3 "$WORK/errors")"
		total=$((total + 1))
		wait_received $total
		echo "$c $(cat "$WORK/time.out")" >>"$WORK/big.rows"
	done
done
rm -f "$WORK/big"
# big_median WAY COLUMN - the median of column 2 (KiB) or 3 (s)
big_median() {
	awk -v w="$1" -v c="$2" '$1 == w { print $c }' "$WORK/big.rows" |
	    sort -n | awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }'
}
big_all() {
	awk -v w="$1" '$1 == w { printf "%s%s", s, $3; s = ", " }' "$WORK/big.rows"
}

# --- round trips ----------------------------------------------------------
"$PYTHON3" "$TOP/t/lib/smtpserver.py" --listen $A:$RT_PORT --dir "$WORK/rt" \
    --pidfile "$WORK/rt.pid" --lifetime 120 --chunking >"$WORK/rt.out" 2>&1 &
PIDS="$PIDS $!"
k=0
until [ -s "$WORK/rt.pid" ]; do
	k=$((k + 1))
	[ $k -lt 100 ] || fail "smtpserver.py did not start: $(cat "$WORK/rt.out")"
	sleep 0.1
done
echo "rt.test $A:$RT_PORT" >>"$WORK/overrides"
for c in yes no; do
	printf 'session_cache_time = 0\nworker_idle_time = 0\n' |
	    cat "$WORK/conf-$c" - >"$WORK/rt-$c"
	timeout 60 "$SD" deliver -c "$WORK/rt-$c" -f $FROM -q "RT$c" -- \
	    user@rt.test <"$WORK/msg" || fail "smtpdirect to smtpserver.py failed"
done
# trips CONN - "replies written after the greeting|transcript" of CONN
trips() {
	awk -v c="$1" '
	$2 != c { next }
	$3 == "in" { cmds = cmds (cmds == "" ? "" : "+") $4; next }
	$3 == "flush" {
		f++
		lab = cmds == "" ? (f == 1 ? "greeting" : "end of data") : cmds
		t = t (t == "" ? "" : ", ") lab
		cmds = ""
	}
	END { printf "%d|%s\n", f - 1, t }' "$WORK/rt/commands.log"
}
rt_b=$(trips 1)
rt_d=$(trips 2)

# --- report ---------------------------------------------------------------
echo "## BDAT against DATA: Postfix smtpd as the receiver"
echo
echo "\`t/bench/chunking.sh\` (issue 19, item 6; run $(date -u +%Y-%m-%d) at"
echo "commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)). A private Postfix"
echo "$(postconf -d mail_version | sed 's/.*= //') smtpd (t/lib/postfix.sh) listens on $A:$PORT, offers"
echo "CHUNKING and PIPELINING, and hands every message to the discard"
echo "transport; its queue is on tmpfs, so its fsyncs cost nothing and the"
echo "rows differ by the protocol, not by the receiver's disk. One"
echo "\`smtpdirect deliver\` per message as pipe(8) starts it"
echo "(\`t/tools/pipe_bench\`, as in t/bench/deliver.sh), $N messages of"
echo "4096 bytes one at a time and $P at once; CONF-YES and CONF-NO differ"
echo "in \`smtp_chunking\` only (defaults otherwise: workers, kept"
echo "connections), each with its own \`state_dir\`. Each round runs BDAT"
echo "and DATA in turn (BDAT first in odd rounds); each row is the median"
echo "of $ROUNDS rounds. Postfix's log counted every message; its sessions"
echo "(a kept connection carries many messages) ended with \`bdat=\`"
echo "$bdat_sessions times and with \`data=\` $data_sessions times. The"
echo "machine ($(nproc) cores) is shared with other work (load average"
echo "$load_before before the rounds, $load_after after), so single rounds"
echo "varied: the last column has every round's rate, in round order."
echo
echo '```'
echo "CHUNK_N=$N CHUNK_P=$P CHUNK_ROUNDS=$ROUNDS CHUNK_BIG_MB=$BIG_MB CHUNK_BIG_ROUNDS=$BIG_ROUNDS bash t/bench/chunking.sh"
echo "pipe_bench -n $N -P 1|$P -i MSG -- smtpdirect deliver -c CONF-YES -f $FROM -q ID%n -- $RCPT"
echo "pipe_bench -n $N -P 1|$P -i MSG -- smtpdirect deliver -c CONF-NO -f $FROM -q ID%n -- $RCPT"
echo '```'
echo
echo "| \`smtp_chunking\` | at once | seconds | messages/s | median ms | p90 ms | every round, messages/s |"
echo "|---|---:|---:|---:|---:|---:|---|"
for par in 1 "$P"; do
	for c in yes no; do
		l=$(median_row "$c" "$par")
		[ $c = yes ] && w="yes (BDAT)" || w="no (DATA)"
		echo "| $w | $par | $(field "$l" seconds) | $(field "$l" per_s) |" \
		    "$(field "$l" median_ms) | $(field "$l" p90_ms) | $(rates "$c" "$par") |"
	done
done
echo
echo "### One $BIG_MB MB message"
echo
echo "Peak RSS and wall time by \`/usr/bin/time -f '%M %e'\`, the message"
echo "($BIG_MB MiB, LF line ends, lines of 72 bytes) on standard input, to"
echo "the same smtpd, delivered by the process itself (\`smtpdirect-core\`,"
echo "CONF-YES or CONF-NO plus \`worker_idle_time = 0\`); $BIG_ROUNDS runs each"
echo "way in turn, medians (every run's wall time in the last column)."
echo
echo '```'
echo "time -f '%M %e' smtpdirect-core deliver -c CONF-YES-NOW|CONF-NO-NOW -f $FROM -q BIG -- $RCPT <BIG"
echo '```'
echo
echo "| \`smtp_chunking\` | peak RSS | wall s | every run, s |"
echo "|---|---:|---:|---|"
for c in yes no; do
	[ $c = yes ] && w="yes (BDAT, pieces of 256 KiB)" || w="no (DATA)"
	echo "| $w | $(awk -v k="$(big_median $c 2)" 'BEGIN { printf "%.1f MiB", k / 1024 }') |" \
	    "$(big_median $c 3) | $(big_all $c) |"
done
echo
echo "### Round trips of one message"
echo
echo "\`t/lib/smtpserver.py --chunking\` answers only when no more input"
echo "waits; each write of replies is one round trip of the client (CONF"
echo "plus \`session_cache_time = 0\`, \`worker_idle_time = 0\`):"
echo
echo "| \`smtp_chunking\` | round trips after the greeting, QUIT included | replies written for |"
echo "|---|---:|---|"
echo "| yes (BDAT) | ${rt_b%%|*} | ${rt_b#*|} |"
echo "| no (DATA) | ${rt_d%%|*} | ${rt_d#*|} |"
echo
echo "With PIPELINING, BDAT costs the same round trips as DATA (the table"
echo "above), so on the loopback the rows differ by less than the rounds"
echo "vary: read the rounds before concluding that either way is faster."
echo "What BDAT saves is the receiver's work of finding the end of data"
echo "and undoing the dot-stuffing, and the sender's of doing it; a round"
echo "trip per message would take sending the last piece with MAIL and"
echo "RCPT, which smtpdirect does not do (a connection lost then would"
echo "leave in doubt a message whose end was sent)."
