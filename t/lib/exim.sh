# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# exim.sh - a private Exim 4.96 for a test, run from Debian's packages
# unpacked (not installed: exim4 and postfix conflict), on loopback only.
#
# Source it FIRST, call exim_isolate "$@", then source mta.sh:
#
#   . "$(dirname "$0")/../lib/exim.sh"
#   exim_isolate "$@"            # may re-run the script, see below
#   . "$(dirname "$0")/../lib/mta.sh"
#   exim_fetch                   # download + unpack once, or skip (77)
#   exim_init NAME ADDR PORT     # $WORK/exim-NAME: config, spool, log
#   exim_example FILE SD CONF USER GROUP  # a conf-examples/exim file,
#                                # paths replaced; prints the copy's path
#   exim_add_routers FILE...     # driver definitions, in order
#   exim_add_transports FILE...
#   exim_finish                  # write the configuration, check it
#   exim_daemon                  # listen on ADDR:PORT (optional)
#   exim_cmd ARGS...             # the exim binary with -C our config
#   exim_inject SENDER RCPT...   # submit stdin as a local message
#   exim_queue_run [-R TEXT]     # one forced queue run (exim -qf, -Rf)
#   exim_queue_count / exim_queue / exim_queue_ids / exim_msglog ID
#   exim_log_has REGEX / exim_wait_log REGEX [SECONDS] / exim_log_tail
#
# What running Debian's Exim unpacked, as root, in a test takes:
# - The binary looks up its user "Debian-exim" (EXIM_USER=ref:Debian-exim)
#   before it reads any configuration. When that user does not exist,
#   exim_isolate re-runs the test script in a private mount namespace
#   (unshare) where copies of /etc/passwd and /etc/group, with the user
#   added, are bind-mounted over the real ones: nothing on the machine
#   changes. Where namespaces are not allowed it creates the system user
#   the exim4-base package would create (useradd --system).
# - -C with a configuration that is not in TRUSTED_CONFIG_LIST
#   (/etc/exim4/trusted_configs) keeps root only for root itself: the
#   re-exec after a message has been received runs as Debian-exim and
#   "loses privilege for using -C", and could then not run the pipe as
#   its user. So the test instance sets queue_only, and deliveries
#   happen only in queue runs that root starts (exim_queue_run): each
#   retry happens exactly when the test asks for it. Bounces are still
#   submitted by the Exim user, which writes one harmless "exim user
#   lost privilege for using -C option" line to the panic log each time.
# - exim_path points at the unpacked binary (the compiled-in
#   /usr/sbin/exim4 does not exist); spool_directory, log_file_path and
#   pid_file_path point into $WORK; the spool and log belong to
#   Debian-exim; the configuration file belongs to root, mode 644.
# - never_users is root (Debian fixes it): transports run as "nobody".
# - tls_advertise_hosts is empty: the test has no certificate.

EXIM_CACHE=${SMTPDIRECT_EXIM_CACHE:-/var/cache/smtpdirect-tests/exim4}
EXIM_BIN=$EXIM_CACHE/root/usr/sbin/exim4
# exim4-config: Debian's configuration (/etc/exim4, update-exim4.conf),
# which 66-readme-exim runs; the other tests write their own.
EXIM_PKGS="exim4-daemon-light exim4-base exim4-config"
EXIM_UPDATE=$EXIM_CACHE/root/usr/sbin/update-exim4.conf

# exim_isolate ARGS... - make sure the Debian-exim user resolves; may
# re-execute the running script ($0) with ARGS in a mount namespace.
exim_isolate() {
	local tmp uid=60100
	if getent passwd Debian-exim >/dev/null &&
		getent group Debian-exim >/dev/null; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped: the Exim test needs root"
		exit 77
	fi
	if [ -z "${SMTPDIRECT_EXIM_NS:-}" ] &&
		unshare --mount --propagation private true 2>/dev/null; then
		SMTPDIRECT_EXIM_NS=1 exec unshare --mount --propagation private \
		    bash "$0" "$@"
	fi
	if [ -n "${SMTPDIRECT_EXIM_NS:-}" ]; then
		while getent passwd "$uid" >/dev/null ||
			getent group "$uid" >/dev/null; do
			uid=$((uid + 1))
		done
		tmp=$(mktemp -d /tmp/smtpdirect-exim-ns.XXXXXX)
		cp /etc/passwd "$tmp/passwd"
		cp /etc/group "$tmp/group"
		echo "Debian-exim:x:$uid:$uid:Exim test:/nonexistent:/usr/sbin/nologin" >>"$tmp/passwd"
		echo "Debian-exim:x:$uid:" >>"$tmp/group"
		chmod 644 "$tmp/passwd" "$tmp/group"
		mount --bind "$tmp/passwd" /etc/passwd
		mount --bind "$tmp/group" /etc/group
		rm -rf "$tmp"
		echo "exim: user Debian-exim ($uid) exists in this mount namespace only"
		return 0
	fi
	echo "exim: no mount namespaces here; creating the system user Debian-exim"
	useradd --system --user-group --home-dir /nonexistent --no-create-home \
	    --shell /usr/sbin/nologin Debian-exim
}

