#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 42-limits: RFC 9422 LIMITS. A server that announces RCPTMAX gets a
# message's recipients in several transactions on one connection, each
# recipient logged with its own transaction's reply; RCPTDOMAINMAX
# bounds the domains of one transaction (an override route shared by
# several domains); MAILMAX ends a connection, one kept between
# messages too; smtp_recipient_limit splits for a server that announces
# nothing; a transaction that fails after another delivered sends the
# delivered recipients never again, not on the MTA's retry either;
# garbled limits are ignored, and smtp_limits = no ignores them all. A
# server without LIMITS that answers 452 "too many recipients" has the
# rest deferred, as before. Server: t/lib/smtpserver.py announcing and
# enforcing the limits (--advertise, --rcpt-max, --mail-max ...); the
# same against Postfix's smtpd is 42-limits-postfix. Loopback
# 127.0.26.1, ports 28000-28019.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/t/lib/common.sh"
. "$TOP/t/lib/smtp_test.sh"
. "$TOP/t/lib/faults.sh"

fx_init 42-limits
trap 'keepers_stop "$W"; st_cleanup; rm -rf "$WORK"' EXIT
R=$W/runs
mkdir "$R"
A=127.0.26.1
re_peer() { fx_re_peer "$A" "$1"; }
: >"$W/map"
chmod 600 "$W/map"
fx_conf "$W/conf" "session_cache_time = 0s
worker_idle_time = 0s"
printf 'From: a@src.test\nSubject: limits\n\nbody\n' >"$W/msg"
fx_wire "$W/msg" "$W/msg.eml"

# most DIR VERB: the most "in VERB" commands (MAIL, RCPT) the server of
# DIR read on one connection (MAIL) or in one transaction (RCPT, counted
# from each MAIL). commands.log holds no replies, only commands, times
# and client ports, so a grep for a reply code there finds none, but
# may find those digits in a time or port.
most() {
	awk -v v="$2" '$3 == "in" {
		c = toupper($4)
		if (c == "MAIL") { mail[$2]++; rcpt[$2] = 0 }
		if (c == "RCPT") rcpt[$2]++
		n = v == "MAIL" ? mail[$2] : rcpt[$2]
		if (c == v && n > most) most = n
	} END { print most + 0 }' "$1/commands.log"
}

# rcpts DIR N: transactions in DIR with exactly N accepted recipients
rcpts() {
	k=0
	for f in "$1"/msg-*.env; do
		[ -e "$f" ] || continue
		[ "$(grep -c '^rcpt: .* 250$' "$f")" -eq "$2" ] && k=$((k + 1))
	done
	echo "$k"
}

# --- RCPTMAX: five recipients, three transactions, one connection -----------
st_srv rmax "$A:28000" --advertise "LIMITS RCPTMAX=2" --rcpt-max 2
echo "rmax.test $A:28000" >>"$W/map"
fx_deliver "$R/rmax" "$W/msg" -f a@src.test -q RMAX -- r1@rmax.test \
    r2@rmax.test r3@rmax.test r4@rmax.test r5@rmax.test
fx_check "RCPTMAX=2: five recipients" "$R/rmax" 0
st_eq "RCPTMAX=2: three transactions of 2, 2 and 1" \
    "$(fx_msgs "$W/rmax" .):$(rcpts "$W/rmax" 2):$(rcpts "$W/rmax" 1)" 3:2:1
st_eq "RCPTMAX=2: on one connection" "$(fx_conns "$W/rmax")" 1
st_eq "RCPTMAX=2: never a third RCPT" "$(most "$W/rmax" RCPT)" 2
st_eq "RCPTMAX=2: never refused" "$(fx_msgs "$W/rmax" ' 452$')" 0
for i in 1 2 3 4 5; do
	st_eq "RCPTMAX=2: r$i got it once" \
	    "$(fx_msgs "$W/rmax" "^rcpt: TO:<r$i@rmax.test> 250\$")" 1
done
for f in "$W"/rmax/msg-*.eml; do
	st_cmp "RCPTMAX=2: $(basename "$f") is the message" "$f" "$W/msg.eml"
done
# Each recipient's line quotes its own transaction's reply.
fx_log "RCPTMAX=2: r1 logged with the first transaction's reply" "$R/rmax" \
    "RMAX: to=<r1@rmax.test>, relay=$(re_peer 28000), delay=.*status=sent \(250 2\.0\.0 Ok: queued as 0001\)"
fx_log "RCPTMAX=2: r3 with the second's, conn_use=2" "$R/rmax" \
    "RMAX: to=<r3@rmax.test>, relay=$(re_peer 28000), conn_use=2, .*status=sent \(250 2\.0\.0 Ok: queued as 0002\)"
fx_log "RCPTMAX=2: r5 with the third's, conn_use=3" "$R/rmax" \
    "RMAX: to=<r5@rmax.test>, relay=$(re_peer 28000), conn_use=3, .*status=sent \(250 2\.0\.0 Ok: queued as 0003\)"

