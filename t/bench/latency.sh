#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Latency-bound TLS drain (issue 17): LAT_N (10000) held messages to
# LAT_DOMAINS (500) domains, recipients spread as Zipf's law (s = 1: the
# first domain gets 1/H of the mail, the k-th 1/(k*H)), each domain's MX
# on an address of its own behind t/bench/delayproxy.c, which adds
# LAT_DELAY_MS (25) ms each way, in front of a private Postfix smtpd
# offering STARTTLS with a test CA's certificate. A second private Postfix
# (t/lib/postfix.sh) holds the queue; it is released and drained, in turn,
# through the smtpdirect pipe(8) transport (resident workers on, as by
# default), Postfix's smtp(8) with smtp_tls_security_level = may and its
# default connection cache, smtp(8) once more with
# smtp_tls_connection_reuse = yes (tlsproxy), and a pipe(8) running `cat`,
# all with the same maxproc. The proxy counts the SMTP sessions and the
# TLS handshakes of each drain. Prints a markdown section. Addresses
# 127.0.20.0/24 and 127.0.21.0/24, ports 27100-27199. Needs root, Postfix
# and a C compiler.
#
#   LAT_N=1000 sh t/bench/latency.sh        (a quick try)
# LAT_MAXPROC (10) is the maxproc of the four transports and smtpdirect's
# max_concurrent; LAT_ROUNDS (1) rounds take the transports in turn, each
# reported by its median round. LAT_KEEP=DIR copies the logs of both
# instances and of the proxy there at exit. LAT_ONLY (all) names the
# transports to run, of "smtpdirect native reuse cat"; LAT_SD_CONF adds
# lines to smtpdirect's configuration ("worker_idle_time = 0").
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"
# shellcheck source=t/lib/tls_test.sh
. "$TOP/t/lib/tls_test.sh"

N=${LAT_N:-10000}
DOMAINS=${LAT_DOMAINS:-500}
MAXPROC=${LAT_MAXPROC:-10}
ROUNDS=${LAT_ROUNDS:-1}
DELAY=${LAT_DELAY_MS:-25}
LIMIT=$((300 + N / 5))
S_ADDR=127.0.21.252 # the Postfix that holds and drains the queue
S_PORT=27100
R_ADDR=127.0.21.251 # the receiving Postfix, behind the proxy
R_PORT=27101
MX_PORT=27125       # the proxy, on one address per domain
PROXY_SRC=127.0.21.253
SOURCE=/usr/sbin/smtp-source

# lat_keep - copy the logs to $LAT_KEEP (after the servers stopped)
lat_keep() {
	[ -n "${LAT_KEEP:-}" ] || return 0
	mkdir -p "$LAT_KEEP"
	cp "$WORK/postfix/maillog" "$LAT_KEEP/sender.log" 2>/dev/null || :
	cp "$WORK/rcv/postfix/maillog" "$LAT_KEEP/receiver.log" 2>/dev/null || :
	cp "$WORK/proxy.err" "$WORK/rows" "$WORK/workload" "$LAT_KEEP" \
	    2>/dev/null || :
}
mta_at_exit lat_keep
echo "latency bench: working in $WORK" >&2

pf_require
for t in "$SMTP_SINK" "$SOURCE" "$PF_SBIN/postmap" openssl cc; do
	command -v "$t" >/dev/null 2>&1 || fail "$t is missing"
done
[ "$DOMAINS" -ge 1 ] && [ "$DOMAINS" -le 500 ] ||
	fail "LAT_DOMAINS must be 1-500 (one proxy address each)"
[ "$N" -ge "$DOMAINS" ] || fail "LAT_N must be at least LAT_DOMAINS"

# mx_addr K - the proxy address of domain K (1-500)
mx_addr() {
	if [ "$1" -le 250 ]; then
		echo "127.0.20.$1"
	else
		echo "127.0.21.$(($1 - 250))"
	fi
}
# dom K - the name of domain K
dom() {
	printf 'd%03d.latency.test' "$1"
}

# The workload: "K COUNT" per domain. Zipf's law, s = 1, at least one
# message a domain; the first domain takes up the rounding.
awk -v n="$N" -v d="$DOMAINS" 'BEGIN {
	for (i = 1; i <= d; i++)
		h += 1 / i
	for (i = 1; i <= d; i++) {
		c[i] = int(n / (i * h))
		if (c[i] < 1)
			c[i] = 1
		t += c[i]
	}
	c[1] += n - t
	for (i = 1; i <= d; i++)
		print i, c[i]
}' >"$WORK/workload"
[ "$(awk '{ t += $2 } END { print t }' "$WORK/workload")" -eq "$N" ] ||
	fail "the workload does not add up to $N"

