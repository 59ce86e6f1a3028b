#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# smtpdirect-milter in Postfix's smtpd (issue 16): how fast a private
# Postfix (t/lib/postfix.sh, smtpd on 127.0.18.5:25890) takes mail from
# smtp-source (MILTER_SESSIONS 10 sessions, MILTER_N 2000 messages of
# 4 KB, one recipient each) with and without the milter, and the
# milter's memory (VmHWM) with the 1M-line map that t/bench/ovr.sh
# builds (ovr_bench -g), plus one rule that overrides every message of
# the bench, so that the milter adds both of its headers and Postfix's
# milter_header_checks turns one into FILTER each time. Everything is
# put on hold at receipt (nothing is delivered: only receipt is timed)
# and deleted after each round. MILTER_ROUNDS (3) rounds take the two in
# turn; each is reported by its median round. Prints a markdown section.
# Addresses 127.0.18.5, ports 25890; the milter's socket is a unix one.
#
#   MILTER_N=500 MILTER_ROUNDS=1 sh t/bench/milter.sh    (a quick try)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

N=${MILTER_N:-2000}
SESS=${MILTER_SESSIONS:-10}
ROUNDS=${MILTER_ROUNDS:-3}
MAPN=${MILTER_MAP_LINES:-1000000}
LIMIT=$((120 + N / 10))
PF_A=127.0.18.5
PF_P=25890
SOURCE=/usr/sbin/smtp-source
MILTER=${SMTPDIRECT_MILTER:-$TOP/milter/smtpdirect-milter}
OVR_BENCH=${OVR_BENCH:-$TOP/build/normal/t/tools/ovr_bench}

pf_require
for t in "$SOURCE" "$MILTER" "$OVR_BENCH" "$PYTHON3"; do
	[ -x "$t" ] || fail "$t is missing (make -j2 && make -j2 build)"
done

# The map: ovr_bench's 1M lines, then the rule that the bench's mail
# matches (4 KB messages: every one is overridden).
mkdir -p "$WORK/bin" "$WORK/sd" "$WORK/milter"
chmod 711 "$WORK"
install -m 755 "$MILTER" "$WORK/bin/smtpdirect-milter"
"$OVR_BENCH" -g "$MAPN" -o "$WORK/sd/overrides" >&2
# shellcheck disable=SC2016 # $size is the map's
echo 'bench.test  127.0.18.6:25891  $size>1K' >>"$WORK/sd/overrides"
MAP_MB=$(awk -v b="$(stat -c %s "$WORK/sd/overrides")" \
    'BEGIN { printf "%.1f", b / 1048576 }')
MAP_LINES=$(wc -l <"$WORK/sd/overrides")
printf 'dns_overrides = %s\nstate_dir = %s\n' "$WORK/sd/overrides" \
    "$WORK/sd" >"$WORK/sd/smtpdirect.conf"
chown -R nobody "$WORK/sd" "$WORK/milter"

MSOCK=$WORK/milter/milter.sock
MLOG=$WORK/milter.log
t0=$(date +%s%N)
: >"$MLOG"
mta_milter_start "$WORK/bin/smtpdirect-milter" "$WORK/sd/smtpdirect.conf" \
    "$MSOCK" "$MLOG" 120
t1=$(date +%s%N)
START_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
# vm KEY - the milter's VmRSS or VmHWM in MB
vm() {
	awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$MPID/status"
}
HWM_START=$(vm VmHWM)
RSS_START=$(vm VmRSS)

pf_init $PF_A $PF_P
# shellcheck disable=SC2016 # $1 is Postfix's
printf '%s\n' '/^X-SMTPDirect-Transport:\s*(\S+)/ FILTER $1' \
    >"$PF_CONF/smtpdirect_milter_header_checks"
