#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 59-retry-damage: retry state that is damaged or cannot be written
# (issue 15). A two-recipient message is delivered to one recipient and
# deferred for the other; then retry.lmdb is damaged (meta pages, data
# pages, truncated, zeroed, emptied). The next runs must not send the
# delivered recipient again: the file is moved aside as
# retry.lmdb.damaged.SECONDS, an error line says so, and the message is
# deferred; a new message goes on a new store. Then a store that cannot
# be written (a read-only bind mount in a private mount namespace): no
# further transaction starts once a delivery could not be recorded.
# Servers: t/lib/smtpserver.py, through override routes with
# address-literal targets. Loopback 127.0.12.1-127.0.12.9, ports
# 25160-25199.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 59-damage
R=$W/runs # outputs of the runs
mkdir "$R"

A=127.0.12.1 # the servers of the damage cases, two ports each
printf 'From: a@src.test\nSubject: twice?\n\nbody\n' >"$W/msg"
printf 'From: a@src.test\nSubject: a new one\n\nbody\n' >"$W/msg-new"

# dmg_conf WAY: the config and map of one case, with its own state_dir
dmg_conf() {
	: >"$W/map-$1"
	chmod 600 "$W/map-$1"
	fx_conf "$W/conf-$1"
	sed -i -e "s|^state_dir = .*|state_dir = $W/state-$1|" \
	    -e "s|^dns_overrides = .*|dns_overrides = $W/map-$1|" \
	    "$W/conf-$1"
}

# dmg_file WAY FILE: damage FILE one way (junk is fixed text, not random)
dmg_file() {
	size=$(wc -c <"$2")
	case $1 in
	meta) yes 'smtpdirect damage' | head -c 8192 |
	    dd of="$2" bs=4096 conv=notrunc 2>/dev/null ;;
	data) yes 'smtpdirect damage' | head -c $((size - 8192)) |
	    dd of="$2" bs=4096 seek=2 conv=notrunc 2>/dev/null ;;
	truncated) truncate -s 8192 "$2" ;;
	zeroed) head -c "$size" /dev/zero |
	    dd of="$2" bs=4096 conv=notrunc 2>/dev/null ;;
	empty) : >"$2" ;;
	esac
}

# dmg_case WAY PORT [asan]: one damage case on ports PORT and PORT+1
dmg_case() {
	way=$1 p1=$2 p2=$(($2 + 1)) tag=$1${3:-}
	st=$W/state-$tag
	dmg_conf "$tag"
	st_srv "first-$tag" "$A:$p1" \
	    --rcpt 'soft*=451 4.3.0 <soft>: Try again later'
	echo "dmg.test $A:$p1" >"$W/map-$tag"
	FX_CONF=$W/conf-$tag fx_deliver "$R/$tag-1" "$W/msg" -f a@src.test \
	    -q "DMG$tag" -- good@dmg.test soft@dmg.test
	fx_check "$tag: first run delivers one, defers one" "$R/$tag-1" 75 \
	    '4\.3\.0 .*<soft>: Try again later.*'
	st_eq "$tag: first run: good@ got it" \
	    "$(fx_msgs "$W/first-$tag" '^rcpt: TO:<good@dmg.test> 250$')" 1
	st_stop "first-$tag"
	dmg_file "$way" "$st/retry.lmdb"
	# The server now takes every recipient: a duplicate would show.
	st_srv "next-$tag" "$A:$p2"
	echo "dmg.test $A:$p2" >"$W/map-$tag"
	[ -z "${3:-}" ] || { sd_was=$SD; SD=$SMTPDIRECT_ASAN; }
	FX_CONF=$W/conf-$tag fx_deliver "$R/$tag-2" "$W/msg" -f a@src.test \
	    -q "DMG$tag" -- good@dmg.test soft@dmg.test
	[ -z "${3:-}" ] || SD=$sd_was
	fx_check "$tag: the run after the damage defers" "$R/$tag-2" 75 \
	    "4\.3\.0 retry state: the records of this message were lost with a damaged $(fx_esc "$st")/retry\.lmdb .*"
	st_eq "$tag: good@ is not sent the message again" \
	    "$(fx_msgs "$W/next-$tag" 'good@')" 0
	st_eq "$tag: the damaged file is kept" \
	    "$(find "$st" -maxdepth 1 -name 'retry.lmdb.damaged.*' | wc -l)" 1
	fx_log "$tag: an error line names the file and the loss" "$R/$tag-2" \
	    "error: $(fx_esc "$st")/retry\.lmdb: damaged retry state moved aside to $(fx_esc "$st")/retry\.lmdb\.damaged\.[0-9]+; records of 1 message\(s\) lost"
	fx_log "$tag: the recipients are logged deferred" "$R/$tag-2" \
	    "DMG$tag: to=<good@dmg\.test>, relay=none, .*dsn=4\.3\.0, status=deferred \(retry state: the records"
	# A new message goes on the new store.
	FX_CONF=$W/conf-$tag fx_deliver "$R/$tag-3" "$W/msg-new" \
	    -f a@src.test -q "NEW$tag" -- good@dmg.test soft@dmg.test
	fx_check "$tag: a new message is delivered" "$R/$tag-3" 0
	# And the held message stays held in later runs.
	FX_CONF=$W/conf-$tag fx_deliver "$R/$tag-4" "$W/msg" -f a@src.test \
	    -q "DMG$tag" -- good@dmg.test soft@dmg.test
	fx_check "$tag: a later run defers it too" "$R/$tag-4" 75 \
	    '4\.3\.0 retry state: the records of this message were lost.*'
	st_eq "$tag: good@ got the held message once in all" \
	    "$(fx_msgs "$W/next-$tag" '^rcpt: TO:<good@dmg.test> 250$')" 1
	st_stop "next-$tag"
}

