# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# mta.sh - shared helpers of the end-to-end MTA tests (60-postfix-pipe,
# 70-exim-pipe): smtp-sink servers that dump what they receive, an SMTP
# client for injecting mail, bounded waits, and a cleanup trap that stops
# everything the test started (by PID) before common.sh removes $WORK.
#
# Source it after `set -eu`; it sources common.sh (TOP, SD, WORK, PIDS,
# fail, skip, bg_start, wait_port). Then:
#   mta_at_exit CMD        run CMD (a function name) at exit, before cleanup
#   mta_on_fail CMD        run CMD when the test fails (show logs)
#   mta_install_sd         copy $SD to $WORK/bin/smtpdirect (SD_BIN) and
#                          make SDC=$WORK/sd with a state dir for "nobody"
#   sink_start NAME ADDR PORT [smtp-sink options]   start, wait for it
#   sink_stop NAME         stop it (kill by PID, bounded wait)
#   sink_count NAME TEXT   how many dumped messages contain TEXT
#   sink_wait NAME TEXT N [SECONDS]  until N dumped messages contain TEXT
#   sink_grep NAME TEXT    print the dumps that contain TEXT
#   mta_smtp_send ADDR PORT SENDER RCPT...  send stdin over SMTP
#   mta_unfold FILE        print FILE with folded lines joined
#   wait_until SECONDS CMD...  poll CMD every 0.2 s, fail after SECONDS
#   mta_milter_start BIN CONF SOCK LOG SECONDS  smtpdirect-milter as its
#                          systemd unit runs it, up within SECONDS: MPID
#
# MTA_KEEP=1 in the environment keeps $WORK (logs, queues, dumps) for a
# post-mortem; the servers are stopped all the same.
#
# Servers listen on the loopback addresses and ports the caller gives (the
# MTA tests own 127.0.6.0/24 and ports 25600-25699). smtp-sink drops root
# privileges to "nobody" (it refuses to run as root), so its dump
# directories are world-writable, inside the private $WORK.

# shellcheck source=t/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MTA_AT_EXIT=""
MTA_ON_FAIL=""
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
PYTHON3=${PYTHON3:-/usr/bin/python3}

# mta_cleanup - run the registered stoppers, then common.sh's cleanup.
mta_cleanup() {
	rc=$?
	set +e
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		for f in $MTA_ON_FAIL; do
			"$f" >&2
		done
	fi
	for f in $MTA_AT_EXIT; do
		"$f"
	done
	if [ -n "${MTA_KEEP:-}" ]; then
		echo "MTA_KEEP: keeping $WORK" >&2
		WORK=/nonexistent/smtpdirect-kept
	fi
	cleanup
	exit "$rc"
}
trap mta_cleanup EXIT
trap 'exit 143' INT TERM

# mta_at_exit FUNCTION - call FUNCTION (no arguments) when the test ends.
mta_at_exit() {
	MTA_AT_EXIT="$1 $MTA_AT_EXIT"
}

# mta_on_fail FUNCTION - call FUNCTION when the test fails, to show logs.
mta_on_fail() {
	MTA_ON_FAIL="$MTA_ON_FAIL $1"
}

# mta_install_sd - copy the smtpdirect under test ($SD and the core
# program beside it; for the harness self-test, t/lib/fake-deliver.sh
# alone) to $WORK/bin, where the unprivileged user the MTAs run it as can
# reach it whatever the mode of the directories above $TOP. Sets SD_BIN.
mta_install_sd() {
	[ -x "$SD" ] || fail "$SD is not built (make)"
	mkdir -p "$WORK/bin"
	if [ -x "$(dirname "$SD")/smtpdirect-core" ]; then
		install -m 755 "$(dirname "$SD")/smtpdirect-core" "$WORK/bin"
	fi
	install -m 755 "$SD" "$WORK/bin/smtpdirect"
	# shellcheck disable=SC2034 # used by the test scripts
	SD_BIN=$WORK/bin/smtpdirect
	chmod 711 "$WORK"
	# Configuration and state of the pipe user "nobody".
	SDC=$WORK/sd
	mkdir -p "$SDC/state"
	chown nobody:nogroup "$SDC/state"
	chmod 700 "$SDC/state"
}

# wait_until SECONDS CMD... - run CMD every 0.2 s until it succeeds;
# fail the test when SECONDS have passed.
wait_until() {
	local limit=$(($1 * 5)) n=0
	shift
	until "$@"; do
		n=$((n + 1))
		[ "$n" -le "$limit" ] || fail "waited in vain for: $*"
		sleep 0.2
	done
}

