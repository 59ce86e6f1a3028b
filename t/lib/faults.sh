# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the fault-injection tests of `smtpdirect deliver` (sourced,
# POSIX sh, after t/lib/smtp_test.sh, whose st_srv/st_sink/st_stop and
# st_ok/st_grep/st_eq... checks they use).
#
#   fx_init NAME          skip without python3 or smtp-sink; work
#                         directory $W, servers stopped on exit,
#                         syslog capture into $W/maillog when possible
#   fx_conf FILE [LINES]  write a config naming $W/map and $W/state
#   fx_deliver OUT MSG ARGS...   run `deliver -c $W/conf ARGS` in the
#                         background-free way: stdout in OUT, stderr in
#                         OUT.err, exit status in OUT.rc, syslog lines
#                         of the run in OUT.log
#   fx_check NAME OUT RC LINE_ERE   exit status and the one stderr line
#   fx_log NAME OUT ERE   the run's syslog has a matching line
#   fx_msgs DIR ERE       messages (.env files) in an smtpserver.py
#                         directory whose envelope matches ERE
#   fx_conns DIR          connections an smtpserver.py accepted
#   fx_esc TEXT           TEXT with the ERE specials of paths and
#                         addresses ('.', '[', ']') escaped
#   fx_re_peer ADDR PORT  the ERE of "ADDR[ADDR]:PORT", as the log
#                         names a server
#
# Syslog: deliver logs only to syslog (/dev/log). Each run is started in
# a private mount namespace whose /dev is a directory of symbolic links
# to the real /dev (through /proc/PID/root of this shell) plus "log",
# our own datagram socket; nothing is mounted outside that namespace.
# Without unshare(1) or the privilege for it, log checks are skipped.

fx_log_ok=no
fx_seq=0

# fx_init NAME: skip (77) without python3 or smtp-sink; temp dir, trap,
# syslog sink
fx_init() {
	command -v python3 >/dev/null 2>&1 || {
		echo "skipped: python3 not installed"
		exit 77
	}
	[ -x /usr/sbin/smtp-sink ] || {
		echo "skipped: /usr/sbin/smtp-sink (package postfix) not installed"
		exit 77
	}
	W=$(mktemp -d "/tmp/smtpdirect-$1.XXXXXX")
	mkdir -p "$W/tmp" "$W/state"
	# shellcheck disable=SC2034 # used by st_srv of smtp_test.sh
	SMTPSERVER=$TOP/t/lib/smtpserver.py
	SD=${SMTPDIRECT:-$TOP/transport/smtpdirect}
	[ -x "$SD" ] || {
		echo "$SD is not built: run make" >&2
		exit 1
	}
	trap st_cleanup EXIT
	trap 'exit 1' INT TERM
	fx_syslog_start
}