HC_TYPE=pcre
"$PF_SBIN/postconf" -c "$PF_CONF" -m | grep -qx pcre || {
	HC_TYPE=regexp
	# shellcheck disable=SC2016 # $1 is Postfix's
	printf '%s\n' \
	    '/^X-SMTPDirect-Transport:[[:space:]]*([^[:space:]]+)/ FILTER $1' \
	    >"$PF_CONF/smtpdirect_milter_header_checks"
}
# The FILTER, and default_transport, name a transport that exists
# (nothing is delivered: all is held).
pf_pipe smtpdirect 10 "flags=q user=nobody" "argv=/bin/cat"
pf_conf "default_transport = smtpdirect" \
    "smtpd_recipient_restrictions = check_client_access static:HOLD" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_message_rate_limit = 0" \
    "milter_default_action = tempfail" \
    "milter_header_checks = $HC_TYPE:$PF_CONF/smtpdirect_milter_header_checks"
if (exec 3<>"/dev/tcp/$PF_A/$PF_P") 2>/dev/null; then
	fail "something already listens on $PF_A:$PF_P (a leftover Postfix master?)"
fi
pf_start >&2

# queue_files [QUEUE...] - how many files the instance's queues hold
queue_files() {
	local d total=0
	for d in ${1:-maildrop incoming active deferred hold}; do
		[ -d "$PF_DIR/spool/$d" ] || continue
		total=$((total + $(find "$PF_DIR/spool/$d" -type f | wc -l)))
	done
	echo "$total"
}
held_all() {
	[ "$(queue_files hold)" -ge "$N" ] &&
		[ "$(queue_files "maildrop incoming active")" -eq 0 ]
}
queue_empty() {
	[ "$(queue_files)" -eq 0 ]
}

# phase NAME MILTERS - smtpd_milters = MILTERS; time smtp-source sending
# N messages; append "NAME|seconds" to $WORK/rows.
phase() {
	local name=$1 a b
	pf_conf "smtpd_milters = $2"
	timeout 60 "$PF_SBIN/postfix" -c "$PF_CONF" reload >&2
	sleep 1
	a=$(date +%s%N)
	timeout "$LIMIT" "$SOURCE" -s "$SESS" -m "$N" -N -l 4096 -M client.test \
	    -f sender@origin.test -t user@bench.test "$PF_A:$PF_P" >&2 ||
		fail "$name: smtp-source into Postfix failed"
	b=$(date +%s%N)
	wait_until "$LIMIT" held_all
	[ "$(queue_files hold)" -eq "$N" ] ||
		fail "$name: $(queue_files hold) held, want $N"
	echo "$name|$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" \
	    >>"$WORK/rows"
	echo "milter bench: $(tail -n 1 "$WORK/rows")" >&2
	timeout 120 "$PF_SBIN/postsuper" -c "$PF_CONF" -d ALL >&2 2>/dev/null || true
	wait_until 60 queue_empty
}

: >"$WORK/rows"
for _ in $(seq 1 "$ROUNDS"); do
	phase without ""
	phase milter "unix:$MSOCK"
done
kill -0 "$MPID" 2>/dev/null || fail "the milter died: $(tail "$MLOG")"
HWM_END=$(vm VmHWM)
RSS_END=$(vm VmRSS)
SEEN=$(grep -c ': size=.*overridden=1' "$MLOG" || true)
[ "$SEEN" -ge $((N * ROUNDS)) ] ||
	echo "milter bench: the milter logged $SEEN overridden messages, want $((N * ROUNDS))" >&2
FILTERED=$(grep -c 'milter-header-filter: header X-SMTPDirect-Transport' "$PF_LOG" || true)
grep "milter" "$PF_LOG" | grep -v "milter-header-filter" | grep -i "warning\|tempfail\|reject\|4\.7\.1" >"$WORK/milter-trouble" || true
tempfail=$(grep -c . "$WORK/milter-trouble" || true)
[ "$tempfail" -eq 0 ] || { echo "milter bench: Postfix logged about the milter:"; head -n 20 "$WORK/milter-trouble"; } >&2

