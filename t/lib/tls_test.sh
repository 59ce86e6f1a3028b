# shellcheck shell=sh
# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the TLS tests (sourced after smtp_test.sh's st_init, POSIX
# sh). Loopback 127.0.9.0/24 and ports 25900-25999 only.
#
#   tls_need_tools          exit 77 when openssl or unshare is missing
#   tls_make_certs DIR      a private CA and, signed by it, mx.accept.test
#                           (also ta.accept.test, IP 127.0.9.2, .3, .60),
#                           wrong.test;
#                           a self-signed mx.accept.test; chains (*.chain)
#                           and keys; DANE digests in DIR/*.tlsa
#   tls_syslog_start        a syslog socket at $W/log.sock writing
#                           $W/syslog (one line per message)
#   tls_ns SD ARGS...       run a command whose /dev/log is that socket
#                           (private mount namespace, private /dev)
#   tls_syslog_wait REGEX   until $W/syslog matches (bounded)

# tls_need_tools: skip when a tool is genuinely absent
tls_need_tools() {
	for t in openssl unshare; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "skipped: $t is not installed"
			exit 77
		fi
	done
}

# tls_key FILE: a P-256 key
tls_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

# tls_sign DIR NAME SUBJECT SAN: a certificate for NAME signed by the CA
tls_sign() {
	tls_key "$1/$2.key"
	openssl req -new -key "$1/$2.key" -subj "$3" -out "$1/$2.csr" \
	    2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$4" \
	    >"$1/$2.ext"
	printf 'extendedKeyUsage=serverAuth\n' >>"$1/$2.ext"
	openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
	    -CAcreateserial -days 2 -extfile "$1/$2.ext" -out "$1/$2.crt" \
	    2>/dev/null
	cat "$1/$2.crt" "$1/ca.crt" >"$1/$2.chain"
}

# tls_spki_sha256 CERT: hex SHA2-256 of the certificate's public key
tls_spki_sha256() {
	openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}

# tls_cert_sha256 CERT: hex SHA2-256 of the whole certificate
tls_cert_sha256() {
	openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r |
	    cut -d' ' -f1
}

# tls_make_certs DIR: every certificate the TLS tests use
tls_make_certs() {
	d=$1
	mkdir -p "$d"
	tls_key "$d/ca.key"
	openssl req -x509 -new -key "$d/ca.key" -days 2 \
	    -subj "/CN=smtpdirect test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$d/ca.crt" 2>/dev/null
	tls_sign "$d" good "/CN=mx.accept.test" \
	    "DNS:mx.accept.test,DNS:ta.accept.test,IP:127.0.9.2,IP:127.0.9.3,IP:127.0.9.60"
	tls_sign "$d" wrong "/CN=wrong.test" "DNS:wrong.test"
	tls_key "$d/self.key"
	openssl req -x509 -new -key "$d/self.key" -days 2 \
	    -subj "/CN=mx.accept.test" \
	    -addext "subjectAltName=DNS:mx.accept.test,IP:127.0.9.2" \
	    -out "$d/self.crt" 2>/dev/null
	cp "$d/self.crt" "$d/self.chain"
	[ -s "$d/good.crt" ] && [ -s "$d/self.crt" ] ||
	    { echo "tls_make_certs: openssl failed" >&2; exit 1; }
	tls_spki_sha256 "$d/good.crt" >"$d/good.tlsa"
	tls_spki_sha256 "$d/wrong.crt" >"$d/wrong.tlsa"
	tls_cert_sha256 "$d/ca.crt" >"$d/ca.tlsa"
}

# tls_syslog_start: collect syslog(3) datagrams into $W/syslog
tls_syslog_start() {
	: >"$W/syslog"
	python3 -c '
import os, signal, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$W/log.sock" "$W/syslog" >"$W/syslog.out" 2>&1 &
	st_pids="$st_pids $!"
	n=0
	while [ ! -S "$W/log.sock" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -S "$W/log.sock" ] || { echo "syslog socket missing" >&2; exit 1; }
}

# tls_ns CMD...: run CMD with /dev/log pointing at $W/log.sock
tls_ns() {
	timeout 120 unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=755 smtpdirect-dev /dev || exit 70
		mknod -m 666 /dev/null c 1 3
		mknod -m 666 /dev/zero c 1 5
		mknod -m 666 /dev/random c 1 8
		mknod -m 666 /dev/urandom c 1 9
		ln -s /proc/self/fd /dev/fd
		ln -s "$0" /dev/log
		exec "$@"' "$W/log.sock" "$@"
}

# tls_syslog_wait REGEX: wait (5 s at most) until the syslog matches
tls_syslog_wait() {
	n=0
	while ! grep -Eq -- "$1" "$W/syslog" && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
