#!/bin/bash
# smtpdirect-milter through miltertest(8) on a unix socket in the test's
# own directory: forged X-SMTPDirect-* headers removed (every instance,
# folded ones too), one X-SMTPDirect-Route per recipient with line
# numbers and hosts and never a password, X-SMTPDirect-Transport only
# when an override applies, $size at the real size, 1,000 recipients,
# no header at all, 8-bit header bytes, a 1 MB header section. Then --check, a
# bad map at start, SIGHUP with a broken and a good map, SIGTERM
# removing the socket. The scenarios run again against the ASan build.
set -eu
. "$(dirname "$0")/../lib/common.sh"

command -v miltertest >/dev/null || skip "miltertest is not installed"
MILTER=${SMTPDIRECT_MILTER:-$TOP/milter/smtpdirect-milter}
MILTER_ASAN=${SMTPDIRECT_MILTER_ASAN:-$TOP/build/asan/milter/smtpdirect-milter}
[ -x "$MILTER" ] || fail "$MILTER is missing (make)"
SOCK=$WORK/milter.sock
LOG=$WORK/milter.log

# The map: line 1 only for messages over 1 MiB, a password on line 3.
write_map() {
	printf '%s\n' 'big.test relay.test:2525 $size>1M' \
	    "small.test $1" 'secret.test fred:S3cretPw@relay3.test:587' \
	    >"$WORK/map"
	chmod 600 "$WORK/map"
}
write_map relay2.test
printf 'dns_overrides = %s\nstate_dir = %s\n' "$WORK/map" "$WORK" \
    >"$WORK/conf"

# milter_start BIN: start it in the foreground on $SOCK, wait for it.
milter_start() {
	: >"$LOG"
	bg_start "$1" -f -c "$WORK/conf" -p "unix:$SOCK" 2>>"$LOG"
	MPID=$LAST_PID
	n=0
	while [ ! -S "$SOCK" ] && [ $n -lt 100 ]; do
		kill -0 "$MPID" 2>/dev/null || fail "milter died: $(cat "$LOG")"
		sleep 0.1
		n=$((n + 1))
	done
	[ -S "$SOCK" ] || fail "no socket $SOCK"
}

# milter_stop: SIGTERM; it exits (libmilter's listener polls every few
# seconds), its socket is gone, and it said so.
milter_stop() {
	kill -TERM "$MPID"
	n=0
	while kill -0 "$MPID" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -0 "$MPID" 2>/dev/null && fail "milter $MPID ignores SIGTERM"
	set +e
	wait "$MPID"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "milter exit $rc: $(tail -n 20 "$LOG")"
	[ ! -e "$SOCK" ] || fail "socket $SOCK left behind"
	grep -q 'smtpdirect-milter: stopped' "$LOG" || fail "no stop line"
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG"; then
		fail "sanitizer report in $LOG"
	fi
}

# wait_log TEXT: wait up to 10 s for a log line.
wait_log() {
	n=0
	while ! grep -q -- "$1" "$LOG" && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	grep -q -- "$1" "$LOG" || fail "no log line \"$1\": $(cat "$LOG")"
}

# run_lua NAME: run $WORK/NAME.lua (the library prepended).
run_lua() {
	cat "$WORK/lib.lua" "$WORK/$1.lua" >"$WORK/run-$1.lua"
	timeout 120 miltertest -s "$WORK/run-$1.lua" >"$WORK/$1.out" 2>&1 ||
		fail "miltertest $1: $(tail -n 20 "$WORK/$1.out")"
}

cat >"$WORK/lib.lua" <<EOF
local sock = "unix:$SOCK"
-- ok(r, what): a miltertest call returned nil (success).
function ok(r, what)
	if r ~= nil then error(what .. ": " .. tostring(r)) end