# The delay proxy, built as t/bench/nodelay.c is: by the script.
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$WORK/delayproxy" \
    "$TOP/t/bench/delayproxy.c" || fail "cannot build delayproxy"

# A test CA and the receiver's certificate (t/lib/tls_test.sh).
P=$WORK/pki
tls_make_certs "$P" >/dev/null

# Nothing may already listen where the bench will.
for ap in "$S_ADDR:$S_PORT" "$R_ADDR:$R_PORT" "$(mx_addr 1):$MX_PORT"; do
	if (exec 3<>"/dev/tcp/${ap%:*}/${ap#*:}") 2>/dev/null; then
		fail "something already listens on $ap (a leftover of a run?)"
	fi
done

# lat_kill PID - stop a Postfix master by PID should pf_stop not have
# (its pid file gone with $WORK); on SIGTERM it stops its children too.
lat_kill() {
	local n=0
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	echo "latency bench: stopping postfix master $1 by PID" >&2
	kill "$1" 2>/dev/null || true
	while kill -0 "$1" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	! kill -0 "$1" 2>/dev/null || kill -9 "$1"
}

# The receiver: a second private instance under $WORK/rcv. The pf_*
# functions work on PF_*; rcv CMD... runs CMD with the receiver's.
R_DIR="" R_CONF="" R_LOG="" R_PID=""
rcv() {
	# shellcheck disable=SC2034 # read by the pf_* functions
	local PF_ADDR=$R_ADDR PF_PORT=$R_PORT PF_DIR=$R_DIR PF_CONF=$R_CONF \
	    PF_LOG=$R_LOG PF_PID=$R_PID
	"$@"
}
lat_rcv_init() {
	chmod 711 "$WORK" # the mail_owner walks down to the queue
	local WORK=$WORK/rcv
	mkdir -p "$WORK"
	pf_init "$R_ADDR" "$R_PORT"
	R_DIR=$PF_DIR R_CONF=$PF_CONF R_LOG=$PF_LOG
}
lat_rcv_start() {
	pf_start
	R_PID=$PF_PID
}
lat_rcv_stop() {
	rcv pf_stop
	lat_kill "$R_PID"
}
lat_rcv_init
rcv pf_conf "default_transport = discard:latency bench" \
    "smtpd_recipient_restrictions = check_client_access static:DISCARD" \
    "smtpd_tls_security_level = may" "smtpd_tls_loglevel = 1" \
    "smtpd_tls_chain_files = $P/good.key, $P/good.chain" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_connection_rate_limit = 0" \
    "myhostname = mx.latency.test" \
    "in_flow_delay = 0"
# in_flow_delay: discarded mail never reaches the queue manager, which
# hands out the tokens that let cleanup accept more without waiting; with
# the default 1 s every session waited a second once some 100 were in.
printf 'tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n' \
    >>"$R_CONF/master.cf"
mta_at_exit lat_rcv_stop
rcv lat_rcv_start >&2

# The proxy: one address per domain, all to the receiver.
for k in $(seq 1 "$DOMAINS"); do
	echo "$(mx_addr "$k"):$MX_PORT"
done >"$WORK/listen"
bg_start "$WORK/delayproxy" -d "$DELAY" -b "$PROXY_SRC" \
    -t "$R_ADDR:$R_PORT" -s "$WORK/proxy.stats" -f "$WORK/listen" \
    2>"$WORK/proxy.err"
wait_port "$(mx_addr "$DOMAINS")" "$MX_PORT"

# proxy_stat KEY - the proxy's count: conns, tls, open, overflow
proxy_stat() {
	sed -n "s/.*\\<$1=\\([0-9]*\\).*/\\1/p" "$WORK/proxy.stats" 2>/dev/null |
	    grep . || echo 0
}

# smtpdirect: routed by its override map, no DNS (as t/bench/drain.sh).
mta_install_sd
for k in $(seq 1 "$DOMAINS"); do
	echo "$(dom "$k") $(mx_addr "$k"):$MX_PORT"
done >"$SDC/overrides"
cat >"$SDC/smtpdirect.conf" <<EOF
# No DNS query may leave the machine: the map routes the test domains.
dns_servers = 127.0.21.254:27199
dns_overrides = $SDC/overrides
state_dir = $SDC/state
helo_name = smtpdirect.test
max_concurrent = $MAXPROC
tls_policy = may
tls_ca_file = $P/ca.crt
${LAT_SD_CONF:-}
EOF
chmod 755 "$SDC" "$P"
chmod 644 "$SDC/overrides" "$SDC/smtpdirect.conf" "$P/ca.crt"

