# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# postfix.sh - a private Postfix instance for a test, on loopback only.
#
# Source it after mta.sh. The instance has its own config_directory,
# queue_directory, data_directory and log file under $WORK/postfix, never
# reads or writes /etc/postfix (except the read-only postfix-files
# manifest that "postfix start" consults), listens only where the test
# says, delivers nothing locally, and keeps deferred mail until the test
# flushes the queue (the back-off times are an hour), so every retry
# happens when the test decides. The smtpd service is the only listener.
#
#   pf_init ADDR PORT      write main.cf and master.cf (smtpd on ADDR:PORT)
#   pf_conf NAME=VALUE...  change main.cf (postconf -e)
#   pf_tls KEY CHAIN LEVEL smtpd offers TLS (and tlsmgr runs)
#   pf_pipe NAME MAXPROC ATTRS...  add a pipe(8) service to master.cf:
#                          ATTRS are its attribute lines, e.g.
#                          "flags=q user=nobody" "argv=/bin/cat"
#   pf_start / pf_stop     start the master; stop it (bounded, by PID)
#   pf_sendmail ARGS...    Postfix's sendmail(1) against this instance
#   pf_postqueue ARGS...   postqueue(1) against this instance
#   pf_flush               postqueue -f: retry all deferred mail now
#   pf_queue_ids           ids of every queued message, one a line
#   pf_queue_count         how many messages are queued
#   pf_queue_reasons       "ID RECIPIENT REASON" for every queued recipient
#   pf_wait_queue_empty [SECONDS]
#   pf_wait_log REGEX [SECONDS]   until the instance's log matches REGEX
#   pf_log                 print the instance's log
#
# Needs root (the master starts as root and its services drop to the
# mail_owner "postfix"), the Debian postfix package (users postfix and
# group postdrop), and python3 for parsing "postqueue -j".

PF_SBIN=${PF_SBIN:-/usr/sbin}

# pf_require - skip the test when Postfix or root are not available.
pf_require() {
	[ -x "$PF_SBIN/postfix" ] || skip "Postfix is not installed"
	[ "$(id -u)" -eq 0 ] || skip "a private Postfix instance needs root"
	getent passwd postfix >/dev/null || skip "no postfix user"
	getent group postdrop >/dev/null || skip "no postdrop group"
}

# pf_init ADDR PORT - create the instance under $WORK/postfix.
pf_init() {
	pf_require
	PF_ADDR=$1
	PF_PORT=$2
	PF_DIR=$WORK/postfix
	PF_CONF=$PF_DIR/etc
	PF_LOG=$PF_DIR/maillog
	mkdir -p "$PF_CONF" "$PF_DIR/spool" "$PF_DIR/data"
	chown postfix "$PF_DIR/data"
	# The mail_owner must be able to walk down to its queue and data.
	chmod 711 "$WORK"
	chmod 755 "$PF_DIR"
	cat >"$PF_CONF/main.cf" <<EOF
# main.cf of a private test instance made by t/lib/postfix.sh
compatibility_level = 3.6
queue_directory = $PF_DIR/spool
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.origin.test
mydomain = origin.test
myorigin = \$mydomain
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in this test instance
alias_maps =
alias_database =
# Postfix accepts only addresses of configured interfaces here, and the
# lo interface carries just 127.0.0.1/8; the smtpd line in master.cf
# names the test address explicitly, so this only keeps the wildcard
# off.
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP test instance
biff = no
append_dot_mydomain = no
enable_long_queue_ids = yes
maillog_file_prefixes = $PF_DIR
maillog_file = $PF_LOG
# Nothing is retried behind the test's back: it flushes the queue itself.
minimal_backoff_time = 3600s
maximal_backoff_time = 7200s
queue_run_delay = 3600s
delay_warning_time = 0h
default_transport = error:5.3.0 no default transport configured by the test
EOF
	cat >"$PF_CONF/master.cf" <<EOF
# master.cf of a private test instance made by t/lib/postfix.sh
$PF_ADDR:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# pf_conf NAME=VALUE... - set main.cf parameters.
pf_conf() {
	"$PF_SBIN/postconf" -c "$PF_CONF" -e "$@"
}

# pf_tls KEY CHAIN LEVEL - smtpd offers TLS with this key and chain at
# smtpd_tls_security_level LEVEL, logging each handshake; and the TLS
# manager (entropy, session cache) that smtpd's TLS needs.
pf_tls() {
	pf_conf "smtpd_tls_loglevel = 1" "smtpd_tls_security_level = $3" \
	    "smtpd_tls_chain_files = $1, $2"
	printf 'tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n' \
	    >>"$PF_CONF/master.cf"
}

# pf_pipe NAME MAXPROC ATTR... - append a pipe(8) service to master.cf.
pf_pipe() {
	local name=$1 maxproc=$2 a
	shift 2
	printf '%-9s unix  -       n       n       -       %-7s pipe\n' \
	    "$name" "$maxproc" >>"$PF_CONF/master.cf"
	for a in "$@"; do
		printf '  %s\n' "$a" >>"$PF_CONF/master.cf"
	done
}

# pf_master_pid - print the master's PID, if it is running.
pf_master_pid() {
	local f=$PF_DIR/spool/pid/master.pid p
	[ -s "$f" ] || return 1
	p=$(tr -d ' \n' <"$f")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
	echo "$p"
}

# pf_start - check the configuration and start the master.
pf_start() {
	"$PF_SBIN/postfix" -c "$PF_CONF" check 1>&2 ||
		fail "postfix check failed for $PF_CONF"
	mta_at_exit pf_stop
	mta_on_fail pf_log_tail
	timeout 60 "$PF_SBIN/postfix" -c "$PF_CONF" start ||
		fail "postfix -c $PF_CONF start failed"
	wait_until 20 pf_master_pid >/dev/null
	# shellcheck disable=SC2034 # used by the test scripts
	PF_PID=$(pf_master_pid)
	wait_port "$PF_ADDR" "$PF_PORT"
}

# pf_stop - stop the master; kill it (and only it) if it lingers.
pf_stop() {
	local p n=0
	p=$(pf_master_pid) || return 0
	timeout 30 "$PF_SBIN/postfix" -c "$PF_CONF" stop >/dev/null 2>&1 || true
	while kill -0 "$p" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$p" 2>/dev/null; then
		echo "postfix master $p did not stop; killing it" >&2
		kill -9 "$p" 2>/dev/null || true
	fi
}

# pf_sendmail ARGS... - submit standard input with this instance's
# sendmail(1).
pf_sendmail() {
	timeout 60 "$PF_SBIN/sendmail" -C "$PF_CONF" "$@"
}

# pf_postqueue ARGS... - postqueue(1) for this instance.
pf_postqueue() {
	timeout 60 "$PF_SBIN/postqueue" -c "$PF_CONF" "$@"
}

# pf_flush - ask the queue manager to retry all deferred mail now.
pf_flush() {
	pf_postqueue -f
}

# pf_queue_json - the queue as postqueue -j JSON lines.
pf_queue_json() {
	pf_postqueue -j
}

# pf_queue_ids - every queued message's id, one a line.
pf_queue_ids() {
	pf_queue_json | "$PYTHON3" -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)["queue_id"])'
}