end
-- send(rcpts, headers, bodylen): one message on a new connection,
-- body of bodylen bytes in 64000-byte chunks; returns the connection.
function send(rcpts, headers, bodylen)
	local conn = mt.connect(sock, 40, 0.25)
	if conn == nil then error("cannot connect to " .. sock) end
	ok(mt.conninfo(conn, "localhost", "127.0.0.1"), "conninfo")
	ok(mt.mailfrom(conn, "<sender@src.test>"), "mailfrom")
	for _, r in ipairs(rcpts) do ok(mt.rcptto(conn, r), "rcptto") end
	for _, h in ipairs(headers) do ok(mt.header(conn, h[1], h[2]), "header") end
	ok(mt.eoh(conn), "eoh")
	local left = bodylen or 0
	local chunk = string.rep("x", 62) .. "\r\n"
	chunk = string.rep(chunk, 1000)
	while left > 0 do
		local n = math.min(left, #chunk)
		ok(mt.bodystring(conn, string.sub(chunk, 1, n)), "body")
		left = left - n
	end
	ok(mt.eom(conn), "eom")
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error("eom reply " .. tostring(mt.getreply(conn)))
	end
	return conn
end
-- routes(conn, max): the X-SMTPDirect-Route values added, as a set.
function routes(conn, max)
	local set, n = {}, 0
	for i = 0, max do
		local v = mt.getheader(conn, "X-SMTPDirect-Route", i)
		if v == nil then break end
		v = string.gsub(v, "^%s+", "")
		set[v] = true
		n = n + 1
		if string.find(v, "S3cretPw", 1, true) or string.find(v, "fred", 1, true) then
			error("password or user in " .. v)
		end
	end
	return set, n
end
function want(set, v)
	if not set[v] then error("no X-SMTPDirect-Route: " .. v) end
end
function has_transport(conn)
	return mt.eom_check(conn, MT_HDRADD, "X-SMTPDirect-Transport")
end
EOF

# Forged headers, routes per recipient, the transport header.
cat >"$WORK/forged.lua" <<'EOF'
local conn = send({"<u@small.test>", "<v@other.test>", "<w@secret.test>"},
	{{"X-SMTPDirect-Route", "<u@small.test>; mx; forged"},
	 {"Subject", "hello"},
	 {"x-smtpdirect-transport", "smtp:"},
	 {"X-SMTPDirect-Route", "forged\r\n\tand folded"}}, 100)
if not mt.eom_check(conn, MT_HDRDELETE, "X-SMTPDirect-Route") then
	error("forged X-SMTPDirect-Route not deleted")
end
if not mt.eom_check(conn, MT_HDRDELETE, "x-smtpdirect-transport") then
	error("forged x-smtpdirect-transport not deleted")
end
local set, n = routes(conn, 10)
if n ~= 3 then error("route headers: " .. n) end
want(set, "<u@small.test>; override; lines=2; hosts=relay2.test")
want(set, "<v@other.test>; mx; domain=other.test")
want(set, "<w@secret.test>; override; lines=3; hosts=relay3.test:587(auth)")
if not mt.eom_check(conn, MT_HDRADD, "X-SMTPDirect-Transport", "smtpdirect:") then
	error("no X-SMTPDirect-Transport: smtpdirect:")
end
mt.disconnect(conn)
-- No override applies: no transport header.
conn = send({"<v@other.test>"}, {{"Subject", "x"}}, 10)
local set2 = routes(conn, 3)
want(set2, "<v@other.test>; mx; domain=other.test")
if has_transport(conn) then error("transport header without override") end
mt.disconnect(conn)
EOF

# $size at the real size: a small and a >1 MiB message to big.test.
cat >"$WORK/size.lua" <<'EOF'
local conn = send({"<a@big.test>"}, {{"Subject", "small"}}, 1000)
want(routes(conn, 3), "<a@big.test>; mx; domain=big.test")
if has_transport(conn) then error("small message overridden") end
mt.disconnect(conn)
conn = send({"<a@big.test>"}, {{"Subject", "big"}}, 1100000)
want(routes(conn, 3), "<a@big.test>; override; lines=1; hosts=relay.test:2525")
if not has_transport(conn) then error("big message not overridden") end
mt.disconnect(conn)
EOF

# 1,000 recipients; no header at all; 8-bit header bytes; 1 MB of header.
cat >"$WORK/edge.lua" <<'EOF'
local r = {}
for i = 1, 1000 do r[i] = "<r" .. i .. "@small.test>" end
local conn = send(r, {{"Subject", "many"}}, 10)
local set, n = routes(conn, 1100)
if n ~= 1000 then error("1000 recipients gave " .. n .. " headers") end
want(set, "<r1000@small.test>; override; lines=2; hosts=relay2.test")
mt.disconnect(conn)
conn = send({"<v@other.test>"}, {}, 0)
want(routes(conn, 3), "<v@other.test>; mx; domain=other.test")
mt.disconnect(conn)
conn = send({"<j\195\182rg@small.test>"},
	{{"Subject", "gr\252\223e \228\246\252 \255\128"},
	 {"X-SMTPDirect-Route", "\200\201\202"}}, 10)
want(routes(conn, 3), "<j??rg@small.test>; override; lines=2; hosts=relay2.test")
if not mt.eom_check(conn, MT_HDRDELETE, "X-SMTPDirect-Route") then
	error("8-bit forged header not deleted")
end
mt.disconnect(conn)
-- 1 MB of header: 1,050 fields of 1,000 bytes (miltertest itself
-- crashes on a field much over 1 KB: no single 1 MB field here).
local h = {}
for i = 1, 1050 do h[i] = {"X-Filler", string.rep("y", 1000)} end
conn = send({"<a@big.test>"}, h, 0)
want(routes(conn, 3), "<a@big.test>; override; lines=1; hosts=relay.test:2525")
mt.disconnect(conn)
EOF

# alive: the milter still serves after all that.
cat >"$WORK/alive.lua" <<'EOF'
local conn = send({"<v@other.test>"}, {{"Subject", "still there"}}, 10)
want(routes(conn, 3), "<v@other.test>; mx; domain=other.test")
mt.disconnect(conn)
EOF

cat >"$WORK/reload.lua" <<'EOF'
local conn = send({"<u@small.test>"}, {}, 10)
want(routes(conn, 3), "<u@small.test>; override; lines=2; hosts=" .. os.getenv("WANT_HOST"))
mt.disconnect(conn)
EOF

# scenarios BIN: the message scenarios against one build.
scenarios() {
	milter_start "$1"
	run_lua forged
	grep -q 'removed=3' "$LOG" || fail "removed=3 not logged: $(cat "$LOG")"
	run_lua size
	run_lua edge
	run_lua alive
	kill -0 "$MPID" || fail "milter died: $(tail -n 20 "$LOG")"
	milter_stop
}

scenarios "$MILTER"

# --check: exit 0 with a good map, 78 with FILE:LINE:COLUMN diagnostics.
"$MILTER" -c "$WORK/conf" --check >"$WORK/check.out"
grep -q '0 errors, 0 warnings; ok' "$WORK/check.out" ||
	fail "--check: $(cat "$WORK/check.out")"
cp "$WORK/map" "$WORK/map.good"
printf 'ok.test relay.test\nbad.test relay.test:99999\n' >"$WORK/map"
expect_exit 78 "$MILTER" -c "$WORK/conf" --check >"$WORK/check.out"
grep -Eq "^$WORK/map:2:[0-9]+: error: " "$WORK/check.out" ||
	fail "--check bad map: $(cat "$WORK/check.out")"
# A bad map at start: it does not start, and says where.
expect_exit 78 "$MILTER" -f -c "$WORK/conf" -p "unix:$SOCK" 2>"$WORK/start.err"
grep -Eq "^$WORK/map:2:[0-9]+: error: " "$WORK/start.err" ||
	fail "bad map at start: $(cat "$WORK/start.err")"
[ ! -e "$SOCK" ] || fail "socket made by a milter that did not start"
printf 'no_such_key = 1\n' >"$WORK/bad.conf"
expect_exit 78 "$MILTER" -c "$WORK/bad.conf" --check >"$WORK/check.out"
grep -q "bad.conf:1:1: error" "$WORK/check.out" || fail "bad.conf not named"
expect_exit 64 "$MILTER" -c "$WORK/conf"

# SIGHUP: a broken map is refused (logged, the old one routes); a good
# one is taken.
cp "$WORK/map.good" "$WORK/map"
milter_start "$MILTER"
printf 'small.test relay9.test:0\n' >"$WORK/map"
kill -HUP "$MPID"
wait_log 'reload refused: .*map:1:'
wait_log 'keeping the old map (3 rules)'
WANT_HOST=relay2.test run_lua reload
write_map relay9.test
kill -HUP "$MPID"
wait_log 'reload: override map loaded, 3 rules'
WANT_HOST=relay9.test run_lua reload
milter_stop
write_map relay2.test

# -u USER: the socket is made as root, then the user's; the milter runs
# as the user, who removes the socket at SIGTERM (the directory is his).
if getent passwd nobody >/dev/null && [ "$(id -u)" -eq 0 ]; then
	chmod 0711 "$WORK"
	mkdir "$WORK/run"
	chown nobody "$WORK/run"
	USOCK=$WORK/run/milter.sock
	: >"$LOG"
	bg_start "$MILTER" -f -u nobody -c "$WORK/conf" -p "unix:$USOCK" \
	    -P "$WORK/run/pid" 2>>"$LOG"
	MPID=$LAST_PID
	n=0
	while [ ! -S "$USOCK" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	wait_log 'started on'
	[ "$(stat -c %U "$USOCK")" = nobody ] || fail "socket not nobody's"
	[ "$(cat "$WORK/run/pid")" = "$MPID" ] || fail "pid file"
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$MPID/status")
	[ "$uid" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ] ||
		fail "-u nobody: uids $uid"
	SOCK=$USOCK milter_stop
	[ ! -e "$WORK/run/pid" ] || fail "pid file left behind"
	chmod 0700 "$WORK"
fi

# Once more under AddressSanitizer, when that build is there.
if [ -x "$MILTER_ASAN" ]; then
	scenarios "$MILTER_ASAN"
	echo "asan: scenarios passed"
else
	echo "asan: $MILTER_ASAN not built, not run"
fi
echo "90-milter: ok"
