#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Delivery throughput (issue #4): one `smtpdirect deliver` process per
# message, as Postfix's pipe(8) runs it, against Postfix's smtp-sink on
# loopback, next to msmtp (stock, and with TCP_NODELAY forced by an
# LD_PRELOAD shim), a `cat` per message (the fork/exec floor) and
# smtp-source (the network ceiling), all in the same run. Then the round
# trips of one message (t/lib/smtpserver.py counts them), the peak RSS of
# one 100 MB message, and where a single process spends its time. Prints
# a markdown section. Addresses 127.0.7.1-2, ports 25701-25702.
#
#   DELIVER_N=200 sh t/bench/deliver.sh      (a quick try)
# DELIVER_N messages (2000), DELIVER_P at once (10), DELIVER_STOCK_N for
# stock msmtp one at a time (DELIVER_N/5: it waits ~50 ms per message),
# DELIVER_BIG_MB (100), DELIVER_PROFILE_N runs per start-up row (300),
# DELIVER_ROUNDS (3) rounds of the throughput table, each row the median.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SD="$TOP/transport/smtpdirect"
# The core program the front runs (smtpdirect(8)): the rows that deliver
# in the process itself name it directly, as smtpdirect(8) advises with
# worker_idle_time = 0.
SD_CORE="$TOP/transport/smtpdirect-core"
# The same programs with ldns, LMDB and OpenSSL linked in (make
# LINK=static, position-independent like the default; glibc and libidn2
# stay shared), for comparison with the default build, which links them
# shared (README, "Install").
SD_STATIC="$TOP/build/static/transport/smtpdirect"
SD_STATIC_CORE="$TOP/build/static/transport/smtpdirect-core"
PB="$TOP/build/normal/t/tools/pipe_bench"
N=${DELIVER_N:-2000}
P=${DELIVER_P:-10}
NSTOCK=${DELIVER_STOCK_N:-$((N / 5))}
BIG_MB=${DELIVER_BIG_MB:-100}
NPROF=${DELIVER_PROFILE_N:-300}
ROUNDS=${DELIVER_ROUNDS:-3}
SINK=/usr/sbin/smtp-sink
SOURCE=/usr/sbin/smtp-source
TIME=/usr/bin/time
for t in "$SD" "$SD_CORE" "$PB" "$SINK" "$SOURCE" "$TIME" msmtp cc python3; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "deliver bench: $t is missing" >&2
		exit 1
	}
done

make -C "$TOP" -s VARIANT=static LINK=static build/static/transport/smtpdirect \
    build/static/transport/smtpdirect-core \
    >&2 || { echo "deliver bench: cannot build $SD_STATIC" >&2; exit 1; }
# The front linked statically from glibc instead of musl (FRONT_LIBC in
# the Makefile), beside a link to the same core, so the same keeper and
# workers serve it.
SD_GLIBC_FRONT="$TOP/build/glibc/transport/smtpdirect"
make -C "$TOP" -s VARIANT=glibc FRONT_LIBC=glibc build/glibc/transport/smtpdirect >&2 ||
	{ echo "deliver bench: cannot build $SD_GLIBC_FRONT" >&2; exit 1; }

A=127.0.7.1
PORT=25701
RT=127.0.7.2
RT_PORT=25702
FROM=sender@origin.test
RCPT=user@bench.test
LIMIT=900

# WORK, PIDS and a clean-up that stops only this script's live jobs.
. "$TOP/t/lib/common.sh"
. "$TOP/t/lib/ns_conf.sh"
dir=$WORK

# die MSG - report on stderr and fail
die() {
	echo "deliver bench: $*" >&2
	exit 1
}

# port_open ADDR PORT - true when something accepts connections there
port_open() {
	python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
	    "$1" "$2" 2>/dev/null
}

# wait_port ADDR PORT - until something listens there (10 s at most)
wait_port() {
	n=0
	until port_open "$1" "$2"; do
		n=$((n + 1))
		[ $n -lt 100 ] || die "nothing listens on $1:$2"
		sleep 0.1
	done
}

# gen_msg BYTES FILE - a message of exactly BYTES bytes, LF line ends
gen_msg() {
	python3 "$TOP/t/lib/gen_msg.py" "$1" "$2"
}

# sink_count - messages the sink has received so far
sink_count() {
	tr '\r' '\n' <"$dir/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' |
	    tail -n 1 | grep . || echo 0
}

