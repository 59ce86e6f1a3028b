#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 65-readme-postfix: the "Use with Postfix" steps of README.md, run as
# written, so that the README cannot drift from what works.
#
# The shell blocks that follow a "<!-- test: postfix -->" line in that
# section are extracted and run in order, with sh -e, as root, in the
# source directory, with root's PATH. There is one substitution, and the
# test checks that it applies to exactly one line: the map's relay
# "smtp.isp.example" becomes an smtp-sink on 127.0.10.10:26010, since no
# real relay may be reached. Everything else runs verbatim with its
# standard paths (make install into /usr/local and /etc/smtpdirect,
# useradd, postconf -e on /etc/postfix, postfix reload, sendmail): the
# script runs in a private mount namespace whose /etc, /usr/local and
# /var/lib are throwaway overlays (t/lib/sysroot.sh), so the host keeps
# no file and no user of it.
#
# Before the steps, /etc/postfix (in the overlay) holds a private Postfix
# instance (t/lib/postfix.sh) that stands in for the administrator's
# running Postfix: smtpd on 127.0.10.1:26001 only, its queue in the
# test's directory, remote mail deferred until the README configures
# smtpdirect. The message the README sends must then arrive at the sink
# through "smtpdirect deliver", run by pipe(8) as the user smtpdirect,
# with Postfix logging it as sent via the smtpdirect service.
#
# Needs root, mount namespaces and overlayfs, postfix (smtp-sink), make.
set -eu

# shellcheck source=t/lib/sysroot.sh
. "$(dirname "$0")/../lib/sysroot.sh"
sysroot_enter "$@"
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/postfix.sh
. "$TOP/t/lib/postfix.sh"

pf_require
[ -x "$SMTP_SINK" ] || skip "smtp-sink is not installed (postfix)"
[ -x "$PYTHON3" ] || skip "python3 is not installed"
command -v runuser >/dev/null || skip "no runuser (util-linux)"
sysroot_fresh_host
umask 022

# readme_blocks FILE - the marked Postfix blocks, each followed by a
# line "# --- end of block N"; fails on a marker without a ```sh block.
readme_blocks() {
	awk '
	/^<!-- test: postfix -->$/ { want = 1; next }
	want && /^```sh$/ { inblock = 1; want = 0; n++; next }
	want { print "marker not followed by a sh block: " $0 > "/dev/stderr"; exit 1 }
	inblock && /^```$/ { inblock = 0; print "# --- end of block " n; next }
	inblock { print }
	END { if (inblock) { print "unterminated block" > "/dev/stderr"; exit 1 } }
	' "$1"
}

# 1. The README's steps, and the one substitution.
readme_blocks "$TOP/README.md" >"$WORK/readme.sh"
nblocks=$(grep -c '^# --- end of block ' "$WORK/readme.sh" || true)
[ "$nblocks" -eq 5 ] ||
	fail "README.md has $nblocks marked Postfix blocks, want 5 (steps 1 to 5)"
sed -e 's/^example\.net   smtp\.isp\.example$/example.net   127.0.10.10:26010/' \
    "$WORK/readme.sh" >"$WORK/run.sh"
changed=$(diff "$WORK/readme.sh" "$WORK/run.sh" | grep -c '^>' || true)
[ "$changed" -eq 1 ] ||
	fail "the relay substitution changed $changed lines, want 1"
echo "65: running these README lines (relay line substituted):"
cat "$WORK/run.sh"

# 2. The stand-in for the administrator's Postfix, and the relay.
sink_start relay 127.0.10.10 26010
pf_init 127.0.10.1 26001
pf_conf "default_transport = retry:4.3.0 smtpdirect is not configured yet"
cp "$PF_CONF/main.cf" "$PF_CONF/master.cf" /etc/postfix/
PF_CONF=/etc/postfix
pf_start
echo "65: stand-in postfix master $PF_PID on 127.0.10.1:26001, /etc/postfix"

# 3. Run the steps as the administrator would.
(
	cd "$TOP"
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	timeout 600 sh -ex "$WORK/run.sh"
) >"$WORK/steps.log" 2>&1 || {
	cat "$WORK/steps.log"
	fail "the README's Postfix steps failed"
}
cat "$WORK/steps.log"
grep -qx "lint: 0 errors, 0 warnings in 1 file" "$WORK/steps.log" ||
	fail "smtpdirect lint did not report a clean map"
grep -q "1\. 127\.0\.10\.10:26010 .*line 3" "$WORK/steps.log" ||
	fail "smtpdirect route did not show the relay of line 3"
[ "$(stat -c '%U:%G %a' /etc/smtpdirect/overrides)" = "smtpdirect:smtpdirect 600" ] ||
	fail "overrides: $(stat -c '%U:%G %a' /etc/smtpdirect/overrides)"

# 4. The test message arrives through smtpdirect. A message picked up
# while "postfix reload" was still under way is deferred by the old
# queue manager (retry:), never bounced; a queue run then sends it on.
n=0
until sink_has relay "Subject: smtpdirect test" 1; do
	n=$((n + 1))
	[ "$n" -le 12 ] || fail "the README's test message did not arrive"
	sleep 5
	sink_has relay "Subject: smtpdirect test" 1 && break
	pf_flush
done
sink_has relay "X-Rcpt-Args: <you@example.net>" 1 ||
	fail "recipient: $(sink_grep relay "smtpdirect test")"
# The relay offers DSN: the original recipient went on as ORCPT.
sink_has relay "X-Rcpt-Args: <you@example.net> ORCPT=rfc822;you@example.net" 1 ||
	fail "ORCPT: $(sink_grep relay "smtpdirect test")"
pf_wait_log 'to=<you@example.net>, relay=smtpdirect, .*dsn=2\.0\.0, status=sent \(delivered via smtpdirect service\)' 60
pf_wait_queue_empty 60
grep -F 'to=<you@example.net>' "$PF_LOG" | grep -F relay=smtpdirect
pf_log_has 'status=bounced' && fail "something bounced: $(pf_log)"
echo "65: the README's test message reached the relay through smtpdirect"
echo "65: ok"
