#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# 43-chunking-exim: BDAT (RFC 3030) to a real Exim 4.96 (t/lib/exim.sh:
# Debian's packages unpacked, a private configuration), which offers
# CHUNKING by default (chunking_advertise_hosts = *). Every message goes
# once with BDAT (smtp_chunking = yes) and once with DATA (no); Exim
# queues it, and the message it shows (exim -Mvc), less the Received:
# field it adds, is the message as sent, byte for byte, both times:
# lines that start with a dot, a message without a final newline, a
# large one of many pieces, 8-bit MIME. Exim's log says which arrived
# with CHUNKING. Needs root, python3, and apt-get/dpkg-deb to fetch Exim
# once into /var/cache/smtpdirect-tests. Loopback 127.0.26.4, ports
# 28050-28059.
set -eu

# shellcheck source=t/lib/exim.sh
. "$(dirname "$0")/../lib/exim.sh"
exim_isolate "$@"
# shellcheck source=t/lib/mta.sh
. "$(dirname "$0")/../lib/mta.sh"
# shellcheck source=t/lib/chunk_test.sh
. "$TOP/t/lib/chunk_test.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root"
[ -x "$PYTHON3" ] || skip "python3 is not installed"
[ -x "$SD" ] || fail "$SD is not built (make)"
exim_fetch
A=127.0.26.4
exim_init rcv "$A" 28050
exim_finish
exim_daemon

echo "ex.test $A:28050" >"$WORK/map"
ct_messages

# exim_id NAME: the id Exim gave the message of run NAME (its reply to
# the end of data, "250 OK id=..." after "250- N byte chunk" with BDAT,
# as deliver logged it)
exim_id() {
	sed -n 's/.* status=sent (250 .*OK id=\([0-9A-Za-z-]*\)).*/\1/p' \
	    "$WORK/$1.log" | head -n 1
}

for m in dots notrail large 8bit; do
	for how in bdat data; do
		[ $how = bdat ] && c=yes || c=no
		ct_send "$m-$how" "$WORK/m-$m" "$m-$how@ex.test" $c
		id=$(exim_id "$m-$how")
		if [ -z "$id" ]; then
			ct_nok "$m-$how: no Exim id in the log"
			continue
		fi
		exim_cmd -Mvc "$id" >"$WORK/got-$m-$how" 2>"$WORK/got-$m-$how.err" ||
			ct_nok "$m-$how: exim -Mvc $id: $(cat "$WORK/got-$m-$how.err")"
		ct_same "$m: $how" "$WORK/got-$m-$how" "$WORK/m-$m"
		# Exim's K flag: received with CHUNKING.
		if exim_log_has " $id <= .* P=esmtp K "; then
			[ $how = bdat ] ||
				ct_nok "$m-$how: Exim logged CHUNKING (K)"
		else
			[ $how = data ] ||
				ct_nok "$m-$how: Exim logged no CHUNKING (K)"
		fi
	done
done
n=$(grep -c '> BDAT' "$WORK/large-bdat.log")
if [ "$n" -ge 20 ]; then
	ct_ok "large: $n pieces"
else
	ct_nok "large: only $n pieces"
fi
k=$(grep -Ec ' <= a@origin\.test .* P=esmtp K ' "$EXIM_LOG" || true)
if [ "$k" -eq 4 ]; then
	ct_ok "Exim logged 4 messages received with CHUNKING (K)"
else
	ct_nok "Exim logged $k messages with K, want 4"
	grep ' <= ' "$EXIM_LOG" | sed 's/^/#   /'
fi

ct_done