# exim_fetch - download and unpack the Exim packages once, into
# $EXIM_CACHE/root; skip the test (77) when that is impossible.
exim_fetch() {
	local new
	[ -x "$EXIM_BIN" ] && [ -x "$EXIM_UPDATE" ] && return 0
	command -v apt-get >/dev/null || skip "no apt-get to download Exim"
	command -v dpkg-deb >/dev/null || skip "no dpkg-deb to unpack Exim"
	mkdir -p "$EXIM_CACHE"
	(
		flock -w 300 9 || exit 1
		[ -x "$EXIM_BIN" ] && [ -x "$EXIM_UPDATE" ] && exit 0
		cd "$EXIM_CACHE" || exit 1
		rm -f ./*.deb
		# shellcheck disable=SC2086 # a list of package names
		timeout 300 apt-get download -q $EXIM_PKGS 2>&1 |
			grep -v 'unsandboxed' || true
		ls ./exim4-base_*.deb ./exim4-daemon-light_*.deb \
		    ./exim4-config_*.deb >/dev/null || exit 2
		new=$(mktemp -d "$EXIM_CACHE/root.XXXXXX")
		for d in ./*.deb; do
			dpkg-deb -x "$d" "$new" || exit 1
		done
		rm -rf "$EXIM_CACHE/root"
		mv "$new" "$EXIM_CACHE/root"
	) 9>"$EXIM_CACHE/.lock" || skip "cannot download or unpack $EXIM_PKGS"
	[ -x "$EXIM_BIN" ] || skip "no exim4 binary in $EXIM_PKGS"
	[ -x "$EXIM_UPDATE" ] || skip "no update-exim4.conf in $EXIM_PKGS"
}

# exim_init NAME ADDR PORT - start the configuration of instance NAME,
# whose daemon (if started) listens on ADDR:PORT.
exim_init() {
	EXIM_DIR=$WORK/exim-$1
	EXIM_ADDR=$2
	EXIM_PORT=$3
	EXIM_CONF=$EXIM_DIR/exim.conf
	EXIM_LOG=$EXIM_DIR/log/mainlog
	EXIM_PARTS_R=""
	EXIM_PARTS_T=""
	chmod 711 "$WORK"
	mkdir -p "$EXIM_DIR/spool" "$EXIM_DIR/log"
	chmod 755 "$EXIM_DIR"
	chown -R Debian-exim:Debian-exim "$EXIM_DIR/spool" "$EXIM_DIR/log"
	mta_on_fail exim_log_tail
}

# exim_add_routers FILE... - append router definitions (in this order).
exim_add_routers() {
	EXIM_PARTS_R="$EXIM_PARTS_R $*"
}

# exim_add_transports FILE... - append transport definitions.
exim_add_transports() {
	EXIM_PARTS_T="$EXIM_PARTS_T $*"
}

# exim_finish - write $EXIM_CONF and have Exim check it.
exim_finish() {
	local f
	{
		cat <<EOF
# exim.conf of a private test instance made by t/lib/exim.sh
exim_path = $EXIM_BIN
primary_hostname = exim.origin.test
qualify_domain = origin.test
spool_directory = $EXIM_DIR/spool
log_file_path = $EXIM_DIR/log/%slog
pid_file_path = $EXIM_DIR/exim.pid
daemon_smtp_ports = $EXIM_PORT
local_interfaces = $EXIM_ADDR
queue_only = true
never_users = root
keep_environment =
tls_advertise_hosts =
rfc1413_query_timeout = 0s
host_lookup =
domainlist local_domains = @ : localhost
hostlist relay_from_hosts = 127.0.0.0/8
acl_smtp_rcpt = acl_check_rcpt
log_selector = +received_recipients +subject

begin acl
acl_check_rcpt:
  accept hosts = +relay_from_hosts
  deny message = relay not permitted

begin routers
EOF
		for f in $EXIM_PARTS_R; do
			cat "$f"
			echo
		done
		echo "begin transports"
		for f in $EXIM_PARTS_T; do
			cat "$f"
			echo
		done
		cat <<EOF
begin retry
*  *  F,1h,10m
EOF
	} >"$EXIM_CONF"
	chmod 644 "$EXIM_CONF"
	exim_cmd -bV >"$EXIM_DIR/bV.out" 2>&1 ||
		fail "exim rejects $EXIM_CONF: $(cat "$EXIM_DIR/bV.out")"
	head -n 1 "$EXIM_DIR/bV.out"
}

# exim_cmd ARGS... - run the unpacked exim with the test configuration.
exim_cmd() {
	timeout 120 "$EXIM_BIN" -C "$EXIM_CONF" "$@"
}

# exim_daemon - start the SMTP listener (foreground mode, so that its PID
# is ours to kill) and wait until it accepts connections.
exim_daemon() {
	bg_start "$EXIM_BIN" -C "$EXIM_CONF" -bdf
	# shellcheck disable=SC2034 # used by the test scripts
	EXIM_DAEMON_PID=$LAST_PID
	wait_port "$EXIM_ADDR" "$EXIM_PORT"
}

# exim_inject SENDER RCPT... - submit standard input as a local message
# (like sendmail -f SENDER; SENDER "" is the null sender).
exim_inject() {
	local s=$1
	shift
	[ -n "$s" ] || s="<>"
	exim_cmd -odq -oi -f "$s" -- "$@"
}

# exim_queue_run [-R TEXT] - one queue run in the foreground, retry times
# ignored; with -R, only for messages with a recipient containing TEXT.
exim_queue_run() {
	if [ "${1:-}" = -R ]; then
		exim_cmd -Rf "$2"
	else
		exim_cmd -qf
	fi
}

# exim_queue_count - print how many messages are queued.
exim_queue_count() {
	exim_cmd -bpc
}

# exim_queue - the queue listing (exim -bp).
exim_queue() {
	exim_cmd -bp
}

# exim_queue_ids - every queued message id, one a line.
exim_queue_ids() {
	exim_cmd -bpr | awk 'NF >= 3 && $3 ~ /^[0-9A-Za-z]+-[0-9A-Za-z]+-[0-9A-Za-z]+$/ { print $3 }'
}

# exim_msglog ID - the message log of ID (exim -Mvl).
exim_msglog() {
	exim_cmd -Mvl "$1"
}

# exim_log_has REGEX - true when the main log matches REGEX (grep -E).
exim_log_has() {
	grep -Eq -e "$1" "$EXIM_LOG" 2>/dev/null
}

# exim_wait_log REGEX [SECONDS] - wait until the main log matches REGEX.
exim_wait_log() {
	wait_until "${2:-30}" exim_log_has "$1"
}

# exim_log_tail - the end of every instance's logs, and its queue.
exim_log_tail() {
	local d
	for d in "$WORK"/exim-*; do
		[ -f "$d/exim.conf" ] || continue
		echo "--- exim main log of $d (last 40 lines)"
		tail -n 40 "$d/log/mainlog" 2>/dev/null
		if [ -s "$d/log/paniclog" ]; then
			echo "--- exim panic log"
			tail -n 20 "$d/log/paniclog"
		fi
		echo "--- exim queue"
		timeout 30 "$EXIM_BIN" -C "$d/exim.conf" -bp 2>&1 | head -n 40
	done
}

# exim_example FILE SMTPDIRECT CONF USER GROUP - print the path of a copy
# of conf-examples/exim/FILE with the program path, configuration file,
# user and group replaced by the test's.
exim_example() {
	mkdir -p "$EXIM_DIR/parts"
	sed -e "s|/usr/local/sbin/smtpdirect|$2|g" \
	    -e "s|/etc/smtpdirect/smtpdirect.conf|$3|g" \
	    -e "s|^\( *user = \)smtpdirect\$|\1$4|" \
	    -e "s|^\( *group = \)smtpdirect\$|\1$5|" \
	    "$TOP/conf-examples/exim/$1" >"$EXIM_DIR/parts/$1"
	echo "$EXIM_DIR/parts/$1"
}
