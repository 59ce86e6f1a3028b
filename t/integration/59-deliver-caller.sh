#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 59-deliver-caller: never a cut message, never one sent twice. A
# `smtpdirect deliver` that its MTA kills (SIGKILL to its process group,
# as Postfix and Exim do at their time limit) while a delivery worker
# has its message: killed with half the message written, at the
# server's greeting, just before the end of data (of DATA, and the
# last piece of BDAT while the first awaits its reply) and after it. The
# server must never accept a cut message or one for a caller that is
# gone, and the MTA's retry with the same queue id delivers the message
# whole, once. Also: a message whose retries completed is not sent
# again by a later run with the same queue id (SPEC section 2).
# Loopback 127.0.11.1-9, ports 25100-25139; the BDAT server 127.0.26.6,
# ports 28080-28089.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/common.sh"
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 59-caller
trap 'keepers_stop "$W"; st_cleanup; rm -rf "$WORK"' EXIT
R=$W/runs
mkdir "$R"
A=127.0.11.1
: >"$W/map"
fx_conf "$W/conf" "worker_idle_time = 30s
session_cache_time = 0s"
fx_conf "$W/conf.off" "worker_idle_time = 0s
session_cache_time = 0s"
printf 'From: a@src.test\nSubject: caller\n\nbody\n' >"$W/msg"
fx_wire "$W/msg" "$W/msg.eml"

# accepted DIR: transactions the smtpserver.py of DIR accepted
accepted() {
	fx_msgs "$1" '^result: 2'
}

# --- a completed retry is remembered --------------------------------------
# Two recipients: the first run delivers one and defers the other, the
# second delivers the other; a third run of the same queue id and
# message (an MTA that crashed before it recorded the result) sends
# nothing. With workers and without.
# done_case TAG CONF PORT
done_case() {
	st_srv "$1-a" "$A:$3" --rcpt 'later*=451 4.3.0 <later>: try again'
	echo "$1.test $A:$3" >>"$W/map"
	FX_CONF=$2 fx_deliver "$R/$1-1" "$W/msg" -f a@src.test -q "QA$1" -- \
	    now@"$1".test later@"$1".test
	fx_check "$1 retry done: first run defers one" "$R/$1-1" 75 '4\.3\.0 .*'
	st_stop "$1-a"
	st_srv "$1-b" "$A:$3"
	FX_CONF=$2 fx_deliver "$R/$1-2" "$W/msg" -f a@src.test -q "QA$1" -- \
	    now@"$1".test later@"$1".test
	fx_check "$1 retry done: second run delivers the other" "$R/$1-2" 0
	FX_CONF=$2 fx_deliver "$R/$1-3" "$W/msg" -f a@src.test -q "QA$1" -- \
	    now@"$1".test later@"$1".test
	fx_check "$1 retry done: a third run" "$R/$1-3" 0
	st_eq "$1 retry done: each recipient got it once" \
	    "$(fx_msgs "$W/$1-a" '^rcpt: TO:<now@.* 250$'):$(fx_msgs "$W/$1-b" 'now@'):$(fx_msgs "$W/$1-b" '^rcpt: TO:<later@.* 250$')" \
	    1:0:1
	fx_log "$1 retry done: the third run says why" "$R/$1-3" \
	    "QA$1: to=<later@$1\\.test>, relay=none, .*status=sent \\(already delivered in an earlier attempt\\)"
	st_stop "$1-b"
}
done_case done "$W/conf" 25100
done_case doneoff "$W/conf.off" 25101

# --- a caller killed while a worker has its message --------------------------
# The MTA's view: it started `smtpdirect deliver` in a process group of
# its own, wrote (some of) the message into its pipe, then killed the
# group with SIGKILL and closed the pipe. Each case runs with the
# normal build and, when it is built, the ASan+UBSan one.
awk 'BEGIN {
	print "From: a@src.test"
	print "Subject: cut"
	print ""
	for (i = 0; i < 2000; i++) printf "line %04d of a message cut in half\n", i
	print "the last line" }' >"$W/long"
fx_wire "$W/long" "$W/long.eml"
mkfifo "$W/fifo"