median() {
	grep "^$1|" "$WORK/rows" | cut -d'|' -f2 | sort -n |
	    awk '{ r[NR] = $0 } END { if (NR) print r[int((NR + 1) / 2)] }'
}
all_secs() {
	grep "^$1|" "$WORK/rows" | cut -d'|' -f2 | paste -sd, - | sed 's/,/, /g'
}
rate() {
	awk -v n="$N" -v s="$1" 'BEGIN { printf "%.0f", n / s }'
}
round_pcts() {
	paste -d' ' <(grep '^milter|' "$WORK/rows" | cut -d'|' -f2) \
	    <(grep '^without|' "$WORK/rows" | cut -d'|' -f2) |
	    awk '{ printf "%.0f\n", 100 * $2 / $1 }'
}
w=$(median without)
m=$(median milter)
pcts=$(round_pcts | sed 's/$/%/' | paste -sd, - | sed 's/,/, /g')
pct_med=$(round_pcts | sort -n | awk '{ r[NR] = $0 } END { print r[int((NR + 1) / 2)] }')

echo "## Milter: mail received by Postfix with and without smtpdirect-milter"
echo
echo "\`sh t/bench/milter.sh\` (issue 16). A private Postfix $("$PF_SBIN/postconf" -c "$PF_CONF" -h mail_version)"
echo "(t/lib/postfix.sh, smtpd on $PF_A:$PF_P) receives $N messages from"
echo "\`smtp-source -s $SESS -m $N -N -l 4096\` ($SESS sessions, 4096 bytes"
echo "of body, a distinct recipient each); the clock runs while"
echo "smtp-source runs. Every message is put on hold at receipt"
echo "(\`check_client_access static:HOLD\`), so only receipt is timed,"
echo "and deleted after the round. The two set-ups differ in"
echo "\`smtpd_milters\` only (empty, or \`unix:SOCKET\` of one"
echo "\`smtpdirect-milter -f -u nobody\`), with \`milter_default_action ="
echo "tempfail\` and \`milter_header_checks = $HC_TYPE:\` with"
echo "\`/^X-SMTPDirect-Transport:\\s*(\\S+)/ FILTER \$1\` in both. The"
echo "milter's map is the $MAPN-line map of \`ovr_bench -g $MAPN\` plus"
echo "\`bench.test 127.0.18.6:25891 \$size>1K\` ($MAP_LINES lines, $MAP_MB MB),"
echo "so every message is overridden: the milter removes nothing, adds a"
echo "route and a transport header, and Postfix applies FILTER"
echo "($FILTERED FILTER lines logged; the milter logged $SEEN messages"
echo "overridden; Postfix logged $tempfail warnings or tempfails about the milter)."
echo "$ROUNDS rounds take the two"
echo "in turn (all rounds, in seconds: without $(all_secs without); with"
echo "the milter $(all_secs milter)); each row is the median round."
echo
echo "| smtpd_milters | seconds | messages/s | share of the rate without |"
echo "|---|---:|---:|---:|"
echo "| (none) | $w | $(rate "$w") | 100% |"
echo "| smtpdirect-milter | $m | $(rate "$m") | $(awk -v a="$w" -v b="$m" 'BEGIN { printf "%.0f", 100 * a / b }')% |"
echo
echo "Round by round, with the milter Postfix took mail at $pcts of its"
echo "rate without it in the same round: median **$pct_med%** (goal ≥ 85%:"
echo "$(awk -v p="$pct_med" 'BEGIN { print (p >= 85) ? "met" : "not met" }'))."
echo
echo "The milter's memory, from /proc/PID/status, with the $MAP_LINES-line map:"
echo
echo "| when | VmRSS MB | VmHWM MB |"
echo "|---|---:|---:|"
echo "| socket up, map loaded ($START_S s after start) | $RSS_START | $HWM_START |"
echo "| after the $((N * ROUNDS)) messages | $RSS_END | $HWM_END |"