# --- a damaged store ----------------------------------------------------------
dmg_case meta 25160
dmg_case data 25162
dmg_case truncated 25164
dmg_case zeroed 25166
dmg_case empty 25168
if [ -x "${SMTPDIRECT_ASAN:-}" ]; then
	# The run that finds the damage, through the ASan+UBSan build.
	dmg_case data 25170 asan
else
	echo "# no ASan build: the ASan case is skipped"
fi

# --- a full disk: a delivery that cannot be recorded -----------------------
# state_dir is a tmpfs in the run's private mount namespace, a copy of a
# seeded state_dir, then filled up (blocks and inodes): the marker of a
# new message cannot be made, so its first delivery cannot be recorded.
# fx_run again, with DMG_SETUP run in the namespace first.
fx_run() {
	if [ "$fx_log_ok" = yes ]; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		timeout "${FX_TIMEOUT:-60}" unshare -m --propagation private \
		    sh -c "${DMG_SETUP:-:}"' && mount --bind "$0" /dev &&
		    exec "$@"' "$W/dev" "$SD" deliver "$@"
	else
		timeout "${FX_TIMEOUT:-60}" "$SD" deliver "$@"
	fi
}
B=127.0.12.2 # the servers of the full-disk cases
SEED=$W/seed FULL=$W/state-full
mkdir "$FULL"
full_conf() { # full_conf STATE_DIR: no keeper, no worker, one slot
	fx_conf "$W/conf-full" "worker_idle_time = 0
session_cache_time = 0
max_concurrent = 1
dns_cache_size = 0"
	sed -i -e "s|^state_dir = .*|state_dir = $1|" \
	    -e "s|^dns_overrides = .*|dns_overrides = $W/map-full|" \
	    "$W/conf-full"
}
: >"$W/map-full"
chmod 600 "$W/map-full"
st_srv full1 "$B:25180" --rcpt 'soft*=451 4.3.0 <soft>: Try again later'
st_srv full2 "$B:25181"
st_srv slow "$B:25182" --delay greeting=2
{
	echo "full.test $B:25180 \$priority:1"
	echo "full.test $B:25181 \$priority:2"
	echo "slow.test $B:25182"
	echo "seed.test $B:25180"
} >"$W/map-full"
# The seed: a deferred message makes the store, its marker and a slot.
full_conf "$SEED"
FX_CONF=$W/conf-full fx_deliver "$R/seed" "$W/msg" -f a@src.test -q SEED \
    -- soft@seed.test
full_conf "$FULL"
if [ "$fx_log_ok" = yes ] && [ -f "$SEED/retry.lmdb" ]; then
	DMG_SETUP="mount -t tmpfs -o size=512k,nr_inodes=400 tmpfs $FULL &&
	    cp -a $SEED/. $FULL/ &&
	    { head -c 1048576 /dev/zero >$FULL/fill 2>/dev/null || :; } &&
	    i=0 && while [ \$i -lt 1000 ] && touch $FULL/i\$i 2>/dev/null
	    do i=\$((i + 1)); done"
	# One destination, two hosts: good@ goes to the first, soft@ is
	# refused there and would go to the second in a second transaction.
	FX_CONF=$W/conf-full fx_deliver "$R/full" "$W/msg" -f a@src.test \
	    -q FULLQ -- good@full.test soft@full.test
	fx_check "full disk: deferred" "$R/full" 75 '4\.3\.0 .*'
	st_eq "full disk: good@ was delivered by the first host" \
	    "$(fx_msgs "$W/full1" '^rcpt: TO:<good@full.test> 250$')" 1
	st_eq "full disk: no second transaction (soft@ not sent)" \
	    "$(fx_msgs "$W/full2" .)" 0
	fx_log "full disk: the failed mark is an error" "$R/full" \
	    'error: FULLQ: cannot record delivery to <good@full\.test>: .*No space left on device'
	fx_log "full disk: soft@ deferred, naming the failed mark" "$R/full" \
	    'FULLQ: to=<soft@full\.test>, relay=none, .*dsn=4\.3\.0, status=deferred \(not sent: a delivery of this message could not be recorded'
	# Two destinations at once: the slow one greets after the mark of
	# the other failed, and gets no MAIL.
	FX_CONF=$W/conf-full fx_deliver "$R/full-two" "$W/msg" \
	    -f a@src.test -q FULLTWO -- good@full.test x@slow.test
	fx_check "full disk, two destinations: deferred" "$R/full-two" 75 \
	    '4\.3\.0 .*'
	st_eq "full disk, two destinations: good@ delivered once more" \
	    "$(fx_msgs "$W/full1" '^rcpt: TO:<good@full.test> 250$')" 2
	st_eq "full disk, two destinations: the slow one got no message" \
	    "$(fx_msgs "$W/slow" .)" 0
	fx_log "full disk, two destinations: x@ deferred" "$R/full-two" \
	    'FULLTWO: to=<x@slow\.test>, relay=none, .*dsn=4\.3\.0, status=deferred \(not sent: a delivery'
	DMG_SETUP=
else
	st_ok "full disk # skip: no mount namespace or no seeded store"
fi

st_done