# field LINE KEY - the value of KEY=... in a pipe_bench line
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# now_ns - the clock in nanoseconds
now_ns() {
	date +%s%N
}

# run_pb NAME COUNT PAR WANT CMD... - pipe_bench COUNT runs of CMD, PAR at
# once; WANT=1: the sink must have received every message. Appends
# "NAME|COUNT|PAR|line" to $dir/rows.
run_pb() {
	name=$1 count=$2 par=$3 want=$4
	shift 4
	before=$(sink_count)
	line=$(env ${PRELOAD:+LD_PRELOAD=$PRELOAD} timeout $LIMIT "$PB" -n "$count" -P "$par" -i "$dir/msg" \
	    -- "$@" 2>>"$dir/errors") || die "$name: $line $(tail -n 3 "$dir/errors")"
	sleep 0.2
	got=$(($(sink_count) - before))
	if [ "$want" = 1 ] && [ "$got" -ne "$count" ]; then
		die "$name: the sink got $got of $count messages ($line; $(tail -n 3 "$dir/errors"))"
	fi
	echo "$name|$count|$par|$line" >>"$dir/rows"
	echo "deliver bench: $name x$count P$par: $line" >&2
}

# run_source COUNT PAR - smtp-source COUNT messages, PAR sessions at once
run_source() {
	before=$(sink_count)
	t0=$(now_ns)
	timeout $LIMIT "$SOURCE" -s "$2" -m "$1" -l 4096 -M bench.test \
	    -f "$FROM" -t "$RCPT" "$A:$PORT" >/dev/null 2>>"$dir/errors" ||
		die "smtp-source failed: $(tail -n 3 "$dir/errors")"
	t1=$(now_ns)
	sleep 0.2
	got=$(($(sink_count) - before))
	[ "$got" -eq "$1" ] || die "smtp-source: the sink got $got of $1"
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	rate=$(awk -v n="$1" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
	echo "smtp-source|$1|$2|n=$1 parallel=$2 seconds=$secs per_s=$rate median_ms=- p90_ms=- failed=0" >>"$dir/rows"
	echo "deliver bench: smtp-source x$1 P$2: $secs s" >&2
}

# rate NAME PAR - messages/s of that row
rate() {
	field "$(median_row "$1" "$2")" per_s
}

# middle - the middle line of sorted standard input (the lower of two)
middle() {
	awk '{ r[NR] = $0 } END { if (NR) print r[int((NR + 1) / 2)] }'
}

# median_row NAME PAR - the pipe_bench line of the round whose rate is
# the median of that row's rounds (the lower middle for an even count)
median_row() {
	grep "^$1|[0-9]*|$2|" "$dir/rows" | cut -d'|' -f4 |
	    while IFS= read -r l; do echo "$(field "$l" per_s) $l"; done |
	    sort -n | middle |
	    cut -d' ' -f2-
}

# --- set-up -------------------------------------------------------------
mkdir "$dir/state"
gen_msg 4096 "$dir/msg"
printf 'bench.test %s:%s\nrt.test %s:%s\n' $A $PORT $RT $RT_PORT \
    >"$dir/overrides"
cat >"$dir/smtpdirect.conf" <<EOF
# No DNS query may leave the machine: the map routes every test domain.
dns_servers = 127.0.7.99:25799
dns_overrides = $dir/overrides
state_dir = $dir/state
helo_name = bench.test
max_concurrent = $((P > 10 ? P : 10))
EOF
# The same without connections kept between processes.
{ cat "$dir/smtpdirect.conf"; echo "session_cache_time = 0"; } \
    >"$dir/smtpdirect-noreuse.conf"
# The same without delivery workers: every process delivers by itself.
{ cat "$dir/smtpdirect.conf"; echo "worker_idle_time = 0"; } \
    >"$dir/smtpdirect-noworker.conf"
# The same with a state_dir of its own, for the LINK=static build: its
# own keeper and workers (which the core that starts them runs) serve
# it, not those of the default build.
mkdir "$dir/state-static"
{ cat "$dir/smtpdirect.conf"; echo "state_dir = $dir/state-static"; } \
    >"$dir/smtpdirect-static.conf"
: >"$dir/msmtprc"
chmod 600 "$dir/msmtprc"
cc -shared -fPIC -O2 -D_GNU_SOURCE -o "$dir/nodelay.so" \
    "$TOP/t/bench/nodelay.c" || die "cannot build nodelay.so"
: >"$dir/rows"
: >"$dir/errors"
PRELOAD=""

# Another server on the port would share it (smtp-sink sets SO_REUSEPORT)
# and take some of the messages: refuse to start.
if port_open $A $PORT; then
	die "something already listens on $A:$PORT"
fi
# smtp-sink refuses to run as root; -c keeps a running count on stdout.
"$SINK" -u nobody -c "$A:$PORT" 256 >"$dir/sink.out" 2>"$dir/sink.err" &
PIDS="$PIDS $!"
wait_port $A $PORT

# The MX-routed variant: nsd serves mx.test (MX 10 mail.mx.test, A
# 127.0.7.1) and smtpdirect resolves it through its own cache.
NSD_A=127.0.7.3
NSD_PORT=25703
mx=""
if command -v nsd >/dev/null 2>&1; then
	mkdir "$dir/nsd" "$dir/state-mx"
	cat >"$dir/nsd/test.zone" <<ZONE
\$ORIGIN test.
\$TTL 3600
@		IN SOA ns.test. hostmaster.test. 1 3600 600 86400 3600
@		IN NS ns.test.
ns		IN A $NSD_A
mx		IN MX 10 mail.mx.test.
mail.mx		IN A $A
ZONE
	ns_nsd_conf "$dir/nsd" "$NSD_A" "$NSD_PORT" test="$dir/nsd/test.zone"
	nsd -c "$dir/nsd/nsd.conf" -d >"$dir/nsd/out" 2>&1 &
	PIDS="$PIDS $!"
	cat >"$dir/smtpdirect-mx.conf" <<EOF
# MX routes: no override map, DNS from nsd, cached in state_dir.
dns_servers = $NSD_A:$NSD_PORT
dns_overrides =
state_dir = $dir/state-mx
helo_name = bench.test
mx_port = $PORT
max_concurrent = $((P > 10 ? P : 10))
EOF
	n=0
	until "$SD" resolve -c "$dir/smtpdirect-mx.conf" mx.test \
	    >"$dir/resolve.out" 2>&1; do
		n=$((n + 1))
		[ $n -lt 100 ] || die "nsd does not answer: $(cat "$dir/resolve.out")"
		sleep 0.1
	done
	mx=1
fi

sd_deliver="$SD deliver -c $dir/smtpdirect.conf -f $FROM"
sd_static="$SD_STATIC deliver -c $dir/smtpdirect-static.conf -f $FROM"
sd_noreuse="$SD deliver -c $dir/smtpdirect-noreuse.conf -f $FROM"
sd_noworker="$SD_CORE deliver -c $dir/smtpdirect-noworker.conf -f $FROM"
sd_mx="$SD deliver -c $dir/smtpdirect-mx.conf -f $FROM"
mkdir "$dir/glibc"
cp "$SD_GLIBC_FRONT" "$dir/glibc/smtpdirect"
ln -s "$SD_CORE" "$dir/glibc/smtpdirect-core"
sd_glibc="$dir/glibc/smtpdirect deliver -c $dir/smtpdirect.conf -f $FROM"
msmtp_cmd="msmtp -C $dir/msmtprc --host=$A --port=$PORT --domain=bench.test -f $FROM"

# Warm up page cache and state files, then the measured runs.
run_pb warm 20 1 1 $sd_deliver -q W%n -- $RCPT
run_pb warm 20 1 1 $sd_static -q WS%n -- $RCPT
run_pb warm 20 1 1 $msmtp_cmd $RCPT
[ -z "$mx" ] || run_pb warm 20 1 1 $sd_mx -q W%n -- user@mx.test
# Rounds: every client in turn, so that a change in the machine's load
# shifts them alike; each row of the table is the median round. Stock
# msmtp (slow by design) runs in the first round only.
for round in $(seq 1 "$ROUNDS"); do
	for par in 1 "$P"; do
		run_pb smtpdirect "$N" "$par" 1 $sd_deliver -q "R${round}P${par}Q%n" -- $RCPT
		run_pb smtpdirect-static "$N" "$par" 1 $sd_static -q "R${round}P${par}S%n" -- $RCPT
		run_pb smtpdirect-noreuse "$N" "$par" 1 $sd_noreuse -q "R${round}P${par}N%n" -- $RCPT
		run_pb smtpdirect-noworker "$N" "$par" 1 $sd_noworker -q "R${round}P${par}O%n" -- $RCPT
		[ -z "$mx" ] ||
			run_pb smtpdirect-mx "$N" "$par" 1 $sd_mx -q "R${round}P${par}M%n" -- user@mx.test
		PRELOAD="$dir/nodelay.so"
		run_pb msmtp-nodelay "$N" "$par" 1 $msmtp_cmd $RCPT
		PRELOAD=""
		if [ "$round" = 1 ]; then
			[ "$par" = 1 ] && ns=$NSTOCK || ns=$N
			run_pb msmtp "$ns" "$par" 1 $msmtp_cmd $RCPT
		fi
		run_pb cat "$N" "$par" 0 cat
		run_source "$N" "$par"
	done
done

# --- round trips --------------------------------------------------------
python3 "$TOP/t/lib/smtpserver.py" --listen $RT:$RT_PORT --dir "$dir/rt" \
    --pidfile "$dir/rt.pid" --lifetime 600 >"$dir/rt.out" 2>&1 &
rt_pid=$!
PIDS="$PIDS $rt_pid"
n=0
until [ -s "$dir/rt.pid" ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || die "smtpserver.py did not start: $(cat "$dir/rt.out")"
	sleep 0.1
done

# trips CONN - "round trips to the end-of-data reply|in all|transcript"
# of connection CONN in commands.log: each write of replies (a "flush"
# line) after the greeting is one round trip of the client.
trips() {
	awk -v c="$1" '
	$2 != c { next }
	$3 == "in" { cmds = cmds (cmds == "" ? "" : "+") toupper($4); next }
	$3 == "flush" {
		f++
		lab = cmds
		if (f == 1 && lab == "")
			lab = "greeting"
		if (indata) {
			lab = "end of data" (lab == "" ? "" : "+" lab)
			indata = 0
			e++
			done = 1
		} else if (f > 1 && !done)
			e++
		if (lab ~ /DATA$/)
			indata = 1
		t = t (t == "" ? "" : ", ") lab
		cmds = ""
	}
	END { printf "%d|%d|%s\n", e, f - 1, t }' "$dir/rt/commands.log"
}
timeout 60 $sd_noreuse -q RT1 -- user@rt.test <"$dir/msg" ||
	die "smtpdirect to smtpserver.py failed"
LD_PRELOAD="$dir/nodelay.so" timeout 60 msmtp -C "$dir/msmtprc" \
    --host=$RT --port=$RT_PORT --domain=bench.test -f $FROM user@rt.test \
    <"$dir/msg" || die "msmtp to smtpserver.py failed"
n=0
until [ "$(grep -c ' close$' "$dir/rt/commands.log")" -ge 2 ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || die "smtpserver.py did not log both sessions"
	sleep 0.1
done
rt_sd=$(trips 1)
rt_ms=$(trips 2)
# Stop it now, by its PID while it is surely alive: its PID must not be
# recorded past the server's own lifetime, lest cleanup kill a stranger.
kill "$rt_pid"
n=0
while kill -0 "$rt_pid" 2>/dev/null && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
! kill -0 "$rt_pid" 2>/dev/null || kill -9 "$rt_pid"
PIDS=$(echo "$PIDS" | sed "s/ $rt_pid\$//")

# --- one big message ----------------------------------------------------
gen_msg $((BIG_MB * 1048576)) "$dir/big"
# big NAME CMD... - "NAME|peak RSS KiB|wall s" of CMD with the big message
big() {
	name=$1
	shift
	timeout $LIMIT "$TIME" -f '%M %e' -o "$dir/time.out" "$@" \
	    <"$dir/big" >/dev/null 2>>"$dir/errors" ||
		die "$name with $BIG_MB MB failed: $(tail -n 3 "$dir/errors")"
	echo "$name|$(cut -d' ' -f1 "$dir/time.out")|$(cut -d' ' -f2 "$dir/time.out")" \
	    >>"$dir/big.rows"
}
: >"$dir/big.rows"
big smtpdirect $sd_deliver -q BIG1 -- $RCPT
big msmtp $msmtp_cmd $RCPT
big smtp-source "$SOURCE" -m 1 -l $((BIG_MB * 1048576)) -M bench.test \
    -f "$FROM" -t "$RCPT" "$A:$PORT"
big cat cat
rm -f "$dir/big"

# --- start-up profile ---------------------------------------------------
: >"$dir/prof.rows"
# prof LABEL CMD... - queue a row: NPROF sequential runs of CMD, in
# three rounds interleaved with the other rows (so that a change in the
# load of the machine shifts every row alike); see prof_run.
prof() {
	echo "$1" >>"$dir/prof.labels"
	shift
	echo "$*" >>"$dir/prof.cmds"
}
# prof_run - run the queued rows; "LABEL|median|p90" per row, each the
# median over the rounds
prof_run() {
	per=$(((NPROF + 2) / 3))
	for round in 1 2 3; do
		i=0
		while IFS= read -r cmd; do
			i=$((i + 1))
			# shellcheck disable=SC2046,SC2086 # the command is split on purpose
			l=$(timeout $LIMIT "$PB" -n "$per" -i "$dir/msg" -- \
			    $(echo "$cmd" | sed "s/%r/$round/") 2>>"$dir/errors") ||
				die "profile row $i: $l"
			echo "$i $(field "$l" median_ms) $(field "$l" p90_ms)" >>"$dir/prof.raw"
		done <"$dir/prof.cmds"
	done
	i=0
	while IFS= read -r label; do
		i=$((i + 1))
		med=$(awk -v i=$i '$1 == i { print $2 }' "$dir/prof.raw" | sort -n | middle)
		p90=$(awk -v i=$i '$1 == i { print $3 }' "$dir/prof.raw" | sort -n | middle)
		echo "$label|$med|$p90" >>"$dir/prof.rows"
	done <"$dir/prof.labels"
}
: >"$dir/prof.cmds"
: >"$dir/prof.labels"
: >"$dir/prof.raw"
prof cat cat
prof version-static "$SD_STATIC_CORE" --version
prof version "$SD_CORE" --version
prof route "$SD_CORE" route -c "$dir/smtpdirect.conf" $RCPT
prof noq $sd_noworker -- $RCPT
prof q $sd_noworker -q "PROF%r-%n" -- $RCPT
prof worker $sd_deliver -q "PROFW%r-%n" -- $RCPT
prof worker-glibc $sd_glibc -q "PROFG%r-%n" -- $RCPT
prof_run
strace_sum=""
if command -v strace >/dev/null 2>&1; then
	strace -c -o "$dir/strace.out" $sd_noworker -q ST1 -- $RCPT <"$dir/msg"
	strace_sum=$(awk '$NF == "total" { print $(NF - 2) }' "$dir/strace.out")
	strace_sync=$(awk '$NF ~ /^f(data)?sync$/ { n += $(NF - 1) }
	    END { print n + 0 }' "$dir/strace.out")
fi
perf_rows=""
if command -v perf >/dev/null 2>&1 &&
    perf record -q -e cpu-clock -F 10000 -o "$dir/perf.data" -- \
    "$PB" -n 100 -i "$dir/msg" -- $sd_noworker -q "PERF%n" -- $RCPT \
    >/dev/null 2>&1; then
	perf_rows=$(perf report -i "$dir/perf.data" --sort comm,dso --stdio \
	    2>/dev/null | awk '$2 == "smtpdirect-core" { s[$3] = $1 + 0; t += $1 }
	    END { for (d in s) if (s[d] >= 0.5 * t / 100)
		printf "| %s | %.1f%% |\n", d, 100 * s[d] / t }' | sort -t'|' -k3 -rn)
fi

# --- report -------------------------------------------------------------
pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'
}
verdict() {
	awk -v v="$1" -v g="$2" 'BEGIN { print (v + 0 >= g + 0) ? "met" : "not met" }'
}
sd_p=$(rate smtpdirect "$P")
nd_p=$(rate msmtp-nodelay "$P")
cat_p=$(rate cat "$P")
src_p=$(rate smtp-source "$P")
sd_1=$(rate smtpdirect 1)
nd_1=$(rate msmtp-nodelay 1)
cat_1=$(rate cat 1)
x_nd=$(ratio "$sd_p" "$nd_p")
x_cat=$(pct "$sd_p" "$cat_p")

echo "## Delivery: one process per message against smtp-sink"
echo
echo "\`t/bench/deliver.sh\` (issue #4). Postfix's \`smtp-sink\` listens on"
echo "$A:$PORT; each message is $(wc -c <"$dir/msg" | tr -d ' ') bytes with LF line ends, and"
echo "every client below is one process per message, started the way"
echo "Postfix's pipe(8) starts a command (fork and exec, no shell, the"
echo "message on standard input) by \`t/tools/pipe_bench\`, one at a time"
echo "and $P at once. smtpdirect's override map routes \`bench.test\` to"
echo "\`$A:$PORT\`; its state_dir is a new temporary directory and"
echo "max_concurrent is $((P > 10 ? P : 10)). The sink's own count is checked against every run."
echo "With the default \`session_cache_time = 2s\` each process hands its"
echo "connection to the sink on to the next one (a keeper process holds it"
echo "in between, see smtpdirect.conf(5)); the \`session_cache_time = 0\`"
echo "row (NOREUSE: CONF plus that line) connects, greets and QUITs for every"
echo "message, as the other clients do. With the default"
echo "\`worker_idle_time = 10s\` the process pipe_bench starts hands the"
echo "message to a resident delivery worker and exits with its status; the"
echo "\`worker_idle_time = 0\` row (NOWORKER: CONF plus that line) delivers in"
echo "the process itself, started as \`smtpdirect-core\` (the core program"
echo "the front \`smtpdirect\` runs when it cannot hand off; smtpdirect(8))."
echo "The LINK=static row runs the same code built with ldns, LMDB and"
echo "OpenSSL linked in (\`make LINK=static\`; the default links them shared,"
echo "both are position-independent), with STATIC: CONF plus a state_dir"
echo "of its own, so that its own keeper and workers serve it."
echo "The goals are judged on the default."
echo "msmtp with TCP_NODELAY is msmtp with \`t/bench/nodelay.c\` preloaded"
echo "(it sets TCP_NODELAY before each TCP connect()); stock msmtp runs"
echo "one at a time only $NSTOCK messages: with Nagle's algorithm on, its"
echo "pipelined commands wait for the sink's delayed ACK (about 40 ms a"
echo "message). \`smtp-source\` (one process, a session per message,"
echo "4096 bytes of body plus its own headers) is the ceiling of the sink"
echo "and the loopback; \`cat\` (the same process per message, stdout to"
echo "/dev/null) is the fork/exec floor. The table is run $ROUNDS times, every"
echo "client in turn in each round (stock msmtp in the first only); each"
echo "row is the round with the median messages/s."
if [ -n "$mx" ]; then
	echo "The MX row routes \`mx.test\` by DNS instead: MXCONF has no"
	echo "override map, \`dns_servers = $NSD_A:$NSD_PORT\` (nsd, MX 10"
	echo "mail.mx.test, A $A), \`mx_port = $PORT\`; the MX and A answers"
	echo "come from smtpdirect's cache after the warm-up."
fi
echo
echo '```'
echo "pipe_bench -n N -P 1|$P -i MSG -- smtpdirect deliver -c CONF -f $FROM -q ID%n -- $RCPT"
echo "pipe_bench -n N -P 1|$P -i MSG -- smtpdirect deliver -c NOREUSE -f $FROM -q ID%n -- $RCPT"
echo "pipe_bench -n N -P 1|$P -i MSG -- smtpdirect-core deliver -c NOWORKER -f $FROM -q ID%n -- $RCPT"
echo "pipe_bench -n N -P 1|$P -i MSG -- build/static/transport/smtpdirect deliver -c STATIC -f $FROM -q ID%n -- $RCPT"
[ -z "$mx" ] ||
	echo "pipe_bench -n N -P 1|$P -i MSG -- smtpdirect deliver -c MXCONF -f $FROM -q ID%n -- user@mx.test"
echo "LD_PRELOAD=nodelay.so pipe_bench -n N -P 1|$P -i MSG -- $msmtp_cmd $RCPT" |
    sed "s|$dir/msmtprc|EMPTY|"
echo "pipe_bench -n N -P 1|$P -i MSG -- $msmtp_cmd $RCPT" | sed "s|$dir/msmtprc|EMPTY|"
echo "pipe_bench -n N -P 1|$P -i MSG -- cat"
echo "smtp-source -s 1|$P -m N -l 4096 -M bench.test -f $FROM -t $RCPT $A:$PORT"
echo '```'
echo
echo "| client | messages | at once | seconds | messages/s | median ms | p90 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for par in 1 "$P"; do
	for name in smtpdirect smtpdirect-noworker smtpdirect-noreuse smtpdirect-static smtpdirect-mx msmtp-nodelay msmtp cat smtp-source; do
		l=$(median_row "$name" "$par")
		[ -n "$l" ] || continue
		case $name in
		smtpdirect) label='`smtpdirect deliver`' ;;
		smtpdirect-noworker) label='`smtpdirect-core deliver`, `worker_idle_time = 0`' ;;
		smtpdirect-noreuse) label='`smtpdirect deliver`, `session_cache_time = 0`' ;;
		smtpdirect-static) label='`smtpdirect deliver`, built with LINK=static' ;;
		smtpdirect-mx) label='`smtpdirect deliver`, MX from nsd (cached)' ;;
		msmtp-nodelay) label="msmtp $(msmtp --version | sed -n '1s/.*version //p'), TCP_NODELAY" ;;
		msmtp) label="msmtp, stock" ;;
		cat) label='`cat` (floor)' ;;
		smtp-source) label='`smtp-source` (ceiling)' ;;
		esac
		echo "| $label | $(field "$l" n) | $par | $(field "$l" seconds) |" \
		    "$(field "$l" per_s) | $(field "$l" median_ms) | $(field "$l" p90_ms) |"
	done
