# SPDX-License-Identifier: BSD-2-Clause
# Helpers for integration tests of the SMTP client (sourced, POSIX sh).
#
#   st_init NAME          work directory $W, trap that stops every server
#   st_srv NAME ADDR:PORT [smtpserver.py options]   start, wait until ready
#   st_sink NAME ADDR:PORT [smtp-sink options]      start, wait until ready
#   st_stop NAME          stop one server
#   st_send OUT MSG [smtp_send options and recipients]; rc in OUT.rc
#   st_ok / st_not_ok / st_rc / st_grep / st_nogrep / st_cmp   checks
#   st_done               exit 1 when a check failed
#
# Servers listen on loopback only; every wait is bounded. KEEP=1 keeps $W.

st_fail=0
st_pids=""

# st_init NAME: temp dir, tool paths, cleanup trap
st_init() {
	W=$(mktemp -d "/tmp/smtpdirect-$1.XXXXXX")
	mkdir -p "$W/tmp"
	SEND=$TOP/build/asan/t/tools/smtp_send
	[ -x "$SEND" ] || SEND=$TOP/build/normal/t/tools/smtp_send
	if [ ! -x "$SEND" ]; then
		echo "smtp_send is not built: run make build" >&2
		exit 1
	fi
	SMTPSERVER=$TOP/t/lib/smtpserver.py
	trap st_cleanup EXIT
	trap 'exit 1' INT TERM
}

# st_kill PID: TERM, wait at most 5 s, then KILL
st_kill() {
	kill "$1" 2>/dev/null || return 0
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$1" 2>/dev/null || true
}

# st_cleanup: stop every server started, remove the work directory
st_cleanup() {
	for p in $st_pids; do
		st_kill "$p"
	done
	[ -z "${KEEP:-}" ] || return 0
	case "${W:-}" in
	/tmp/smtpdirect-*) rm -rf "$W" ;;
	esac
}

# st_wait_port ADDR PORT: poll until something accepts, 10 s at most
st_wait_port() {
	timeout 15 python3 -c '
import socket, sys, time
for i in range(100):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$1" "$2"
}

# st_srv NAME ADDR:PORT OPTIONS...: start smtpserver.py into $W/NAME
st_srv() {
	name=$1 listen=$2
	shift 2
	mkdir -p "$W/$name"
	python3 "$SMTPSERVER" --listen "$listen" --dir "$W/$name" \
	    --pidfile "$W/$name.pid" --lifetime 300 "$@" \
	    >"$W/$name.out" 2>&1 &
	echo $! >"$W/$name.bgpid"
	st_pids="$st_pids $!"
	n=0
	while [ ! -s "$W/$name.pid" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ ! -s "$W/$name.pid" ]; then
		echo "smtpserver $name did not start:" >&2
		cat "$W/$name.out" >&2
		exit 1
	fi
}

# st_sink NAME ADDR:PORT OPTIONS...: start Postfix smtp-sink dumping to
# $W/NAME/
st_sink() {
	name=$1 listen=$2
	shift 2
	mkdir -p "$W/$name"
	/usr/sbin/smtp-sink -u "$(id -un)" -d "$W/$name/m." "$@" "$listen" \
	    100 >"$W/$name.out" 2>&1 &
	echo $! >"$W/$name.bgpid"
	st_pids="$st_pids $!"
	if ! st_wait_port "${listen%:*}" "${listen##*:}"; then
		echo "smtp-sink $name did not start:" >&2
		cat "$W/$name.out" >&2
		exit 1
	fi
}

# st_stop NAME: stop one server now
st_stop() {
	st_kill "$(cat "$W/$1.bgpid")"
}

# st_send OUT MSG ARGS...: run smtp_send with MSG on stdin
st_send() {
	out=$1 msg=$2
	shift 2
	rc=0
	timeout 60 "$SEND" -T "$W/tmp" "$@" <"$msg" >"$out" 2>"$out.err" ||
	    rc=$?
	echo "$rc" >"$out.rc"
}

st_ok() {
	echo "ok - $1"
}

st_not_ok() {
	echo "not ok - $1"
	st_fail=$((st_fail + 1))
}

# st_rc NAME OUT WANT: exit status of an st_send
st_rc() {
	got=$(cat "$2.rc")
	if [ "$got" = "$3" ]; then
		st_ok "$1"
	else
		st_not_ok "$1: exit $got, want $3"
		sed 's/^/#   /' "$2" "$2.err" | head -n 20
	fi
}

# st_grep NAME PATTERN FILE: extended regex must match
st_grep() {
	if grep -Eq -- "$2" "$3"; then
		st_ok "$1"
	else
		st_not_ok "$1: /$2/ not in $3"
		sed 's/^/#   /' "$3" | head -n 20
	fi
}

# st_nogrep NAME PATTERN FILE: extended regex must not match
st_nogrep() {
	if grep -Eq -- "$2" "$3"; then
		st_not_ok "$1: /$2/ found in $3"
		grep -E -- "$2" "$3" | sed 's/^/#   /' | head -n 5
	else
		st_ok "$1"
	fi
}

# st_cmp NAME GOT WANT: files identical
st_cmp() {
	if cmp -s "$2" "$3"; then
		st_ok "$1"
	else
		st_not_ok "$1: $2 differs from $3"
		cmp "$2" "$3" 2>&1 | sed 's/^/#   /' || true
	fi
}

# st_eq NAME GOT WANT: strings equal
st_eq() {
	if [ "$2" = "$3" ]; then
		st_ok "$1"
	else
		st_not_ok "$1: got '$2', want '$3'"
	fi
}

# st_done: summary and exit status
st_done() {
	if [ "$st_fail" -ne 0 ]; then
		echo "$st_fail check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

# st_now_ms: wall clock in milliseconds
st_now_ms() {
	date +%s%3N
}