# workers_of KEEPER: its delivery workers
workers_of() {
	for f in /proc/[0-9]*/stat; do
		read -r pid _ _ ppid _ 2>/dev/null <"$f" || continue
		[ "$ppid" = "$1" ] && echo "$pid"
	done
	return 0
}

# warm SD CONF STATE: deliver until the keeper of STATE runs a worker
warm() {
	n=0
	while [ $n -lt 20 ]; do
		n=$((n + 1))
		"$1" deliver -c "$2" -f a@src.test -q "WARM$n" -- \
		    u@warm.test <"$W/msg" 2>/dev/null || true
		k=$(keeper_pids "$3" | head -n 1)
		[ -n "$k" ] && [ -n "$(workers_of "$k")" ] && return 0
		sleep 0.2
	done
	st_not_ok "no delivery worker started for $3"
}

# wait_for WHAT CMD...: until CMD succeeds, 15 s at most
wait_for() {
	wf=$1
	shift
	n=0
	while ! "$@" && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	"$@" || st_not_ok "waited 15 s for $wf"
}

# reader_is_worker: a process other than the caller reads the fifo
reader_is_worker() {
	for f in /proc/[0-9]*/fd/0; do
		[ "$(readlink "$f" 2>/dev/null)" = "$W/fifo" ] || continue
		p=${f#/proc/}
		[ "${p%%/*}" != "$cpid" ] && return 0
	done
	return 1
}

# BDAT (RFC 3030): a message of two pieces, the last one held back
# while the server keeps the reply to the first.
awk 'BEGIN {
	print "From: a@src.test"
	print "Subject: pieces"
	print ""
	for (i = 0; i < 9000; i++) printf ".%04d a line of a message in two pieces\n", i
	print "the last line" }' >"$W/pieces"
fx_wire "$W/pieces" "$W/pieces.eml"

