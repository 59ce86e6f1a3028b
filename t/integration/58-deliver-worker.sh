#!/bin/bash
# Delivery workers (worker_idle_time): the first deliver process starts
# the keeper and delivers by itself; the keeper starts a worker and the
# messages that follow are delivered there (the log lines carry the
# worker's pid) with the same exit status and final line as without
# one; a changed override map or configuration is reloaded (a worker
# started by hand refuses to run); a worker that dies idle costs
# nothing, one that dies in the middle of a delivery gives a deferral
# (exit 75), never a loss or a second copy; a deliver from another
# program file makes the keeper retire; smtpdirect without its
# smtpdirect-core defers; idle workers and the keeper exit.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

S=127.0.2.40 P=25240 S2=127.0.2.41 P2=25241
mkdir -p "$WORK/srv" "$WORK/srv2" "$WORK/state"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S:$P" \
    --dir "$WORK/srv" --lifetime 120 \
    --rcpt '*@gone.example=550 5.1.1 no such user here'
wait_port "$S" "$P"
# The slow server answers MAIL after 5 s: time to kill a busy worker.
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S2:$P2" \
    --dir "$WORK/srv2" --lifetime 120 --delay mail=5
wait_port "$S2" "$P2"
cat >"$WORK/map" <<MAP
work.example $S:$P
gone.example $S:$P
slow.example $S2:$P2
MAP
cat >"$WORK/conf" <<CONF
dns_overrides = $WORK/map
state_dir = $WORK/state
tls_policy = none
log_file = $WORK/log
session_cache_time = 1s
worker_idle_time = 2s
CONF
printf 'Subject: worker\n\nbody\n' >"$WORK/m"
# run ID RCPT [DELIVER]: deliver, leaving $rc and $WORK/err
run() {
	set +e
	timeout 30 "${3:-$SD}" deliver -c "$WORK/conf" -f s@src.example \
	    -q "$1" -- "$2" <"$WORK/m" 2>"$WORK/err"
	rc=$?
	set -e
}
send() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "deliver $1: exit $rc: $(cat "$WORK/err")"
	[ ! -s "$WORK/err" ] || fail "deliver $1 said: $(cat "$WORK/err")"
}
# keeper_pid - the keeper of $WORK/state, or nothing
keeper_pid() {
	keeper_pids "$WORK/state" | head -n 1
}
# wait_keeper - the keeper's pid once it runs (bounded): the deliver
# that starts it exits without waiting for it to take its title
wait_keeper() {
	n=0
	k=$(keeper_pid)
	while [ -z "$k" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
		k=$(keeper_pid)
	done
	echo "$k"
}
# workers KEEPER - the pids of its idle or busy workers
workers() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm _ ppid _ <"$s" 2>/dev/null || continue
		[ "$comm" = "(smtpdirect-work)" ] && [ "$ppid" = "$1" ] &&
			echo "$pid"
	done
	return 0
}
# wait_workers KEEPER N - until the keeper runs N workers (bounded)
wait_workers() {
	n=0
	while [ "$(workers "$1" | wc -l)" -ne "$2" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ "$(workers "$1" | wc -l)" -eq "$2" ] ||
		fail "want $2 workers of $1: $(workers "$1")"
}
# logged_by ID - the pid on the outcome line of message ID
logged_by() {
	sed -n "s/.*smtpdirect\[\([0-9]*\)\]: $1: to=.*/\1/p" "$WORK/log"
}
# messages DIR - messages the server in DIR accepted
messages() {
	grep -l '^result: 250' "$1"/msg-*.env 2>/dev/null | wc -l
}

# 1. No keeper yet: delivered here, and the keeper is started.
send W1 a@work.example
K=$(wait_keeper)
[ -n "$K" ] || fail "no keeper after the first message"
# 2. No worker idle: delivered here again; the keeper starts one.
send W2 b@work.example
wait_workers "$K" 1
W=$(workers "$K")
# 3. Then the worker delivers, as the caller would.
send W3 c@work.example
send W4 d@work.example
for id in W3 W4; do
	[ "$(logged_by $id)" = "$W" ] ||
		fail "$id not delivered by worker $W: $(cat "$WORK/log")"
done
[ "$(logged_by W1)" != "$W" ] || fail "W1 by the worker"
[ "$(messages "$WORK/srv")" -eq 4 ] || fail "want 4 messages at the server"
# The worker's answer is the caller's: exit 67 for a 5.1.1 rejection
# with the final line on the caller's standard error.
run G1 x@gone.example
[ "$rc" -eq 67 ] || fail "5.1.1 through the worker: exit $rc"
grep -q '^5\.1\.1 .*no such user here' "$WORK/err" ||
	fail "final line: $(cat "$WORK/err")"
