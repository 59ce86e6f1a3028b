#!/bin/bash
# State never locks its owner out (SPEC section 6), and state_dir that
# other users can write is used with care:
# 1. In a state_dir owned by the transport user (here "nobody"), deliver
#    run once by root, with a queue id and without, with workers on and
#    off, creates nothing there: without -q it delivers (no slot, no
#    retry state, no keeper), with -q it defers (4.3.0 naming state_dir,
#    its owner and root). Then the user's own runs deliver, and nothing
#    in state_dir belongs to root.
# 2. State files another user made (root, by an older version): the
#    deferral names the file and its owner.
# 3. A group-writable state_dir: deliver logs a warning once per keeper
#    start; lint prints it. A world-writable one: no keeper, no workers
#    (no scache.sock), the core delivers, deliver and lint warn.
# 4. dns_overrides = /dev/zero or a FIFO is refused at once (deliver
#    4.3.5 naming the file; lint an error), a map over the cap too.
# 5. Case 1 again through the ASan binary when it is built.
# Needs root (to be root and another user), runuser and python3.
set -eu
# shellcheck source=t/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v runuser >/dev/null || skip "no runuser (util-linux)"
[ "$(id -u)" -eq 0 ] || skip "needs root (runs deliver as root and nobody)"
id nobody >/dev/null 2>&1 || skip "no user nobody"

U=nobody
S=127.0.13.1 P=25700
# The user must reach the programs, configuration and message.
chmod 711 "$WORK"
mkdir -p "$WORK/bin" "$WORK/srv"
install -m 755 "$SD" "$WORK/bin/smtpdirect"
install -m 755 "$(dirname "$SD")/smtpdirect-core" "$WORK/bin/smtpdirect-core"
BIN=$WORK/bin/smtpdirect
bg_start python3 "$TOP/t/lib/smtpserver.py" --listen "$S:$P" \
    --dir "$WORK/srv" --lifetime 300
wait_port "$S" "$P"
printf 'own.example %s:%s\n' "$S" "$P" >"$WORK/map"
printf 'Subject: owner\n\nbody\n' >"$WORK/m"
chmod 644 "$WORK/map" "$WORK/m"

# conf NAME STATE_DIR [LINE...] - $WORK/NAME.conf, readable by all
conf() {
	c=$WORK/$1.conf st=$2
	shift 2
	{
		echo "dns_overrides = $WORK/map"
		echo "state_dir = $st"
		echo "tls_policy = none"
		echo "log_file = $WORK/log"
		for l in "$@"; do echo "$l"; done
	} >"$c"
	chmod 644 "$c"
}
# statedir DIR OWNER MODE - a fresh state_dir
statedir() {
	mkdir "$1"
	chown "$2" "$1"
	chmod "$3" "$1"
}
# run WHO CONF ID RCPT [BIN] - deliver as WHO (root or $U), -q ID unless
# ID is "-"; leaves $rc and $WORK/err
run() {
	set +e
	if [ "$3" = - ]; then q=; else q="-q $3"; fi
	if [ "$1" = root ]; then
		# shellcheck disable=SC2086 # q is empty or two words
		timeout 30 "${5:-$BIN}" deliver -c "$WORK/$2.conf" \
		    -f s@src.example $q -- "$4" <"$WORK/m" 2>"$WORK/err"
	else
		# shellcheck disable=SC2086
		timeout 30 runuser -u "$1" -- "${5:-$BIN}" deliver \
		    -c "$WORK/$2.conf" -f s@src.example $q -- "$4" \
		    <"$WORK/m" 2>"$WORK/err"
	fi
	rc=$?
	set -e
}
# send ... - run, which must deliver
send() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "deliver $3 as $1: exit $rc: $(cat "$WORK/err")"
}
# messages - messages the server accepted
messages() {
	grep -l '^result: 250' "$WORK"/srv/msg-*.env 2>/dev/null | wc -l
}
# not_root DIR - nothing in DIR belongs to root
not_root() {
	bad=$(find "$1" -mindepth 1 -user root -printf '%M %u %P\n')
	[ -z "$bad" ] || fail "root left in $1: $bad"
}
# wait_keeper DIR - until the keeper of DIR listens (bounded; the
# socket, not keeper_pids: that reads every descriptor of the host)
wait_keeper() {
	n=0
	while [ ! -S "$1/scache.sock" ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -S "$1/scache.sock" ] ||
		fail "no keeper for $1: $(ls -l "$1"; tail -n 5 "$WORK/log")"
}
: >"$WORK/log"
chown "$U" "$WORK/log"