# fx_syslog_start: the /dev of the namespaces and the syslog sink
fx_syslog_start() {
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "# no mount namespace: log lines are not checked"
		return 0
	fi
	mkdir "$W/dev"
	for f in /dev/* /dev/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		ln -s "/proc/$$/root$f" "$W/dev/${f#/dev/}"
	done
	ln -sf "$W/log.sock" "$W/dev/log"
	timeout 600 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[3], "w").close()
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")' \
	    "$W/log.sock" "$W/maillog" "$W/log.ready" 2>"$W/log.err" &
	st_pids="$st_pids $!"
	fx_n=0
	while [ ! -e "$W/log.ready" ] && [ $fx_n -lt 100 ]; do
		sleep 0.1
		fx_n=$((fx_n + 1))
	done
	[ -e "$W/log.ready" ] || {
		echo "syslog sink did not start: $(cat "$W/log.err")" >&2
		exit 1
	}
	fx_log_ok=yes
}

# fx_conf FILE [EXTRA_LINES]: a config with our map and state
fx_conf() {
	{
		echo "dns_overrides = $W/map"
		echo "state_dir = $W/state"
		echo "helo_name = client.test"
		echo "connect_timeout = 5s"
		echo "command_timeout = 30s"
		echo "data_timeout = 30s"
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$1"
}

# fx_mark TAG: write a line through the sink and wait (10 s) until it is
# in the file; datagrams are read in order, so every line sent before it
# is there too
fx_mark() {
	[ "$fx_log_ok" = yes ] || return 0
	logger -d -u "$W/log.sock" -t fx-mark "$1" 2>/dev/null || return 0
	fx_n=0
	while ! grep -q "fx-mark.*: $1\$" "$W/maillog" && [ $fx_n -lt 100 ]; do
		sleep 0.1
		fx_n=$((fx_n + 1))
	done
}

# fx_run ARGS...: deliver in its namespace (no redirections here)
fx_run() {
	if [ "$fx_log_ok" = yes ]; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		timeout "${FX_TIMEOUT:-60}" unshare -m --propagation private \
		    sh -c 'mount --bind "$0" /dev && exec "$@"' "$W/dev" \
		    "$SD" deliver "$@"
	else
		timeout "${FX_TIMEOUT:-60}" "$SD" deliver "$@"
	fi
}

# fx_deliver OUT MSG ARGS...: one run of deliver with config $W/conf
# (FX_CONF to change), its syslog lines in OUT.log
fx_deliver() {
	fx_out=$1 fx_msg=$2
	shift 2
	fx_seq=$((fx_seq + 1))
	fx_mark "begin-$fx_seq"
	fx_rc=0
	fx_run -c "${FX_CONF:-$W/conf}" "$@" <"$fx_msg" >"$fx_out" \
	    2>"$fx_out.err" || fx_rc=$?
	echo "$fx_rc" >"$fx_out.rc"
	fx_mark "end-$fx_seq"
	if [ "$fx_log_ok" = yes ]; then
		sed -n "/fx-mark.*: begin-$fx_seq\$/,/fx-mark.*: end-$fx_seq\$/p" \
		    "$W/maillog" | grep -v 'fx-mark' >"$fx_out.log" || true
	else
		: >"$fx_out.log"
	fi
}

# fx_check NAME OUT RC ERE: exit status RC, nothing on stdout, and
# standard error is one line matching ERE (empty when RC is 0)
fx_check() {
	fx_got=$(cat "$2.rc")
	fx_lines=$(wc -l <"$2.err" | tr -d ' ')
	if [ "$fx_got" != "$3" ]; then
		st_not_ok "$1: exit $fx_got, want $3"
		sed 's/^/#   /' "$2.err" "$2.log" | head -n 20
		return 0
	fi
	if [ -s "$2" ]; then
		st_not_ok "$1: something on standard output"
		sed 's/^/#   /' "$2" | head -n 5
		return 0
	fi
	if [ "$3" = 0 ]; then
		if [ ! -s "$2.err" ]; then
			st_ok "$1: exit 0"
		else
			st_not_ok "$1: exit 0 but stderr: $(cat "$2.err")"
		fi
		return 0
	fi
	if [ "$fx_lines" != 1 ]; then
		st_not_ok "$1: $fx_lines stderr lines, want 1"
		sed 's/^/#   /' "$2.err" | head -n 5
	elif grep -Eq -- "^(${4:-})\$" "$2.err"; then
		st_ok "$1: exit $3, $(cut -c1-60 "$2.err")"
	else
		st_not_ok "$1: exit $3, stderr /^$4\$/ does not match"
		sed 's/^/#   /' "$2.err"
	fi
}

# fx_log NAME OUT ERE: a syslog line of the run matches ERE
fx_log() {
	if [ "$fx_log_ok" != yes ]; then
		st_ok "$1 # skip: no syslog capture"
		return 0
	fi
	st_grep "$1" "$3" "$2.log"
}

# fx_msgs DIR ERE: number of transactions in DIR whose .env matches ERE
fx_msgs() {
	fx_k=0
	for fx_f in "$1"/msg-*.env; do
		[ -e "$fx_f" ] || continue
		if grep -Eq -- "$2" "$fx_f"; then
			fx_k=$((fx_k + 1))
		fi
	done
	echo "$fx_k"
}

# fx_conns DIR: connections accepted by the smtpserver.py of DIR
fx_conns() {
	if [ -f "$1/commands.log" ]; then
		grep -c ' connect ' "$1/commands.log" || true
	else
		echo 0
	fi
}

# fx_sink_msgs DIR RCPT: smtp-sink dumps in DIR with recipient RCPT
fx_sink_msgs() {
	grep -l -F "X-Rcpt-Args: <$2>" "$1"/m.* 2>/dev/null | wc -l |
	    tr -d ' '
}

# fx_wire FILE OUT: the wire form deliver sends (X-SMTPDirect-* fields
# of the header removed, CRLF line ends), as smtpserver.py's .eml
fx_wire() {
	awk '
	BEGIN { hdr = 1; skip = 0 }
	hdr && /^$/ { hdr = 0 }
	hdr && /^[ \t]/ { if (skip) next }
	hdr && /^[^ \t]/ { skip = (tolower($0) ~ /^x-smtpdirect-[^:]*:/) }
	hdr && skip { next }
	{ printf "%s\r\n", $0 }' "$1" >"$2"
}

# fx_esc TEXT: '.', '[' and ']' escaped for an ERE
fx_esc() {
	printf '%s' "$1" | sed 's/[].[]/\\&/g'
}

# fx_re_peer ADDR PORT: the ERE of "ADDR[ADDR]:PORT"
fx_re_peer() {
	fx_esc "$1[$1]:$2"
}
