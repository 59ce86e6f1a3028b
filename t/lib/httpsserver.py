#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The smtpdirect authors
"""httpsserver.py - an HTTPS server for the MTA-STS and TLS report tests.

Listens on one loopback address (port 443 by default) with a certificate
chain and key, and answers by the Host header from a site table:

  --site HOST=MODE[:ARG]   how HOST is served at
                           /.well-known/mta-sts.txt:
      file:PATH            the file's bytes, Content-Type text/plain
      type:PATH            the file's bytes, Content-Type text/html
      redirect:URL         302 Found to URL
      big:N                N bytes of a valid policy padded with blank
                           lines, text/plain
      slow:SECONDS         wait, then the policy of --slow-file
      status:CODE          that status, an empty body
  --slow-file PATH         the policy a slow site serves in the end
  --sink DIR               POST requests (any path) are kept as
                           DIR/post-NNNN.body with DIR/post-NNNN.head
                           (request line and headers) and answered
                           with --post-status (default 200)

Every request is logged to DIR/requests.log (--log DIR): "HOST METHOD
PATH STATUS". --pidfile is written once listening; --lifetime bounds the
run. Only for tests: it serves what it is told, to anyone on loopback.
"""

import argparse
import http.server
import os
import signal
import socketserver
import ssl
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(opts, sites, lock):
    counter = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def note(self, status):
            if not opts.log:
                return
            host = (self.headers.get("Host") or "").split(":")[0]
            with lock:
                with open(os.path.join(opts.log, "requests.log"), "a") as f:
                    f.write("%s %s %s %d\n" % (host, self.command,
                                               self.path, status))

        def answer(self, status, body=b"", ctype="text/plain", extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.note(status)

        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            if self.path != "/.well-known/mta-sts.txt" or host not in sites:
                self.answer(404, b"not found\n")
                return
            mode, arg = sites[host]
            if mode == "file":
                with open(arg, "rb") as f:
                    self.answer(200, f.read())
            elif mode == "type":
                with open(arg, "rb") as f:
                    self.answer(200, f.read(), "text/html")
            elif mode == "redirect":
                self.answer(302, b"", extra=(("Location", arg),))
            elif mode == "big":
                head = (b"version: STSv1\nmode: testing\nmx: mx.%s\n"
                        b"max_age: 86400\n" % host.encode())
                self.answer(200, head + b"\n" * (int(arg) - len(head)))
            elif mode == "slow":
                time.sleep(float(arg))
                with open(opts.slow_file, "rb") as f:
                    self.answer(200, f.read())
            elif mode == "status":
                self.answer(int(arg))
            else:
                self.answer(500)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n)
            if not opts.sink:
                self.answer(404)
                return
            with lock:
                counter[0] += 1
                base = os.path.join(opts.sink, "post-%04d" % counter[0])
            with open(base + ".head", "w") as f:
                f.write("%s %s\n" % (self.command, self.path))
                for k, v in self.headers.items():
                    f.write("%s: %s\n" % (k, v))
            with open(base + ".body", "wb") as f:
                f.write(body)
            self.answer(opts.post_status, b"ok\n")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, help="ADDR[:PORT]")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--site", action="append", default=[])
    ap.add_argument("--slow-file")
    ap.add_argument("--sink")
    ap.add_argument("--post-status", type=int, default=200)
    ap.add_argument("--log")
    ap.add_argument("--pidfile")
    ap.add_argument("--lifetime", type=float, default=600.0)
    opts = ap.parse_args()
    sites = {}
    for s in opts.site:
        host, spec = s.split("=", 1)
        mode, _, arg = spec.partition(":")
        sites[host.lower()] = (mode, arg)
    addr, _, port = opts.listen.partition(":")
    lock = threading.Lock()
    srv = Server((addr, int(port or 443)), make_handler(opts, sites, lock))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Timer(opts.lifetime, lambda: os._exit(0)).start()
    if opts.pidfile:
        with open(opts.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