# mta_milter_start BIN CONF SOCK LOG SECONDS - start smtpdirect-milter
# BIN as its systemd unit does (root, then -u nobody, UMask 0011 so that
# Postfix may connect to unix:SOCK), its standard error appended to LOG;
# wait SECONDS at most for its socket. Its PID is MPID; it is stopped
# (TERM, then KILL after 15 s) at exit.
mta_milter_start() {
	MTA_MILTER_LOG=$4 MTA_MILTER_SOCK=$3
	(umask 0011 && exec "$1" -f -u nobody -c "$2" -p "unix:$3" 2>>"$4") &
	PIDS="$PIDS $!"
	MPID=$!
	mta_at_exit mta_milter_stop
	wait_until "$5" mta_milter_up
}

# mta_milter_up - the milter's socket is there (fail if it died)
mta_milter_up() {
	kill -0 "$MPID" 2>/dev/null ||
		fail "the milter died: $(cat "$MTA_MILTER_LOG")"
	[ -S "$MTA_MILTER_SOCK" ]
}

# mta_milter_stop - TERM, a bounded wait, then KILL
mta_milter_stop() {
	local n=0
	kill -0 "$MPID" 2>/dev/null || return 0
	kill -TERM "$MPID" 2>/dev/null || true
	while kill -0 "$MPID" 2>/dev/null && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$MPID" 2>/dev/null || true
}

# sink_start NAME ADDR PORT [OPTION...] - start smtp-sink on ADDR:PORT,
# dumping every transaction to a file of its own in $WORK/sink-NAME.
sink_start() {
	local name=$1 addr=$2 port=$3 dir=$WORK/sink-$1
	shift 3
	[ -x "$SMTP_SINK" ] || skip "$SMTP_SINK is not installed (postfix)"
	mkdir -p "$dir"
	chmod 1777 "$dir"
	bg_start "$SMTP_SINK" -u nobody -d "$dir/%Y%m%d%H%M%S." "$@" \
	    "$addr:$port" 64
	eval "SINK_PID_$name=\$LAST_PID"
	wait_port "$addr" "$port"
}

# sink_stop NAME - stop that sink and wait (bounded) until it is gone.
sink_stop() {
	local pid n=0
	eval "pid=\${SINK_PID_$1:-}"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	eval "SINK_PID_$1="
}

# sink_files NAME TEXT - the dump files of sink NAME containing TEXT.
sink_files() {
	local dir=$WORK/sink-$1
	[ -d "$dir" ] || return 0
	find "$dir" -type f -exec grep -lF -e "$2" {} + 2>/dev/null || true
}

# sink_count NAME TEXT - print how many dumped messages contain TEXT.
sink_count() {
	sink_files "$1" "$2" | wc -l | tr -d ' '
}

# sink_has NAME TEXT N - true when exactly N dumped messages contain TEXT.
sink_has() {
	[ "$(sink_count "$1" "$2")" -eq "$3" ]
}

# sink_wait NAME TEXT N [SECONDS] - wait until N messages contain TEXT.
sink_wait() {
	wait_until "${4:-30}" sink_has "$1" "$2" "$3"
}

# sink_grep NAME TEXT - print every dump of sink NAME that contains TEXT.
sink_grep() {
	local f
	for f in $(sink_files "$1" "$2"); do
		echo "=== $f"
		cat "$f"
	done
}

# mta_unfold FILE - print FILE with folded lines (bounce reports, long
# headers) joined, so that a quoted reply can be searched for as a whole.
mta_unfold() {
	sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[[:blank:]]\+/ /g' "$1"
}

# mta_smtp_send ADDR PORT SENDER RCPT... - send standard input as one
# message over SMTP (SENDER "" is the null sender); fail on any refusal.
mta_smtp_send() {
	timeout 60 "$PYTHON3" /dev/fd/3 "$@" 3<<'PYTHON' || fail "SMTP to $1:$2 failed"
import smtplib, sys
host, port, sender, rcpts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
body = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
with smtplib.SMTP(host, port, local_hostname="client.test", timeout=30) as s:
    refused = s.sendmail(sender, rcpts, body)
    if refused:
        sys.exit("refused: %r" % refused)
PYTHON
}

# mta_message TOKEN [FROM] [TO] - print a small test message whose
# Subject and body carry TOKEN, so the sinks can be searched for it.
mta_message() {
	printf 'From: %s\nTo: %s\nSubject: test %s\nMessage-ID: <%s@client.test>\n\nThis is message %s.\n.leading dot line\n' \
	    "${2:-sender@origin.test}" "${3:-rcpt@dest.test}" "$1" "$1" "$1"
}