done
echo
echo "At $P at once smtpdirect delivers **$x_nd×** the messages/s of msmtp"
echo "with TCP_NODELAY (goal ≥ 2×: $(verdict "$x_nd" 2)) and **$x_cat%** of the"
echo "\`cat\` floor (goal ≥ 55%: $(verdict "$x_cat" 55)); it reaches"
echo "$(pct "$sd_p" "$src_p")% of smtp-source. One at a time: $(ratio "$sd_1" "$nd_1")× msmtp"
echo "with TCP_NODELAY, $(pct "$sd_1" "$cat_1")% of \`cat\`. The machine has $(nproc) cores; with"
echo "$P processes at once every client competes with the sink for them,"
echo "so these rates measure CPU per message more than latency."
echo
echo "### Round trips of one message (PIPELINING)"
echo
echo "\`t/lib/smtpserver.py\` answers only when no more input is waiting"
echo "(as Postfix's smtpd does) and logs each write of replies: one write"
echo "is one round trip of the client. One $(wc -c <"$dir/msg" | tr -d ' ')-byte message each:"
echo
echo '```'
echo "smtpdirect deliver -c NOREUSE -f $FROM -q RT1 -- user@rt.test <MSG"
echo "LD_PRELOAD=nodelay.so msmtp ... --host=$RT --port=$RT_PORT -f $FROM user@rt.test <MSG"
echo '```'
echo
echo "| client | round trips after the greeting, to the end-of-data reply | in all, with QUIT | replies written for |"
echo "|---|---:|---:|---|"
echo "| smtpdirect | $(echo "$rt_sd" | cut -d'|' -f1) | $(echo "$rt_sd" | cut -d'|' -f2) | $(echo "$rt_sd" | cut -d'|' -f3) |"
echo "| msmtp, TCP_NODELAY | $(echo "$rt_ms" | cut -d'|' -f1) | $(echo "$rt_ms" | cut -d'|' -f2) | $(echo "$rt_ms" | cut -d'|' -f3) |"
echo
echo "The minimum with PIPELINING is 3: EHLO, MAIL+RCPT+DATA, the message."
echo
echo "### One $BIG_MB MB message"
echo
echo "Peak RSS and wall time by \`/usr/bin/time -f '%M %e'\`, the message"
echo "($BIG_MB MiB, LF line ends) on standard input, to the same smtp-sink."
echo "smtp-source sends the same number of bytes of its own body."
echo
echo '```'
echo "time -f '%M %e' smtpdirect deliver -c CONF -f $FROM -q BIG1 -- $RCPT <BIG"
echo "time -f '%M %e' $msmtp_cmd $RCPT <BIG" | sed "s|$dir/msmtprc|EMPTY|"
echo "time -f '%M %e' smtp-source -m 1 -l $((BIG_MB * 1048576)) -M bench.test -f $FROM -t $RCPT $A:$PORT"
echo "time -f '%M %e' cat <BIG >/dev/null"
echo '```'
echo
echo "| program | peak RSS | wall s |"
echo "|---|---:|---:|"
while IFS='|' read -r name kib wall; do
	echo "| $name | $(awk -v k="$kib" 'BEGIN { printf "%.1f MiB", k / 1024 }') | $wall |"