# The sender: the queue, and the four transports with the same maxproc.
pf_init "$S_ADDR" "$S_PORT"
pf_use_examples "$SD_BIN" "$SDC/smtpdirect.conf" nobody
sed -E -i "s/^(smtpdirect([[:space:]]+[^[:space:]]+){5}[[:space:]]+)[0-9]+/\1$MAXPROC/" \
    "$PF_CONF/master.cf"
pf_pipe catpipe "$MAXPROC" "flags=q user=nobody" "argv=/bin/cat"
{
	printf 'nsmtp     unix  -       -       n       -       %-7s smtp\n' \
	    "$MAXPROC"
	printf 'nsmtpr    unix  -       -       n       -       %-7s smtp\n' \
	    "$MAXPROC"
	printf '  -o smtp_tls_connection_reuse=yes\n'
	printf 'tlsproxy  unix  -       -       n       -       0       tlsproxy\n'
	printf 'tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n'
} >>"$PF_CONF/master.cf"
# Postfix's smtp(8) reaches each domain's MX host through the transport
# map (the nexthop only: the transport stays default_transport).
for k in $(seq 1 "$DOMAINS"); do
	echo "$(dom "$k") :[$(mx_addr "$k")]:$MX_PORT"
done >"$PF_CONF/transport"
"$PF_SBIN/postmap" -c "$PF_CONF" "hash:$PF_CONF/transport"
# Everything that arrives over SMTP is put on hold until the bench
# releases it; each recipient is its own delivery (as for smtpdirect).
pf_conf "smtpd_recipient_restrictions = check_client_access static:HOLD" \
    "catpipe_destination_recipient_limit = 1" \
    "default_destination_concurrency_limit = $MAXPROC" \
    "smtpd_client_connection_count_limit = 0" \
    "transport_maps = hash:$PF_CONF/transport" \
    "smtp_tls_security_level = may" \
    "smtp_tls_loglevel = 1" \
    "in_flow_delay = 0"
S_PID=""
lat_snd_stop() {
	lat_kill "$S_PID"
}
mta_at_exit lat_snd_stop
pf_start >&2
S_PID=$PF_PID

# queue_files [QUEUE...] - how many files the sender's queues hold
queue_files() {
	local q total=0
	for q in ${1:-maildrop incoming active deferred hold}; do
		[ -d "$PF_DIR/spool/$q" ] || continue
		total=$((total + $(find "$PF_DIR/spool/$q" -type f | wc -l)))
	done
	echo "$total"
}
# held_all - true when all N messages of a batch are on hold
held_all() {
	[ "$(queue_files hold)" -ge "$N" ] &&
		[ "$(queue_files "maildrop incoming active")" -eq 0 ]
}
# queue_empty - true when the sender's queue is empty
queue_empty() {
	[ "$(queue_files)" -eq 0 ]
}
# proxy_idle - true when no connection is open through the proxy
proxy_idle() {
	[ "$(proxy_stat open)" -eq 0 ]
}
# log_count REGEX - how many lines of the sender's log match
log_count() {
	grep -c -E -e "$1" "$PF_LOG" 2>/dev/null || true
}

# fill - queue the workload on hold: one smtp-source per domain, four at
# a time, at most 10 sessions each
fill() {
	while read -r k c; do
		s=$((c < 10 ? c : 10))
		echo "$s $c $(dom "$k")"
	done <"$WORK/workload" |
	    xargs -P 4 -L 1 sh -c 'exec timeout 300 "$0" -s "$1" -m "$2" -N \
		-l 4096 -M client.test -f sender@origin.test \
		-t "user@$3" '"$S_ADDR:$S_PORT" "$SOURCE" >&2 ||
		fail "smtp-source into Postfix failed"
}