[ "$(logged_by G1)" = "$W" ] || fail "G1 not delivered by the worker"
# The worker holds no slot and no descriptor of a caller once done.
for f in "$WORK"/state/slots/slot.*; do
	flock -n "$f" true || fail "the worker holds $f"
done
! ls -l "/proc/$W/fd" 2>/dev/null | grep -q "$WORK/m" ||
	fail "the worker kept the caller's standard input open"

# 4. A changed override map is reloaded by the worker.
printf 'new.example %s:%s\n' "$S" "$P" >>"$WORK/map"
send N1 e@new.example
[ "$(logged_by N1)" = "$W" ] || fail "N1 not delivered by the worker"
[ "$(messages "$WORK/srv")" -eq 5 ] || fail "N1 not received"

# A changed configuration file too: the new EHLO name is used at once.
echo "helo_name = changed.example" >>"$WORK/conf"
send C1 l@work.example
[ "$(logged_by C1)" = "$W" ] || fail "C1 not delivered by the worker"
grep -q ' in EHLO changed.example' "$WORK/srv/commands.log" ||
	fail "the worker kept the old configuration"
# Started by hand, a worker refuses to run.
set +e
"$SD" worker 3<&- </dev/null >/dev/null 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -eq 64 ] || fail "smtpdirect worker by hand: exit $rc"

# 5. A worker that dies while idle costs nothing.
kill -9 "$W"
send D1 f@work.example
wait_workers "$K" 1
W=$(workers "$K")
send D2 g@work.example
[ "$(logged_by D2)" = "$W" ] || fail "D2 not delivered by the new worker"

# 6. A worker killed in the middle of a delivery: the caller defers
# (75), and nothing reaches the server then.
run S1 h@slow.example &
sender=$!
n=0
while ! grep -q ' in MAIL' "$WORK/srv2/commands.log" 2>/dev/null &&
	[ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -9 "$W"
wait "$sender" || true
run S2 h@slow.example
[ "$rc" -eq 0 ] || fail "S2: exit $rc: $(cat "$WORK/err")"
[ "$(messages "$WORK/srv2")" -eq 1 ] ||
	fail "slow.example got two copies: $(grep slow "$WORK/log") $(cat "$WORK/srv2/commands.log")"
grep -q "S1: to=<h@slow.example>.*status=deferred (delivery worker .* ended without an answer)" \
    "$WORK/log" || fail "S1 not deferred: $(cat "$WORK/log")"

# 7. A deliver from another program file (an upgrade): the keeper
# retires, and that message is delivered by its own process.
mkdir "$WORK/sd2"
cp "$SD" "$(dirname "$SD")/smtpdirect-core" "$WORK/sd2"
send O1 i@work.example "$WORK/sd2/smtpdirect"
n=0
while kill -0 "$K" 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
! kill -0 "$K" 2>/dev/null || fail "the keeper did not retire"

# 8. smtpdirect started through a symbolic link elsewhere finds its core
# beside the file the link names; without smtpdirect-core beside it,
# deliver defers with the reason and other commands fail with 71
# (EX_OSERR).
mkdir "$WORK/link"
ln -s "$SD" "$WORK/link/smtpdirect"
send K1 m@work.example "$WORK/link/smtpdirect"
"$WORK/link/smtpdirect" lint -c "$WORK/conf" >/dev/null ||
	fail "lint through a symbolic link failed"

mkdir "$WORK/lone"
cp "$SD" "$WORK/lone"
run L1 l@work.example "$WORK/lone/smtpdirect"
[ "$rc" -eq 75 ] || fail "L1: exit $rc, want 75"
[ "$(cat "$WORK/err")" = "4.3.0 cannot run $WORK/lone/smtpdirect-core: No such file or directory" ] ||
	fail "L1 said: $(cat "$WORK/err")"
set +e
"$WORK/lone/smtpdirect" lint -c "$WORK/conf" 2>"$WORK/err"
rc=$?
set -e
[ "$rc" -eq 71 ] || fail "lint without the core: exit $rc, want 71"
grep -q "^smtpdirect: cannot run $WORK/lone/smtpdirect-core: " "$WORK/err" ||
	fail "lint without the core said: $(cat "$WORK/err")"

# 9. Idle workers and the keeper exit by themselves.
send I1 j@work.example
send I2 k@work.example
K=$(wait_keeper)
[ -n "$K" ] || fail "no keeper"
n=0
while [ -e "$WORK/state/scache.sock" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ ! -e "$WORK/state/scache.sock" ] || fail "the keeper did not exit"
[ -z "$(workers "$K")" ] || fail "workers left: $(workers "$K")"
[ "$(messages "$WORK/srv")" -eq 12 ] ||
	fail "want 12 messages at the server, got $(messages "$WORK/srv")"
echo "58: delivery workers: ok"