# 1. Root in the user's state_dir.
ST=$WORK/state
statedir "$ST" "$U" 700
conf plain "$ST"
conf work "$ST" "worker_idle_time = 10s" "session_cache_time = 10s"
before=$(messages)
for c in plain work; do
	send root $c - a@own.example
	not_root "$ST"
	run root $c R-$c b@own.example
	[ "$rc" -eq 75 ] || fail "root with -q in $U's state_dir: exit $rc"
	grep -q "^4\.3\.0 state_dir $ST belongs to $U, not to root" "$WORK/err" ||
		fail "root with -q: $(cat "$WORK/err")"
	not_root "$ST"
done
[ "$(messages)" -eq $((before + 2)) ] || fail "root's runs without -q lost mail"
[ -z "$(keeper_pids "$ST")" ] || fail "root started a keeper in $U's state_dir"
grep -q "warning: state_dir $ST belongs to $U, not to root" "$WORK/log" ||
	fail "no warning logged for root: $(cat "$WORK/log")"
echo "59: root created nothing in $U's state_dir: $(head -n 1 "$WORK/err")"
# The user's own runs: retry state, slots, keeper and workers all work.
before=$(messages)
send $U plain U1 c@own.example
send $U work U2 d@own.example
wait_keeper "$ST"
send $U work U3 e@own.example
send $U work U4 f@own.example
# Root again, the user's keeper running: no hand-off to it, nothing made.
send root work - f2@own.example
[ "$(messages)" -eq $((before + 5)) ] || fail "the runs did not deliver"
for f in retry.d slots scache.sock; do
	[ -e "$ST/$f" ] || fail "the user's state lacks $f: $(ls -l "$ST")"
done
not_root "$ST"
keepers_stop "$ST"
echo "59: then $U delivered 4 messages (root one more), nothing in $ST belongs to root"

# 2. Files that root left (an older version): named with their owner.
ST2=$WORK/state2
statedir "$ST2" "$U" 700
mkdir -m 700 "$ST2/retry.d" "$ST2/slots"
conf left "$ST2"
run $U left L1 g@own.example
[ "$rc" -eq 75 ] || fail "root's retry.d: exit $rc"
grep -q "^4\.3\.0 retry state: cannot use $ST2/retry.d: Permission denied (owned by root; running as $U)" \
    "$WORK/err" || fail "root's retry.d: $(cat "$WORK/err")"
echo "59: $(cat "$WORK/err")"
run $U left - h@own.example
[ "$rc" -eq 75 ] || fail "root's slots: exit $rc"
grep -q "^4\.3\.0 slot directory $ST2/slots: Permission denied (owned by root; running as $U)" \
    "$WORK/err" || fail "root's slots: $(cat "$WORK/err")"
echo "59: $(cat "$WORK/err")"

# 3. Group-writable: one warning per keeper start; lint says so too.
ST3=$WORK/state3
statedir "$ST3" root 770
conf group "$ST3" "worker_idle_time = 10s" "session_cache_time = 10s"
before=$(messages)
send root group G1 i@own.example
wait_keeper "$ST3"
send root group G2 j@own.example
send root group G3 k@own.example
[ "$(messages)" -eq $((before + 3)) ] || fail "group-writable: not delivered"
n=$(grep -c "warning: state_dir $ST3 is writable by its group" "$WORK/log" || true)
[ "$n" -eq 1 ] || fail "want 1 group warning for 1 keeper start, got $n"
"$BIN" lint -c "$WORK/group.conf" >"$WORK/lint" 2>&1 || true
grep -q "group.conf: warning: state_dir $ST3 is writable by its group (mode 0770)" \
    "$WORK/lint" || fail "lint: $(cat "$WORK/lint")"
keepers_stop "$ST3"
echo "59: group-writable: one warning per keeper start, lint warns"