# --- RCPTDOMAINMAX: one route for three domains -------------------------------
st_srv dmax "$A:28001" --advertise "LIMITS RCPTDOMAINMAX=1" \
    --rcpt-domain-max 1
echo "*.dmax.test $A:28001" >>"$W/map"
fx_deliver "$R/dmax" "$W/msg" -f a@src.test -q DMAX -- a1@x.dmax.test \
    b1@y.dmax.test a2@X.dmax.test c1@z.dmax.test b2@y.dmax.test
fx_check "RCPTDOMAINMAX=1: three domains" "$R/dmax" 0
st_eq "RCPTDOMAINMAX=1: a transaction per domain, on one connection" \
    "$(fx_msgs "$W/dmax" .):$(fx_conns "$W/dmax")" 3:1
st_eq "RCPTDOMAINMAX=1: x (either case) together, y together" \
    "$(fx_msgs "$W/dmax" '<a2@X.dmax.test> 250'):$(fx_msgs "$W/dmax" '<b2@y.dmax.test> 250')" \
    1:1
st_eq "RCPTDOMAINMAX=1: a1 and a2 in one, b1 and b2 in one" \
    "$(rcpts "$W/dmax" 2):$(rcpts "$W/dmax" 1)" 2:1
st_eq "RCPTDOMAINMAX=1: never refused" "$(fx_msgs "$W/dmax" ' 452$')" 0

# --- MAILMAX: a new connection after two transactions ---------------------------
st_srv mmax "$A:28002" --advertise "LIMITS MAILMAX=2 RCPTMAX=1" \
    --mail-max 2 --rcpt-max 1
echo "mmax.test $A:28002" >>"$W/map"
fx_deliver "$R/mmax" "$W/msg" -f a@src.test -q MMAX -- m1@mmax.test \
    m2@mmax.test m3@mmax.test m4@mmax.test m5@mmax.test
fx_check "MAILMAX=2 RCPTMAX=1: five recipients" "$R/mmax" 0
st_eq "MAILMAX=2 RCPTMAX=1: five transactions on three connections" \
    "$(fx_msgs "$W/mmax" '^result: 250'):$(fx_conns "$W/mmax")" 5:3
st_eq "MAILMAX=2: never a third MAIL on a connection" \
    "$(most "$W/mmax" MAIL)" 2
st_eq "MAILMAX=2: each connection QUIT" \
    "$(grep -c ' in QUIT' "$W/mmax/commands.log")" 3

# MAILMAX counts the transactions of a connection kept between messages.
fx_conf "$W/conf.keep" "session_cache_time = 30s
worker_idle_time = 0s"
st_srv kmax "$A:28003" --advertise "LIMITS MAILMAX=2" --mail-max 2
echo "kmax.test $A:28003" >>"$W/map"
for i in 1 2 3 4; do
	FX_CONF=$W/conf.keep fx_deliver "$R/kmax$i" "$W/msg" -f a@src.test \
	    -q "KMAX$i" -- "k$i@kmax.test"
	fx_check "MAILMAX=2, kept connections: message $i" "$R/kmax$i" 0
done
st_eq "MAILMAX=2, kept connections: four messages on two connections" \
    "$(fx_msgs "$W/kmax" '^result: 250'):$(fx_conns "$W/kmax")" 4:2
st_eq "MAILMAX=2, kept connections: never a third MAIL on one" \
    "$(most "$W/kmax" MAIL)" 2
fx_log "MAILMAX=2, kept connections: the second message reused the first's" \
    "$R/kmax2" "KMAX2: to=<k2@kmax.test>, relay=$(re_peer 28003), conn_use=2, .*status=sent"
fx_log "MAILMAX=2, kept connections: the third on a new one" "$R/kmax3" \
    "KMAX3: to=<k3@kmax.test>, relay=$(re_peer 28003), delay=.*status=sent"
keepers_stop "$W"

# --- a failed second transaction, and the MTA's retry ---------------------------
# RCPTMAX=2 and four recipients; the server takes one message per
# connection and answers the next MAIL with 421: the first two are
# delivered and recorded, the other two deferred. The retry (same queue
# id, same message) sends only to those two.
st_srv fail1 "$A:28004" --advertise "LIMITS RCPTMAX=2" --rcpt-max 2 \
    --txn-limit 1 --limit-reply "421 4.7.0 one message per connection"
echo "fail.test $A:28004" >>"$W/map"
fx_deliver "$R/fail1" "$W/msg" -f a@src.test -q FAILQ -- f1@fail.test \
    f2@fail.test f3@fail.test f4@fail.test
fx_check "second transaction fails: deferred" "$R/fail1" 75 \
    "4\.7\.0 $(re_peer 28004) said: 421 4\.7\.0 one message per connection \(in reply to MAIL FROM\)"
st_eq "second transaction fails: the first delivered f1 and f2" \
    "$(fx_msgs "$W/fail1" '^result: 250'):$(fx_msgs "$W/fail1" '<f1@fail.test> 250'):$(fx_msgs "$W/fail1" '<f2@fail.test> 250')" \
    1:1:1
