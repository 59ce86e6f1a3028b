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
esc() { printf '%s' "$1" | sed 's/[].[]/\\&/g'; }
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
	    "4\.3\.0 retry state: the records of this message were lost with a damaged $(esc "$st")/retry\.lmdb .*"
	st_eq "$tag: good@ is not sent the message again" \
	    "$(fx_msgs "$W/next-$tag" 'good@')" 0
	st_eq "$tag: the damaged file is kept" \
	    "$(find "$st" -maxdepth 1 -name 'retry.lmdb.damaged.*' | wc -l)" 1
	fx_log "$tag: an error line names the file and the loss" "$R/$tag-2" \
	    "error: $(esc "$st")/retry\.lmdb: damaged retry state moved aside to $(esc "$st")/retry\.lmdb\.damaged\.[0-9]+; records of 1 message\(s\) lost"
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

st_done
