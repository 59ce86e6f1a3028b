# Shared helpers for integration tests; source it after `set -eu`.
# Provides: TOP, SD (the smtpdirect binary), WORK (private temp dir),
# fail, expect_exit, bg_start (records PIDs), wait_port, cleanup trap.

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SD=${SMTPDIRECT:-$TOP/transport/smtpdirect}
WORK=$(mktemp -d /tmp/smtpdirect-it.XXXXXX)
PIDS=""

cleanup() {
	# Only our own jobs: a PID that exited and was reaped may be reused
	# by an unrelated process (a long run wraps pid_max).
	# (jobs must run in this shell: in $(...) dash would list none.)
	jobs -p >"$WORK/.jobs" 2>/dev/null || :
	live=" $(tr '\n' ' ' <"$WORK/.jobs") "
	PIDS=$(for p in $PIDS; do
		case $live in *" $p "*) echo "$p" ;; esac
	done)
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
	keepers_stop "$WORK"
	rm -rf "$WORK"
}

# keeper_pids DIR: the PIDs of the connection keepers that deliver
# started for a state_dir at or under DIR, by their title
# ("smtpdirect: keeper STATE_DIR", readable whoever runs them): one grep
# over every /proc/PID/cmdline, not a process per process, so that a
# test between two messages stays well within the keeper's idle time.
keeper_pids() {
	re=$(printf '%s' "$1" | sed 's/[].[^$*\\+?(){}|]/\\&/g')
	grep -lzE "^smtpdirect: keeper $re(/.*)?\$" /proc/[0-9]*/cmdline \
	    2>/dev/null | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|' || :
}

# keepers_stop DIR: stop them by PID (a keeper would exit by itself
# once idle; its delivery workers exit with it). Twice: an MTA's last
# delivery may still start one as the MTA stops.
keepers_stop() {
	for pass in 1 2; do
		[ $pass = 1 ] || sleep 0.3
		for p in $(keeper_pids "$1"); do
			kill "$p" 2>/dev/null || true
		done
	done
}
trap cleanup EXIT INT TERM

# fail MSG: report and exit 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip MSG: report and exit 77 (a tool is absent).
skip() {
	echo "skipped: $*"
	exit 77
}

# expect_exit WANT CMD...: run CMD, check its exit status.
expect_exit() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	[ "$got" -eq "$want" ] || fail "exit $got, want $want: $*"
}

# bg_start CMD...: start CMD in the background and record its PID.
bg_start() {
	"$@" &
	PIDS="$PIDS $!"
	LAST_PID=$!
}

# wait_port ADDR PORT: wait up to 10 s for a TCP listener.
wait_port() {
	n=0
	while [ $n -lt 100 ]; do
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		n=$((n + 1))
	done
	fail "nothing listens on $1:$2"
}

# same FILE_GOT FILE_WANT: compare, showing the diff.
same() {
	diff -u "$2" "$1" || fail "output differs from $2"
}