done <"$dir/big.rows"
sd_kib=$(sed -n 's/^smtpdirect|\([0-9]*\)|.*/\1/p' "$dir/big.rows")
echo
echo "smtpdirect's peak RSS: $(awk -v k="$sd_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB (goal ≤ 8 MB:" \
    "$(awk -v k="$sd_kib" 'BEGIN { print (k * 1024 <= 8000000) ? "met" : "not met" }'))."
echo
echo "### Where one process spends its time"
echo
echo "Each row adds a step to the one above. $NPROF runs of each, one at a"
echo "time, in three rounds that take the rows in turn (\`pipe_bench -n"
echo "$(((NPROF + 2) / 3)) -i MSG -- COMMAND\`, the 4 KB message on standard input);"
echo "median and 90th percentile of each process's wall time (fork to"
echo "exit), the middle of the three rounds."
echo
echo "| command | median ms | p90 ms |"
echo "|---|---:|---:|"
while IFS='|' read -r label med p90; do
	case $label in
	cat) label='`cat` (fork/exec floor)' ;;
	version-static) label='`smtpdirect-core --version`, built with LINK=static (libssl, libcrypto, ldns, lmdb linked in)' ;;
	version) label='`smtpdirect-core --version`, the default build (+ loading them shared)' ;;
	route) label='`smtpdirect-core route -c CONF user@bench.test` (+ config, map, route)' ;;
	noq) label='`smtpdirect-core deliver` without -q, NOWORKER (+ spool, slot, SMTP session)' ;;
	q) label='`smtpdirect-core deliver -q ID` (+ retry state: one stat() of a marker; no store to open on a first attempt)' ;;
	worker) label='`smtpdirect deliver -q ID` handed to a delivery worker (the default: the front alone, linked from musl; NOWORKER above)' ;;
	worker-glibc) label='the same, the front linked statically from glibc (`make FRONT_LIBC=glibc`)' ;;
	esac
	echo "| $label | $med | $p90 |"
