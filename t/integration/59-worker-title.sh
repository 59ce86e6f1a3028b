#!/bin/bash
# The keeper and the delivery workers live for many messages but are
# started from one: they must show their own argument vector in ps
# ("smtpdirect: keeper STATE_DIR", "smtpdirect: worker"), keep nothing
# of that message's environment (Exim's SENDER, MESSAGE_ID...) or
# arguments, and, like every process that may hold the override map's
# passwords, be not dumpable (PR_SET_DUMPABLE 0: their /proc/PID files
# are root's). A core delivering by itself is not dumpable either.
#
# Not dumpable shows as root owning /proc/PID of a process that runs as
# another user: run as root, the script runs smtpdirect as nobody.
set -eu
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

S=127.0.14.1 P=25740 S2=127.0.14.2 P2=25741
MARK=Zq7title # in the sender, queue id and recipients of the first message
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	AS=65534
	RUN="setpriv --reuid=$AS --regid=$AS --clear-groups --"
else
	AS=$(id -u)
	RUN=""
fi
chmod 711 "$WORK"
R=$WORK/run # everything smtpdirect writes, owned by the user it runs as
mkdir -p "$WORK/srv" "$WORK/srv2" "$R/state"
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S:$P" \
    --dir "$WORK/srv" --lifetime 120
wait_port "$S" "$P"
# The slow server greets after 4 s: the core is alive while we look.
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S2:$P2" \
    --dir "$WORK/srv2" --lifetime 120 --delay greeting=4
wait_port "$S2" "$P2"
cat >"$R/map" <<MAP
title.test $S:$P
slow.test $S2:$P2
secret.test user:Secr3t@$S:$P
MAP
chmod 600 "$R/map"
cat >"$R/conf" <<CONF
dns_overrides = $R/map
state_dir = $R/state
tls_policy = none
log_file = $R/log
session_cache_time = 30s
worker_idle_time = 30s
CONF
sed 's/^worker_idle_time = .*/worker_idle_time = 0/' "$R/conf" >"$R/conf0"
printf 'Subject: title\n\nbody\n' >"$R/m"
chown -R "$AS" "$R"

# run ID RCPT [CONF]: deliver as Exim's pipe transport would, with the
# arguments and environment of message ID (rc in $rc)
run() {
	set +e
	env SENDER="s-$MARK@src.test" MESSAGE_ID="$1-$MARK" \
	    RECIPIENT="$2" LOCAL_PART="${2%@*}" TZ=UTC \
	    $RUN timeout 30 "$SD" deliver -c "${3:-$R/conf}" \
	    -f "s-$MARK@src.test" -q "$1-$MARK" -- "$2" <"$R/m" 2>"$WORK/err"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "deliver $1: exit $rc: $(cat "$WORK/err")"
}
# workers KEEPER - the pids of its workers
workers() {
	for s in /proc/[0-9]*/stat; do
		read -r pid comm _ ppid _ 2>/dev/null <"$s" || continue
		[ "$comm" = "(smtpdirect-work)" ] && [ "$ppid" = "$1" ] &&
			echo "$pid"
	done
	return 0
}
# nodump PID WHAT - the process runs as $AS, its /proc files are root's
nodump() {
	grep -q "^Uid:	$AS	" "/proc/$1/status" ||
		fail "$2 $1 does not run as $AS"
	[ "$(stat -c %u "/proc/$1/status")" = 0 ] ||
		fail "$2 $1 is dumpable (PR_SET_DUMPABLE)"
}
# clean PID WHAT - nothing of the first message in its environment
clean() {
	[ "$AS" != "$(id -u)" ] || return 0 # unreadable: not dumpable
	tr '\0' '\n' <"/proc/$1/environ" >"$WORK/env"
	! grep -q "$MARK" "$WORK/env" ||
		fail "$2 $1 keeps the message's environment: $(grep "$MARK" "$WORK/env" | tr '\n' ' ')"
	! grep -v -E '^(PATH|TZ|TMPDIR|[AUL]SAN_OPTIONS|SMTPDIRECT_KEEPER)=' \
	    "$WORK/env" >/dev/null ||
		fail "$2 $1 environment has more: $(cut -d= -f1 "$WORK/env" | tr '\n' ' ')"
	grep -qx 'PATH=/usr/bin:/bin' "$WORK/env" ||
		fail "$2 $1 has no safe PATH: $(grep '^PATH=' "$WORK/env")"
	grep -qx 'TZ=UTC' "$WORK/env" || fail "$2 $1 lost TZ"
}
# argv PID TITLE WHAT - /proc/PID/cmdline is exactly TITLE
argv() {
	printf '%s\0' "$2" >"$WORK/want"
	cat "/proc/$1/cmdline" >"$WORK/got" # a /proc file has no size
	cmp -s "$WORK/want" "$WORK/got" ||
		fail "$3 $1 shows \"$(tr '\0' '|' <"$WORK/got")\", want \"$2|\""
}

# 1. The first message starts the keeper, the second a worker, the
# third is delivered by it.
run T1 "a-$MARK@title.test"
K=$(keeper_pids "$R/state" | head -n 1)
# An untitled keeper (before this change) by the lock it holds (as root).
[ -n "$K" ] || K=$(for f in /proc/[0-9]*/fd/*; do
	[ "$(readlink "$f" 2>/dev/null)" = "$R/state/scache.lock" ] &&
		p=${f#/proc/} && echo "${p%%/*}"
done | head -n 1)
[ -n "$K" ] || fail "no keeper after the first message"
run T2 "b-$MARK@title.test"
n=0
while [ -z "$(workers "$K")" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
W=$(workers "$K")
[ -n "$W" ] || fail "no worker of keeper $K"
run T3 "c-$MARK@title.test"
grep -q "smtpdirect\[$W\]: T3-$MARK: to=<c-$MARK@title.test>.*status=sent" \
    "$R/log" || fail "T3 not delivered by worker $W: $(cat "$R/log")"

# 2. What ps shows, what they keep, and that they are not dumpable.
argv "$K" "smtpdirect: keeper $R/state" keeper
argv "$W" "smtpdirect: worker" worker
clean "$K" keeper
clean "$W" worker
nodump "$K" keeper
nodump "$W" worker

# Started by hand under those titles, the core refuses to run.
CORE=$(dirname "$SD")/smtpdirect-core
for t in "smtpdirect: worker" "smtpdirect: keeper $R/state"; do
	set +e
	(exec -a "$t" "$CORE" 3<&- 4<&- </dev/null >/dev/null 2>"$WORK/err")
	rc=$?
	set -e
	[ "$rc" -eq 64 ] || fail "\"$t\" by hand: exit $rc"
done

# 3. A core delivering by itself (no workers) holds the map: looked at
# while the server delays its greeting.
# (wait_port connected once already: wait for one more connection.)
conns() {
	c=$(grep -c ' connect ' "$WORK/srv2/commands.log" 2>/dev/null) || :
	echo "${c:-0}"
}
n0=$(conns)
set +e
$RUN "$SD" deliver -c "$R/conf0" -f "s-$MARK@src.test" -q "C1-$MARK" \
    -- "d-$MARK@slow.test" <"$R/m" 2>"$WORK/err2" &
C=$!
set -e
n=0
while [ "$(conns)" -le "$n0" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(conns)" -gt "$n0" ] || fail "no connection to $S2"
nodump "$C" "core deliver"
wait "$C" || fail "C1: exit $?: $(cat "$WORK/err2")"
echo "59: keeper and worker titles, environment, not dumpable: ok"