# World-writable: no keeper, no workers; the core delivers and warns.
ST4=$WORK/state4
statedir "$ST4" root 777
conf world "$ST4" "worker_idle_time = 10s" "session_cache_time = 10s"
before=$(messages)
send root world W1 l@own.example
send root world W2 m@own.example
send root world - n@own.example
[ "$(messages)" -eq $((before + 3)) ] || fail "world-writable: not delivered"
sleep 0.3
for f in scache.sock scache.lock; do
	[ ! -e "$ST4/$f" ] || fail "$f in a world-writable state_dir"
done
[ -z "$(keeper_pids "$ST4")" ] || fail "a keeper in a world-writable state_dir"
grep -q "warning: state_dir $ST4 is writable by every user (mode 0777)" \
    "$WORK/log" || fail "no world-writable warning: $(cat "$WORK/log")"
"$BIN" lint -c "$WORK/world.conf" >"$WORK/lint" 2>&1 || true
grep -q "world.conf: warning: state_dir $ST4 is writable by every user" \
    "$WORK/lint" || fail "lint: $(cat "$WORK/lint")"
runuser -u $U -- "$BIN" lint -c "$WORK/plain.conf" >"$WORK/lint" 2>&1
grep -q "warning: state_dir" "$WORK/lint" && fail "lint warns the owner: $(cat "$WORK/lint")"
echo "59: world-writable: no keeper, delivered by the core, warned"

# 4. Maps that are not regular files, or too large.
mkfifo "$WORK/fifo"
truncate -s 65M "$WORK/big.map"
for m in /dev/zero "$WORK/fifo" "$WORK/big.map"; do
	ST5=$WORK/state5
	statedir "$ST5" root 700
	conf badmap "$ST5" "dns_overrides = $m"
	sed -i "1d" "$WORK/badmap.conf"
	set +e
	timeout 10 "$BIN" deliver -c "$WORK/badmap.conf" -f s@src.example \
	    -q B1 -- o@own.example <"$WORK/m" 2>"$WORK/err"
	rc=$?
	timeout 10 "$BIN" lint -c "$WORK/badmap.conf" >"$WORK/lint" 2>&1
	lrc=$?
	set -e
	[ "$rc" -eq 75 ] || fail "deliver with map $m: exit $rc"
	[ "$lrc" -eq 2 ] || fail "lint with map $m: exit $lrc: $(cat "$WORK/lint")"
	case $m in
	*big.map) want="larger than 67108864 bytes (64 MiB), the largest map" ;;
	*) want="not a regular file" ;;
	esac
	grep -q "^4\.3\.5 bad override map: $m: error: $want" "$WORK/err" ||
		fail "deliver with map $m: $(cat "$WORK/err")"
	grep -q "^$m: error: $want" "$WORK/lint" ||
		fail "lint with map $m: $(cat "$WORK/lint")"
	rm -rf "$ST5"
	echo "59: $(cat "$WORK/err")"
done

# 5. The root lock-out case through the ASan build.
if [ -x "${SMTPDIRECT_ASAN:-}" ] &&
	[ -x "$(dirname "$SMTPDIRECT_ASAN")/smtpdirect-core" ]; then
	mkdir -p "$WORK/asan"
	install -m 755 "$SMTPDIRECT_ASAN" "$WORK/asan/smtpdirect"
	install -m 755 "$(dirname "$SMTPDIRECT_ASAN")/smtpdirect-core" \
	    "$WORK/asan/smtpdirect-core"
	ST6=$WORK/state6
	statedir "$ST6" "$U" 700
	conf asan "$ST6" "worker_idle_time = 10s" "session_cache_time = 10s"
	before=$(messages)
	send root asan - p@own.example "$WORK/asan/smtpdirect"
	run root asan A1 q@own.example "$WORK/asan/smtpdirect"
	[ "$rc" -eq 75 ] || fail "asan: root with -q: exit $rc: $(cat "$WORK/err")"
	grep -q "^4\.3\.0 state_dir $ST6 belongs to $U" "$WORK/err" ||
		fail "asan: $(cat "$WORK/err")"
	not_root "$ST6"
	send $U asan A2 r@own.example "$WORK/asan/smtpdirect"
	[ "$(messages)" -eq $((before + 2)) ] || fail "asan: not delivered"
	not_root "$ST6"
	keepers_stop "$ST6"
	echo "59: asan: root created nothing, $U delivered"
else
	echo "59: no ASan build: case 5 not run"
fi
echo "59: ok"