done <"$dir/prof.rows"
cat_ms=$(sed -n 's/^cat|\([^|]*\)|.*/\1/p' "$dir/prof.rows")
ver_ms=$(sed -n 's/^version|\([^|]*\)|.*/\1/p' "$dir/prof.rows")
vst_ms=$(sed -n 's/^version-static|\([^|]*\)|.*/\1/p' "$dir/prof.rows")
echo
echo "Loading and relocating the shared libraries (the two \`--version\` rows)"
echo "costs $(awk -v a="$ver_ms" -v b="$vst_ms" 'BEGIN { printf "%.2f", a - b }') ms of every start of \`smtpdirect-core\`; a whole \`cat\` run takes $cat_ms ms."
echo "A message handed to a worker does not start \`smtpdirect-core\`, and a"
echo "queue drain through Postfix did not move with it: hence the default"
echo "build links them shared, as a distribution package would, so that a"
echo "security update of them reaches the next process started (README,"
echo "\"Install\", has the drain's figures). Both builds are position-independent."
wk_ms=$(sed -n 's/^worker|\([^|]*\)|.*/\1/p' "$dir/prof.rows")
wg_ms=$(sed -n 's/^worker-glibc|\([^|]*\)|.*/\1/p' "$dir/prof.rows")
echo "The front linked from glibc (the last row) takes"
echo "$(awk -v a="$wg_ms" -v b="$wk_ms" 'BEGIN { printf "%.2f", a - b }') ms more than the default, linked from musl: at every start"
echo "glibc probes the CPU's features and caches (cpuid instructions, each"
echo "a trap to the hypervisor on a virtual machine), and its program file"
echo "is several times larger; musl does neither (Makefile, FRONT_LIBC)."
if [ -n "$strace_sum" ]; then
	echo
	echo "\`strace -c smtpdirect-core deliver -c NOWORKER -q ID ...\`: $strace_sum system calls for"
	echo "one message, $strace_sync of them fsync or fdatasync: a run that delivers"
	echo "every recipient writes no retry state (the MTA will not run the"
	echo "message again); one that defers a recipient commits the state to disk."
fi
if [ -n "$perf_rows" ]; then
	echo
	echo "\`perf record -e cpu-clock\` over 100 deliveries (NOWORKER: each"
	echo "process delivers by itself): where the CPU time of the smtpdirect"
	echo "processes went, by object (≥ 0.5%):"
	echo
	echo "| object | share of samples |"
	echo "|---|---:|"
	echo "$perf_rows"
fi