# pf_queue_count - print how many messages are queued.
pf_queue_count() {
	pf_queue_json | grep -c . || true
}

# pf_queue_reasons - "QUEUE_ID QUEUE_NAME RECIPIENT REASON" per recipient.
pf_queue_reasons() {
	pf_queue_json | "$PYTHON3" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    for r in m.get("recipients", []):
        print(m["queue_id"], m["queue_name"], r["address"],
              r.get("delay_reason", "-"))'
}

# pf_queue_is_empty - true when nothing is queued (not even in active).
pf_queue_is_empty() {
	[ "$(pf_queue_count)" -eq 0 ]
}

# pf_wait_queue_empty [SECONDS] - wait until the queue is empty.
pf_wait_queue_empty() {
	wait_until "${1:-60}" pf_queue_is_empty
}

# pf_log - print the instance's log.
pf_log() {
	cat "$PF_LOG" 2>/dev/null || true
}

# pf_log_tail - the end of the log and the queue, for a failed test.
pf_log_tail() {
	echo "--- postfix log (last 40 lines)"
	tail -n 40 "$PF_LOG" 2>/dev/null
	echo "--- postfix queue"
	pf_postqueue -p 2>&1 | head -n 40
}

# pf_log_has REGEX - true when the log matches REGEX (grep -E).
pf_log_has() {
	grep -Eq -e "$1" "$PF_LOG" 2>/dev/null
}

# pf_wait_log REGEX [SECONDS] - wait until the log matches REGEX.
pf_wait_log() {
	wait_until "${2:-30}" pf_log_has "$1"
}

# pf_deferred_is ID - true when message ID sits in the deferred queue
# (not active, not incoming): its delivery attempt has finished.
pf_deferred_is() {
	pf_queue_json | grep -F "\"queue_id\": \"$1\"" |
		grep -qF '"queue_name": "deferred"'
}

# pf_use_examples SMTPDIRECT CONF USER - add the master.cf entry and the
# main.cf settings of conf-examples/postfix/ to this instance, with the
# program path, configuration file and user replaced by the test's.
pf_use_examples() {
	local ex=$TOP/conf-examples/postfix line
	grep -v -e '^#' -e '^[[:space:]]*$' "$ex/master.cf" |
		sed -e "s|/usr/local/sbin/smtpdirect|$1|" \
		    -e "s|/etc/smtpdirect/smtpdirect.conf|$2|" \
		    -e "s|user=smtpdirect|user=$3|" >>"$PF_CONF/master.cf"
	while IFS= read -r line; do
		pf_conf "$line"
	done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$ex/main.cf")
}