# has_line FILE ERE
has_line() {
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# caller_start SD CONF QID RCPT: deliver in a process group of its own,
# its input the fifo, now open for writing on descriptor 3
caller_start() {
	setsid "$1" deliver -c "$2" -f a@src.test -q "$3" -- "$4" \
	    <"$W/fifo" >/dev/null 2>&1 &
	cpid=$!
	exec 3>"$W/fifo"
}

# caller_kill: SIGKILL to its group, then the MTA closes the pipe
caller_kill() {
	kill -9 "-$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	exec 3>&-
}

# kill_cases TAG SD PORT: the four moments, then each retry
kill_cases() {
	tag=$1 sd=$2 port=$3
	st=$W/state-$tag log=$W/kill-$tag.log
	mkdir -p "$st"
	fx_conf "$W/conf-$tag" "worker_idle_time = 30s
session_cache_time = 0s
state_dir = $st
log_file = $log"
	conf=$W/conf-$tag
	st_srv "$tag-warm" "$A:$port"
	st_srv "$tag-cut" "$A:$((port + 1))"
	st_srv "$tag-greet" "$A:$((port + 2))" --delay greeting=3
	st_srv "$tag-data" "$A:$((port + 3))" --delay data=3
	st_srv "$tag-eod" "$A:$((port + 4))" --delay eod=3
	st_srv "$tag-bdat" "127.0.26.6:$((28080 + (port - 25110) / 10))" --chunking \
	    --delay bdat=3
	{
		echo "warm.test $A:$port"
		echo "cut-$tag.test $A:$((port + 1))"
		echo "greet-$tag.test $A:$((port + 2))"
		echo "data-$tag.test $A:$((port + 3))"
		echo "eod-$tag.test $A:$((port + 4))"
		echo "bdat-$tag.test 127.0.26.6:$((28080 + (port - 25110) / 10))"
	} >>"$W/map"
	warm "$sd" "$conf" "$st"

	# Half the message written, then the kill: the worker read to
	# the end of its input, but the caller is gone. Nothing is sent.
	caller_start "$sd" "$conf" "CUT$tag" "u@cut-$tag.test"
	head -n 1000 "$W/long" >&3
	wait_for "the worker to read the message" reader_is_worker
	caller_kill
	wait_for "the cut message's log line" has_line "$log" \
	    "CUT$tag: to=<u@cut-$tag.test>, .*status=deferred"
	st_eq "$tag killed mid-message: the server got no connection" \
	    "$(fx_conns "$W/$tag-cut")" 0
	st_grep "$tag killed mid-message: the log says why" \
	    "CUT$tag: to=<u@cut-$tag\\.test>, .*dsn=4\\.3\\.0, status=deferred \\(not sent: the delivery's caller was gone when its input ended" \
	    "$log"

	# The whole message written and the pipe closed, then the kill
	# while the server holds its greeting, its 354 to DATA, its reply
	# to the first BDAT piece: no end of data (no BDAT LAST) is sent,
	# and the server discards what it got.
	for stage in greet data bdat; do
		caller_start "$sd" "$conf" "${stage}$tag" \
		    "u@$stage-$tag.test"
		if [ $stage = bdat ]; then
			cat "$W/pieces" >&3
		else
			cat "$W/long" >&3
		fi
		exec 3>&-
		if [ $stage = greet ]; then
			wait_for "a connection" has_line \
			    "$W/$tag-$stage/commands.log" ' connect '
		elif [ $stage = bdat ]; then
			wait_for "BDAT" has_line \
			    "$W/$tag-$stage/commands.log" ' in BDAT 262144$'
		else
			wait_for "DATA" has_line \
			    "$W/$tag-$stage/commands.log" ' in DATA'
		fi
		kill -9 "-$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
		wait_for "the $stage case's log line" has_line "$log" \
		    "${stage}$tag: to=<u@$stage-$tag.test>, .*status=deferred"
		st_grep "$tag killed at $stage: deferred, the end of data not sent" \
		    "${stage}$tag: to=<u@$stage-$tag\\.test>, .*dsn=4\\.3\\.0, status=deferred \\(end of data not sent to .*: the delivery's caller is gone\\)" \
		    "$log"
	done

	# The kill after the end of data, while the server holds its 250:
	# the server accepts the message, and the worker records it for
	# the MTA's retry, which must not send it again.
	caller_start "$sd" "$conf" "EOD$tag" "u@eod-$tag.test"
	cat "$W/long" >&3
	exec 3>&-
	wait_for "the message" has_line "$W/$tag-eod/commands.log" ' in DATA'
	sleep 1
	kill -9 "-$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	wait_for "the eod case's log line" has_line "$log" \
	    "EOD$tag: to=<u@eod-$tag.test>, .*status=sent"
	wait_for "the worker's record" has_line "$log" \
	    "did not take its result"

	st_nogrep "$tag killed at bdat: no last piece sent" ' in BDAT .* LAST' \
	    "$W/$tag-bdat/commands.log"

	# The MTA's retries: each message whole, once.
	for c in cut greet data eod bdat; do
		case $c in
		cut | eod) q=$(echo "$c" | tr a-z A-Z)$tag ;;
		*) q=$c$tag ;;
		esac
		m=$W/long
		[ $c != bdat ] || m=$W/pieces
		rc=0
		timeout 60 "$sd" deliver -c "$conf" -f a@src.test -q "$q" \
		    -- "u@$c-$tag.test" <"$m" 2>"$W/err-$tag-$c" || rc=$?
		st_eq "$tag killed at $c: the retry exits 0" "$rc" 0
		st_eq "$tag killed at $c: the server accepted it once" \
		    "$(accepted "$W/$tag-$c")" 1
	done
	for c in cut greet data eod bdat; do
		m=$W/long.eml
		[ $c != bdat ] || m=$W/pieces.eml
		for f in "$W/$tag-$c"/msg-*.env; do
			grep -q '^result: 2' "$f" || continue
			st_cmp "$tag killed at $c: the message arrived whole" \
			    "${f%.env}.eml" "$m"
		done
	done
	st_grep "$tag killed after the end of data: the retry sends nothing" \
	    "EOD$tag: to=<u@eod-$tag\\.test>, relay=none, .*status=sent \\(already delivered in an earlier attempt\\)" \
	    "$log"
	keepers_stop "$st"
}

kill_cases n "$SD" 25110
if [ -x "${SMTPDIRECT_ASAN:-}" ]; then
	kill_cases a "$SMTPDIRECT_ASAN" 25120
fi

st_done