fx_log "second transaction fails: f1 sent" "$R/fail1" \
    "FAILQ: to=<f1@fail.test>, relay=$(re_peer 28004), .*status=sent"
fx_log "second transaction fails: f3 deferred with the 421" "$R/fail1" \
    "FAILQ: to=<f3@fail.test>, relay=$(re_peer 28004), .*dsn=4\.7\.0, status=deferred .*421 4\.7\.0 one message per connection"
st_stop fail1
st_srv fail2 "$A:28004" --advertise "LIMITS RCPTMAX=2" --rcpt-max 2
fx_deliver "$R/fail2" "$W/msg" -f a@src.test -q FAILQ -- f1@fail.test \
    f2@fail.test f3@fail.test f4@fail.test
fx_check "the retry" "$R/fail2" 0
st_eq "the retry: one transaction, f3 and f4 only" \
    "$(fx_msgs "$W/fail2" .):$(fx_msgs "$W/fail2" '<f3@fail.test> 250'):$(fx_msgs "$W/fail2" '<f4@fail.test> 250'):$(fx_msgs "$W/fail2" 'f1@|f2@')" \
    1:1:1:0
fx_log "the retry: f1 was delivered in an earlier attempt" "$R/fail2" \
    'FAILQ: to=<f1@fail.test>, relay=none, .*status=sent \(already delivered in an earlier attempt\)'

# A 5xx to the second transaction's MAIL bounces its own recipients only.
st_srv bnc "$A:28005" --advertise "LIMITS RCPTMAX=1" --rcpt-max 1 \
    --txn-limit 1 --limit-reply "554 5.7.1 one message per connection"
echo "bnc.test $A:28005" >>"$W/map"
fx_deliver "$R/bnc" "$W/msg" -f a@src.test -q BNCQ -- b1@bnc.test b2@bnc.test
fx_check "a 5xx to the second transaction" "$R/bnc" 69 \
    "5\.7\.1 $(re_peer 28005) said: 554 5\.7\.1 one message per connection \(in reply to MAIL FROM command\)"
fx_log "a 5xx to the second transaction: b1 sent" "$R/bnc" \
    "BNCQ: to=<b1@bnc.test>, .*status=sent"
fx_log "a 5xx to the second transaction: b2 bounced" "$R/bnc" \
    "BNCQ: to=<b2@bnc.test>, .*dsn=5\.7\.1, status=bounced"

# --- garbled limits, smtp_limits = no, and no LIMITS at all ------------------------
st_srv garb "$A:28006" \
    --advertise "LIMITS RCPTMAX=x MAILMAX=0 RCPTDOMAINMAX RCPTMAX=-2 FUTURE=3"
echo "garb.test $A:28006" >>"$W/map"
fx_deliver "$R/garb" "$W/msg" -f a@src.test -q GARB -- g1@garb.test \
    g2@garb.test g3@garb.test
fx_check "garbled LIMITS" "$R/garb" 0
st_eq "garbled LIMITS: ignored, one transaction" \
    "$(fx_msgs "$W/garb" .):$(rcpts "$W/garb" 3)" 1:1

st_srv nolim "$A:28007" --rcpt-max 2
echo "nolim.test $A:28007" >>"$W/map"
fx_deliver "$R/nolim" "$W/msg" -f a@src.test -q NOLIM -- n1@nolim.test \
    n2@nolim.test n3@nolim.test
fx_check "no LIMITS, 452 too many recipients: the rest deferred" "$R/nolim" 75 \
    "4\.5\.3 $(re_peer 28007) said: 452 4\.5\.3 Error: too many recipients \(RCPTMAX\) \(in reply to RCPT TO command\)"
st_eq "no LIMITS: one transaction of two" \
    "$(fx_msgs "$W/nolim" .):$(rcpts "$W/nolim" 2)" 1:1
fx_conf "$W/conf.rl" "session_cache_time = 0s
worker_idle_time = 0s
smtp_recipient_limit = 2"
FX_CONF=$W/conf.rl fx_deliver "$R/nolim2" "$W/msg" -f a@src.test -q NOLIM2 \
    -- n1@nolim.test n2@nolim.test n3@nolim.test
fx_check "no LIMITS, smtp_recipient_limit = 2" "$R/nolim2" 0
st_eq "smtp_recipient_limit = 2: two more transactions, one connection" \
    "$(fx_msgs "$W/nolim" .):$(fx_conns "$W/nolim")" 3:2

fx_conf "$W/conf.off" "session_cache_time = 0s
worker_idle_time = 0s
smtp_limits = no"
FX_CONF=$W/conf.off fx_deliver "$R/off" "$W/msg" -f a@src.test -q OFF -- \
    o1@rmax.test o2@rmax.test o3@rmax.test
fx_check "smtp_limits = no: RCPTMAX ignored, the server's 452" "$R/off" 75 \
    "4\.5\.3 $(re_peer 28000) said: 452 4\.5\.3 .*"

st_done