# phase NAME TRANSPORT - queue the workload on hold, release it with
# default_transport = TRANSPORT, time the drain. Appends
# "NAME|TRANSPORT|seconds|sessions|handshakes" to $WORK/rows.
phase() {
	local name=$1 tr=$2 t0 t1 c0 h0 c1 h1 sent n
	pf_conf "default_transport = $tr"
	timeout 60 "$PF_SBIN/postfix" -c "$PF_CONF" reload >&2
	fill
	wait_until "$LIMIT" held_all
	wait_until 60 proxy_idle
	sleep 0.3 # the proxy writes its counts every 100 ms
	c0=$(proxy_stat conns) h0=$(proxy_stat tls)
	sent=$(log_count 'status=sent')
	t0=$(date +%s%N)
	timeout 120 "$PF_SBIN/postsuper" -c "$PF_CONF" -H ALL 2>&1 |
	    grep -v 'Released from hold' >&2 || true
	pf_flush
	wait_until "$LIMIT" queue_empty
	t1=$(date +%s%N)
	# Connections kept after the drain (smtp(8)'s cache, the keeper)
	# end within seconds; they are counted when they began anyway.
	wait_until 60 proxy_idle
	sleep 0.3
	c1=$(proxy_stat conns) h1=$(proxy_stat tls)
	# Postfix logs through postlogd over a datagram socket, which may
	# drop lines when flooded: the log is a cross-check, not a verdict.
	n=0
	until [ "$(log_count 'status=sent')" -ge $((sent + N)) ] ||
	    [ $n -ge 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	n=$(($(log_count 'status=sent') - sent))
	[ "$n" -eq "$N" ] || echo "latency bench: $name: the log shows" \
	    "$n of $N status=sent lines" >&2
	echo "latency bench: $name: the receiver's log:" \
	    "$(grep -c ' connect from ' "$R_LOG" || true) connects," \
	    "$(grep -c 'TLS connection established from' "$R_LOG" || true)" \
	    "TLS so far (postlogd may drop lines)" >&2
	echo "$name|$tr|$(awk -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.2f", (b - a) / 1e9 }')|$((c1 - c0))|$((h1 - h0))" \
	    >>"$WORK/rows"
	echo "latency bench: $name: $(tail -n 1 "$WORK/rows")" >&2
}

: >"$WORK/rows"
for round in $(seq 1 "$ROUNDS"); do
	echo "latency bench: round $round of $ROUNDS" >&2
	for t in smtpdirect:smtpdirect native:nsmtp reuse:nsmtpr cat:catpipe; do
		case " ${LAT_ONLY:-smtpdirect native reuse cat} " in
		*" ${t%%:*} "*) phase "${t%%:*}" "${t#*:}" ;;
		esac
	done
done
deferred=$(log_count 'status=(deferred|bounced)')
grep -E 'status=(deferred|bounced)' "$PF_LOG" | head -n 5 >&2 || :
[ "$(proxy_stat overflow)" -eq 0 ] || fail "the proxy refused connections"

# median NAME - the row of that transport's median round (by seconds)
median() {
	grep "^$1|" "$WORK/rows" | sort -t'|' -k3,3n |
	    awk '{ r[NR] = $0 } END { if (NR) print r[int((NR + 1) / 2)] }'
}
field() { # field NAME N - field N of the median row
	median "$1" | cut -d'|' -f"$2"
}
all_secs() {
	grep "^$1|" "$WORK/rows" | cut -d'|' -f3 | paste -sd, - | sed 's/,/, /g'
}
per_k() { # per_k COUNT - per 1,000 messages
	awk -v c="$1" -v n="$N" 'BEGIN { printf "%.0f", c * 1000 / n }'
}
# row LABEL NAME TRANSPORT - a table row
row() {
	local s
	s=$(field "$2" 3)
	if [ -z "$s" ]; then
		echo "| $1 | $3 | $MAXPROC | not run | - | - | - |"
		return
	fi
	if [ "$2" = cat ]; then
		sess=- hs=-
	else
		sess=$(per_k "$(field "$2" 4)") hs=$(per_k "$(field "$2" 5)")
	fi
	echo "| $1 | $3 | $MAXPROC | $s | $(awk -v n="$N" -v s="$s" \
	    'BEGIN { printf "%.1f", n / s }') | $sess | $hs |"
}
sd_s=$(field smtpdirect 3)
re_s=$(field reuse 3)
sd_h=$(field smtpdirect 5)
re_h=$(field reuse 5)
top=$(head -n 1 "$WORK/workload" | cut -d' ' -f2)
top10=$(head -n 10 "$WORK/workload" | awk '{ t += $2 } END { print t }')
last=$(tail -n 1 "$WORK/workload" | cut -d' ' -f2)

echo "## Latency-bound TLS drain: $N held messages to $DOMAINS domains, ${DELAY} ms each way"
echo
echo "\`t/bench/latency.sh\` (issue 17). As the queue drain above, but as"
echo "mail meets the Internet: $N messages of 4 KB (\`smtp-source\`, one"
echo "recipient each) to $DOMAINS domains, spread by Zipf's law (s = 1:"
echo "the first domain gets $top messages, the first ten $top10, the"
echo "last $last). Each domain's MX host is an address of its own"
echo "(127.0.20.1-127.0.21.250, port $MX_PORT) of one \`t/bench/delayproxy.c\`"
echo "process, which holds every chunk of bytes ${DELAY} ms in each direction"
echo "and opens its connection to the receiver $((3 * DELAY)) ms after"
echo "the accept (a TCP handshake: the greeting comes two round trips after"
echo "\`connect()\`). The receiver is a private Postfix $("$PF_SBIN/postconf" \
    -c "$R_CONF" -h mail_version 2>/dev/null || echo '?') smtpd"
echo "($R_ADDR:$R_PORT) offering STARTTLS with a P-256 certificate of a"
echo "test CA and discarding the mail (\`check_client_access"
echo "static:DISCARD\`). A second private Postfix ($S_ADDR:$S_PORT) holds"
echo "the queue (\`static:HOLD\`); \`postsuper -H ALL; postqueue -f\` releases"
echo "it and the clock runs until its queue directories are empty. Each"
echo "transport gets a new batch; the proxy and both instances are the"
echo "same for all. Routing, without DNS, as in the drain above: Postfix"
echo "by \`transport_maps\` (\`d001.latency.test :[127.0.20.1]:$MX_PORT\`, the"
echo "nexthop only), smtpdirect by its override map (\`d001.latency.test"
echo "127.0.20.1:$MX_PORT\`). SMTP sessions and TLS handshakes are counted"
echo "by the proxy, the same for every client: connections accepted, and"
echo "TLS handshake records a client sent right after its STARTTLS line."
echo "$ROUNDS round(s) take the transports in turn; each row is the"
echo "transport's median round (all rounds, in seconds: smtpdirect"
echo "$(all_secs smtpdirect); smtp(8) $(all_secs native); smtp(8) with"
echo "reuse $(all_secs reuse); cat $(all_secs cat))."
echo
echo "master.cf (maxproc $MAXPROC for each; main.cf as conf-examples/postfix"
echo "plus \`smtp_tls_security_level = may\`,"
echo "\`default_destination_concurrency_limit = $MAXPROC\` and"
echo "\`catpipe_destination_recipient_limit = 1\`):"
echo
echo '```'
grep -A2 -e '^smtpdirect ' -e '^catpipe ' "$PF_CONF/master.cf" |
    sed -e "s|$SD_BIN|smtpdirect|" -e "s|$SDC/smtpdirect.conf|CONF|" -e '/^--$/d'
grep -A1 -e '^nsmtp' "$PF_CONF/master.cf" | grep -v -e '^--$' -e '^tlsproxy'
grep -e '^tlsproxy ' "$PF_CONF/master.cf"
echo '```'
echo
echo "smtpdirect's CONF: the override map, \`tls_policy = may\`,"
echo "\`max_concurrent = $MAXPROC\`, resident workers as by default"
echo "(\`worker_idle_time = 10s\`), \`session_cache_time\` as by default."
echo
echo "Command: \`LAT_N=$N LAT_DOMAINS=$DOMAINS LAT_MAXPROC=$MAXPROC LAT_ROUNDS=$ROUNDS sh t/bench/latency.sh\`"
echo "(\`make bench\` runs it with the defaults, N = 10000)."
echo
echo "| transport | default_transport | maxproc | seconds | messages/s | SMTP sessions per 1,000 messages | TLS handshakes per 1,000 messages |"
echo "|---|---|---:|---:|---:|---:|---:|"
row "smtpdirect, pipe(8)" smtpdirect smtpdirect
row "Postfix smtp(8), TLS may" native nsmtp
row "Postfix smtp(8), TLS may, \`smtp_tls_connection_reuse = yes\`" reuse nsmtpr
row "\`cat\`, pipe(8) (floor)" cat catpipe
echo
echo "Goal (issue 17): smtpdirect drains faster than smtp(8) with TLS"
echo "connection reuse and needs no more TLS handshakes per message:"
awk -v a="$sd_s" -v b="$re_s" -v x="$sd_h" -v y="$re_h" 'BEGIN {
	if (a == "" || b == "") {
		printf "not measured (a transport was not run)."
		exit
	}
	printf "%s (%.2f times its rate), and %s (%d against %d handshakes).",
	    (a < b) ? "faster: met" : "faster: not met", b / a,
	    (x <= y) ? "handshakes: met" : "handshakes: not met", x, y }'
echo
echo "$deferred deliveries were deferred or bounced during the run."
