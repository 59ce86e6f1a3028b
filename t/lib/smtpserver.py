#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The smtpdirect authors
"""smtpserver.py - a scripted, fault-injecting SMTP server for tests.

Listens on one loopback address, answers like a small ESMTP server and
records what it gets:

  DIR/msg-NNNN.env   envelope: peer, helo, MAIL and RCPT arguments with
                     the replies given, the end-of-data result
  DIR/msg-NNNN.data  the exact DATA bytes received (dot-stuffed, up to
                     but not including the final ".\\r\\n")
  DIR/msg-NNNN.eml   the same with dot-stuffing undone (with BDAT both
                     are the bytes of the BDAT commands, and the .env
                     says "bdat: N" pieces)
  DIR/commands.log   "TIME CONN in LINE" per command received, "TIME CONN
                     flush N" per write of replies (replies are written
                     only when no more input is waiting, as Postfix's
                     smtpd does, so flushes count the client's round
                     trips), plus connect/close lines
  DIR/maxconn        the largest number of simultaneous connections

  DIR/auth.log       per AUTH: connection, mechanism, the decoded user
                     and password (Python repr), whether TLS was up, the
                     reply code
  DIR/tls.log        per STARTTLS: connection, outcome, protocol, cipher
                     and the SNI name the client sent

Faults are chosen with options; STAGE is one of greeting, ehlo, helo,
mail, rcpt, data, body, eod, rset, quit, starttls, auth, bdat (every
BDAT but a LAST one, whose reply is eod's):

  --reply STAGE=REPLY      answer STAGE with REPLY ("451 4.3.0 later");
                           "|" separates lines of a multi-line reply
  --rcpt PATTERN=REPLY     answer RCPT for addresses matching the shell
                           PATTERN (case-insensitive) with REPLY
  --delay STAGE=SECONDS    wait before answering STAGE
  --drop STAGE             close the connection instead of answering
                           (body: after --drop-after bytes of message)
  --garbage STAGE          answer STAGE with bytes that are not SMTP
  --overlong STAGE         answer STAGE with a 5000-byte line
  --multiline              every reply in three lines
  --split                  replies written in 3-byte pieces, with pauses
  --no-pipelining --no-size --no-8bitmime --no-smtputf8 --no-enhanced
  --size N                 the SIZE limit announced and enforced
  --advertise KEYWORD      extra EHLO line
  --chunking               offer CHUNKING (RFC 3030) and take BDAT
  --bdat-refuse N=REPLY    answer the Nth BDAT of a transaction with
                           REPLY; every later BDAT of it gets 503 until
                           RSET (RFC 3030 section 2)
  --rcpt-max N             refuse RCPT beyond N in one transaction with
                           452 4.5.3 (advertise it with --advertise
                           "LIMITS RCPTMAX=N", RFC 9422)
  --rcpt-domain-max N      refuse RCPT of a domain beyond N distinct ones
                           in one transaction with 452 4.5.3
  --mail-max N             answer MAIL beyond N on a connection with
                           421 4.7.0 and close it
  --txn-limit N            after N messages on a connection, close it
                           at the next MAIL without an answer (a kept
                           connection that died while idle)
  --limit-reply REPLY      with --txn-limit: answer that MAIL with REPLY
                           ("421 4.7.0 too many messages"), then close
  --idle-reply REPLY       at the idle timeout, say REPLY ("421 4.4.2
                           timeout exceeded") before closing

STARTTLS and AUTH:

  --tls-cert FILE --tls-key FILE   offer STARTTLS (not again once TLS is
                           up) with this certificate chain and key
  --tls-implicit           TLS from the first byte (RFC 8314, port 465):
                           the handshake, then the greeting; no STARTTLS
  --tls-max VERSION        highest protocol offered (TLSv1.1 ...; below
                           TLSv1.2 also lowers OpenSSL's security level)
  --tls-fail MODE          after "220 Ready": drop (close), garbage (send
                           bytes that are not TLS), inject (send a second
                           reply in the same write as the 220)
  --auth USER:PASS         offer AUTH and accept these credentials (%XX
                           escapes decoded, split at the first ':')
  --auth-mechs "PLAIN LOGIN"  mechanisms offered
  --auth-tls-only          offer AUTH only once TLS is up

Other extensions add cmd_<verb> methods to Session and keywords with
--advertise. AUTH responses are not written to commands.log. Bounded:
line length, message size,
connections, idle time and total lifetime. SIGTERM ends it; the pid
file is written once it listens (readiness) and removed at exit.
"""

import argparse
import base64
import fnmatch
import os
import signal
import socket
import socketserver
import ssl
import sys
import urllib.parse
import threading
import time

STAGES = ("greeting", "ehlo", "helo", "mail", "rcpt", "data", "body",
          "eod", "rset", "quit", "starttls", "auth", "bdat")
LINE_MAX = 4096
CHUNK = 65536
OVERLONG = 5000

DEFAULT = {
    "greeting": "220 smtpserver.test ESMTP smtpserver.py",
    "helo": "250 smtpserver.test",
    "mail": "250 2.1.0 Ok",
    "rcpt": "250 2.1.5 Ok",
    "data": "354 End data with <CR><LF>.<CR><LF>",
    "eod": "250 2.0.0 Ok: queued as {id}",
    "rset": "250 2.0.0 Ok",
    "quit": "221 2.0.0 Bye",
    "noop": "250 2.0.0 Ok",
    "starttls": "220 2.0.0 Ready to start TLS",
    "auth": "235 2.7.0 Authentication successful",
    "bdat": "250 2.0.0 Ok: {n} octets received",
}
TLS_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1,
                "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                "TLSv1.2": ssl.TLSVersion.TLSv1_2,
                "TLSv1.3": ssl.TLSVersion.TLSv1_3}


class Shared:
    """State shared by all connections, under one lock."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.active = 0
        self.maxconn = 0
        self.nconn = 0
        self.nmsg = 0
        self.log = open(os.path.join(opts.dir, "commands.log"), "a",
                        encoding="utf-8", errors="replace")

    def note(self, conn, what):
        with self.lock:
            self.log.write("%.6f %d %s\n" % (time.time(), conn, what))
            self.log.flush()

    def record(self, name, conn, what):
        with self.lock:
            with open(os.path.join(self.opts.dir, name), "a",
                      encoding="utf-8") as f:
                f.write("%d %s\n" % (conn, what))

    def enter(self):
        with self.lock:
            self.nconn += 1
            self.active += 1
            if self.active > self.maxconn:
                self.maxconn = self.active
                path = os.path.join(self.opts.dir, "maxconn")
                with open(path + ".tmp", "w", encoding="ascii") as f:
                    f.write("%d\n" % self.maxconn)
                os.replace(path + ".tmp", path)
            return self.nconn, self.active

    def leave(self):
        with self.lock:
            self.active -= 1

    def next_msg(self):
        with self.lock:
            self.nmsg += 1
            return self.nmsg


class Drop(Exception):
    """Close the connection now, without a reply."""


class Session(socketserver.BaseRequestHandler):
    """One SMTP connection."""

    def setup(self):
        self.sh = self.server.shared
        self.o = self.sh.opts
        self.inbuf = b""
        self.outbuf = []
        self.helo = ""
        self.tls = None
        self.auth_user = None
        self.ntxn = 0
        self.nmail = 0
        self.reset()
        self.request.settimeout(self.o.idle_timeout)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reset(self):
        self.mail = None
        self.rcpts = []
        self.naccepted = 0
        self.domains = set()
        self.bdat_n = 0
        self.bdat_failed = False
        self.bdat_got = 0
        self.bdat_base = None

    # -- replies ---------------------------------------------------------
    def strip_esc(self, line):
        """Remove the enhanced status code when --no-enhanced."""
        parts = line.split(" ", 2)
        if self.o.no_enhanced and len(parts) >= 2 \
                and parts[1][:1].isdigit() and parts[1].count(".") == 2:
            return " ".join([parts[0]] + parts[2:])
        return line

    def reply(self, stage, reply, override=True):
        """Queue REPLY for STAGE, applying the faults chosen for it."""
        delay = self.o.delays.get(stage)
        if delay:
            self.flush()
            time.sleep(delay)
        if stage in self.o.drop:
            raise Drop()
        if stage in self.o.garbage:
            self.outbuf.append(b"\x01garbage \xff\x00 not SMTP at all\r\n")
            return
        if stage in self.o.overlong:
            self.outbuf.append(b"250 " + b"x" * OVERLONG + b"\r\n")
            return
        if override:
            reply = self.o.replies.get(stage, reply)
        lines = [self.strip_esc(x) for x in reply.split("|")]
        code = lines[0][:3]
        if self.o.multiline and len(lines) == 1:
            lines = [code + " first line", code + " second line", lines[0]]
        out = b""
        for i, line in enumerate(lines):
            body = line[4:] if line[:3] == code else line
            sep = " " if i == len(lines) - 1 else "-"
            out += (code + sep + body + "\r\n").encode("utf-8")
        self.outbuf.append(out)

    def flush(self):
        if not self.outbuf:
            return
        data = b"".join(self.outbuf)
        self.outbuf = []
        self.sh.note(self.cid, "flush %d" % len(data))
        if self.o.split:
            for i in range(0, len(data), 3):
                self.request.sendall(data[i:i + 3])
                time.sleep(0.002)
        else:
            self.request.sendall(data)

    # -- input -----------------------------------------------------------
    def fill(self):
        try:
            data = self.request.recv(CHUNK)
        except socket.timeout:
            if self.o.idle_reply:
                self.outbuf.append((self.o.idle_reply + "\r\n").encode())
                self.flush()
            raise Drop()
        if not data:
            raise Drop()
        self.inbuf += data

    def readline(self):
        while True:
            i = self.inbuf.find(b"\n")
            if i >= 0:
                line, self.inbuf = self.inbuf[:i + 1], self.inbuf[i + 1:]
                return line
            if len(self.inbuf) > LINE_MAX:
                self.inbuf = b""
                return None
            self.flush()
            self.fill()

    # -- the conversation ------------------------------------------------
    def handle(self):
        self.cid, active = self.sh.enter()
        peer = "%s:%d" % self.client_address[:2]
        self.sh.note(self.cid, "connect %s active %d" % (peer, active))
        try:
            if active > self.o.max_conn:
                self.outbuf.append(b"421 4.7.0 too many connections\r\n")
                self.flush()
                return
            if self.o.tls_implicit:
                self.start_tls()  # RFC 8314: TLS before the greeting
            self.reply("greeting", DEFAULT["greeting"])
            self.loop()
        except (Drop, OSError):
            pass
        finally:
            self.sh.note(self.cid, "close")
            # The server closes only the socket it accepted, which a
            # TLS socket replaced (detached): close that one now.
            if self.tls is not None:
                try:
                    self.request.close()
                except OSError:
                    pass
            self.sh.leave()

    def loop(self):
        while True:
            line = self.readline()
            if line is None:
                self.reply("line", "500 5.5.2 Error: line too long")
                continue
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            verb = text.split(" ", 1)[0].lower()
            if verb == "auth":
                self.sh.note(self.cid, "in " + " ".join(
                    text.split(" ")[:2]) + " (response not logged)")
            else:
                self.sh.note(self.cid, "in " + text)
            arg = text[len(verb) + 1:] if " " in text else ""
            handler = getattr(self, "cmd_" + verb, None)
            if handler is None:
                self.reply("other", "502 5.5.2 Error: command not recognized")
            elif handler(arg) == "quit":
                self.flush()
                return
            if not self.inbuf:
                self.flush()

    def cmd_ehlo(self, arg):
        self.helo = arg
        self.reset()
        o = self.o
        caps = ["smtpserver.test"]
        if not o.no_pipelining:
            caps.append("PIPELINING")
        if not o.no_size:
            caps.append("SIZE %d" % o.size if o.size else "SIZE")
        if not o.no_8bitmime:
            caps.append("8BITMIME")
        if not o.no_smtputf8:
            caps.append("SMTPUTF8")
        if not o.no_enhanced:
            caps.append("ENHANCEDSTATUSCODES")
        if o.chunking:
            caps.append("CHUNKING")
        if o.tls_cert and self.tls is None:
            caps.append("STARTTLS")
        if o.auth and (self.tls is not None or not o.auth_tls_only):
            caps.append("AUTH " + o.auth_mechs)
        caps.extend(o.advertise)
        self.reply("ehlo", "|".join("250 " + c for c in caps))

    def cmd_helo(self, arg):
        self.helo = arg
        self.reset()
        self.reply("helo", DEFAULT["helo"])

    def cmd_mail(self, arg):
        if self.o.txn_limit and self.ntxn >= self.o.txn_limit:
            if self.o.limit_reply:
                self.outbuf.append((self.o.limit_reply + "\r\n").encode())
                self.flush()
            raise Drop()
        self.nmail += 1
        if self.o.mail_max and self.nmail > self.o.mail_max:
            self.outbuf.append(b"421 4.7.0 Error: too many transactions "
                               b"(MAILMAX)\r\n")
            self.flush()
            raise Drop()
        if self.mail is not None:
            self.reply("mail", "503 5.5.1 Error: nested MAIL command", False)
            return
        size = 0
        for p in arg.split()[1:]:
            if p.upper().startswith("SIZE="):
                size = int(p[5:]) if p[5:].isdigit() else 0
        if self.o.size and size > self.o.size:
            self.reply("mail", "552 5.3.4 Message size exceeds limit", False)
            return
        reply = self.o.replies.get("mail", DEFAULT["mail"])
        if reply.startswith("2"):
            self.mail = arg
        self.reply("mail", reply, False)

    def cmd_rcpt(self, arg):
        if self.mail is None:
            self.reply("rcpt", "503 5.5.1 Error: need MAIL command", False)
            return
        addr = arg.split(":", 1)[-1].strip().split(" ")[0].strip("<>")
        domain = addr.rpartition("@")[2].lower()
        reply = self.o.replies.get("rcpt", DEFAULT["rcpt"])
        for pat, r in self.o.rcpt:
            if fnmatch.fnmatch(addr.lower(), pat.lower()):
                reply = r
                break
        if self.o.rcpt_max and len(self.rcpts) >= self.o.rcpt_max:
            reply = "452 4.5.3 Error: too many recipients (RCPTMAX)"
        elif self.o.rcpt_domain_max and domain not in self.domains and \
                len(self.domains) >= self.o.rcpt_domain_max:
            reply = "452 4.5.3 Error: too many domains (RCPTDOMAINMAX)"
        if reply.startswith("2"):
            self.naccepted += 1
            self.domains.add(domain)
        self.rcpts.append("%s %s" % (arg, reply[:3]))
        self.reply("rcpt", reply, False)

    def cmd_data(self, arg):
        if self.mail is None or self.naccepted == 0:
            self.reply("data", "554 5.5.1 Error: no valid recipients")
            return
        reply = self.o.replies.get("data", DEFAULT["data"])
        self.reply("data", reply, False)
        if not reply.startswith("354"):
            return
        self.flush()
        self.receive()

    # -- BDAT (RFC 3030) --------------------------------------------------
    def cmd_bdat(self, arg):
        parts = arg.split()
        last = len(parts) == 2 and parts[1].upper() == "LAST"
        if not self.o.chunking or not parts or not parts[0].isdigit() \
                or len(parts) > 2 or (len(parts) == 2 and not last):
            # The size is unknown: nothing can follow in step.
            self.reply("other", "501 5.5.4 Syntax: BDAT size [LAST]",
                       False)
            self.flush()
            raise Drop()
        size = int(parts[0])
        self.bdat_n += 1
        refuse = self.o.bdat_refuse.get(self.bdat_n)
        if self.mail is None or self.naccepted == 0:
            refuse = "503 5.5.1 Error: need MAIL and RCPT before BDAT"
        elif self.bdat_failed:
            refuse = "503 5.5.1 Error: an earlier BDAT failed"
        if self.bdat_base is None:
            self.bdat_base = os.path.join(
                self.o.dir, "msg-%04d" % self.sh.next_msg())
            for ext in (".data", ".eml"):
                open(self.bdat_base + ext, "wb").close()
        with open(self.bdat_base + ".data", "ab") as raw, \
                open(self.bdat_base + ".eml", "ab") as eml:
            while size > 0:
                if not self.inbuf:
                    self.fill()
                piece = self.inbuf[:size]
                self.inbuf = self.inbuf[len(piece):]
                size -= len(piece)
                self.bdat_got += len(piece)
                if self.bdat_got > self.o.max_message:
                    raise Drop()
                raw.write(piece)
                eml.write(piece)
                if "body" in self.o.drop and \
                        self.bdat_got >= self.o.drop_after:
                    raise Drop()
        if refuse is not None:
            self.bdat_failed = True
            self.bdat_env("refused " + refuse)
            self.reply("bdat", refuse, False)
            return
        if not last:
            self.reply("bdat", self.o.replies.get("bdat", DEFAULT["bdat"])
                       .replace("{n}", parts[0]), False)
            return
        n = int(os.path.basename(self.bdat_base)[4:])
        result = self.o.replies.get("eod", DEFAULT["eod"])
        result = result.replace("{id}", "%04d" % n)
        self.bdat_env(result)
        if result.startswith("2"):
            self.ntxn += 1
        self.reply("eod", result, False)
        self.reset()

    def bdat_env(self, result):
        env = ["peer: %s:%d" % self.client_address[:2],
               "helo: " + self.helo, "mail: %s" % self.mail,
               "tls: %s" % (self.tls or "none"),
               "auth: %r" % self.auth_user]
        env += ["rcpt: " + r for r in self.rcpts]
        env += ["bdat: %d" % self.bdat_n, "result: " + result]
        with open(self.bdat_base + ".env", "w", encoding="utf-8") as f:
            f.write("\n".join(env) + "\n")

    def cmd_rset(self, arg):
        self.reset()
        self.reply("rset", DEFAULT["rset"])

    def cmd_noop(self, arg):
        self.reply("noop", DEFAULT["noop"])

    def cmd_quit(self, arg):
        self.reply("quit", DEFAULT["quit"])
        return "quit"

    # -- STARTTLS (RFC 3207) ----------------------------------------------
    def tls_context(self):
        o = self.o
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if o.tls_max:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = TLS_VERSIONS[o.tls_max]
        ctx.load_cert_chain(o.tls_cert, o.tls_key)

        def on_sni(sock, name, context):
            self.sni = name
        self.sni = None
        ctx.sni_callback = on_sni
        return ctx

    def cmd_starttls(self, arg):
        if not self.o.tls_cert or self.tls is not None:
            self.reply("other", "502 5.5.1 Error: command not implemented")
            return
        if self.inbuf:
            self.reply("other", "501 5.5.1 Error: pipelined STARTTLS")
            return
        reply = self.o.replies.get("starttls", DEFAULT["starttls"])
        self.reply("starttls", reply, False)
        if not reply.startswith("220"):
            return
        mode = self.o.tls_fail
        if mode == "inject":
            self.outbuf.append(b"250 2.0.0 injected before TLS\r\n")
        self.flush()
        if mode == "drop":
            self.sh.record("tls.log", self.cid, "dropped")
            raise Drop()
        if mode == "garbage":
            self.request.sendall(b"\x01this is not TLS\r\n" * 4)
            self.sh.record("tls.log", self.cid, "garbage")
            raise Drop()
        self.start_tls()
        # RFC 3207 4.2: forget everything learnt before TLS.
        self.helo = ""
        self.reset()

    def start_tls(self):
        """The server's side of the handshake, on the accepted socket."""
        try:
            sock = self.tls_context().wrap_socket(self.request,
                                                  server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.sh.record("tls.log", self.cid, "failed %s" % e)
            raise Drop()
        self.request = sock
        self.tls = "%s %s" % (sock.version(), sock.cipher()[0])
        self.sh.record("tls.log", self.cid, "ok %s sni=%s" % (
            self.tls, self.sni))

    # -- AUTH (RFC 4954) --------------------------------------------------
    def auth_line(self):
        self.flush()
        line = self.readline()
        if line is None:
            raise Drop()
        return line.strip()

    def b64(self, data):
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            return None

    def cmd_auth(self, arg):
        o = self.o
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        if not o.auth or (o.auth_tls_only and self.tls is None):
            self.reply("other", "503 5.5.1 Error: authentication not "
                       "enabled")
            return
        if self.auth_user is not None:
            self.reply("other", "503 5.5.1 Error: already authenticated")
            return
        if mech not in o.auth_mechs.split():
            self.reply("other", "504 5.5.4 Unsupported authentication "
                       "mechanism")
            return
        if mech == "PLAIN":
            resp = parts[1].encode() if len(parts) > 1 else None
            if resp is None:
                self.outbuf.append(b"334 \r\n")
                resp = self.auth_line()
            raw = self.b64(resp) if resp != b"*" else None
            fields = raw.split(b"\0") if raw is not None else []
            user, pw = (fields[1], fields[2]) if len(fields) == 3 \
                else (None, None)
        else:
            self.outbuf.append(b"334 VXNlcm5hbWU6\r\n")
            u = self.auth_line()
            user = self.b64(u) if u != b"*" else None
            pw = None
            if user is not None:
                self.outbuf.append(b"334 UGFzc3dvcmQ6\r\n")
                p = self.auth_line()
                pw = self.b64(p) if p != b"*" else None
        if user is None or pw is None:
            self.sh.record("auth.log", self.cid, "mech=%s aborted tls=%s"
                           % (mech, "yes" if self.tls else "no"))
            self.reply("other", "501 5.7.0 Authentication aborted")
            return
        good = (user, pw) == o.auth_cred
        reply = o.replies.get("auth", DEFAULT["auth"]) if good else \
            "535 5.7.8 Error: authentication failed: bad credentials"
        self.sh.record("auth.log", self.cid,
                       "mech=%s user=%r pass=%r tls=%s code=%s" % (
                           mech, user, pw, "yes" if self.tls else "no",
                           reply[:3]))
        if reply.startswith("235"):
            self.auth_user = user
        self.reply("auth", reply, False)

    # -- DATA ------------------------------------------------------------
    def receive(self):
        n = self.sh.next_msg()
        base = os.path.join(self.o.dir, "msg-%04d" % n)
        env = ["peer: %s:%d" % self.client_address[:2],
               "helo: " + self.helo, "mail: " + self.mail,
               "tls: %s" % (self.tls or "none"),
               "auth: %r" % self.auth_user]
        env += ["rcpt: " + r for r in self.rcpts]
        result = "dropped"
        try:
            with open(base + ".data", "wb") as raw, \
                    open(base + ".eml", "wb") as eml:
                self.body(raw, eml)
            result = self.o.replies.get("eod", DEFAULT["eod"])
            result = result.replace("{id}", "%04d" % n)
            self.ntxn += 1
            self.reply("eod", result, False)
        finally:
            with open(base + ".env", "w", encoding="utf-8") as f:
                f.write("\n".join(env + ["result: " + result]) + "\n")
            self.reset()

    def body(self, raw, eml):
        got = 0
        bol = True
        while True:
            i = self.inbuf.find(b"\n")
            if i < 0 and len(self.inbuf) < CHUNK:
                self.fill()
                continue
            piece = self.inbuf[:i + 1] if i >= 0 else self.inbuf
            if bol and piece in (b".\r\n", b".\n"):
                self.inbuf = self.inbuf[len(piece):]
                return
            self.inbuf = self.inbuf[len(piece):]
            got += len(piece)
            if got > self.o.max_message:
                raise Drop()
            if "body" in self.o.drop and got >= self.o.drop_after:
                raw.write(piece)
                raise Drop()
            raw.write(piece)
            eml.write(piece[1:] if bol and piece[:1] == b"." else piece)
            bol = i >= 0


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--reply", action="append", default=[])
    ap.add_argument("--rcpt", action="append", default=[])
    ap.add_argument("--delay", action="append", default=[])
    ap.add_argument("--drop", action="append", default=[], choices=STAGES)
    ap.add_argument("--drop-after", type=int, default=0)
    ap.add_argument("--garbage", action="append", default=[],
                    choices=STAGES)
    ap.add_argument("--overlong", action="append", default=[],
                    choices=STAGES)
    ap.add_argument("--multiline", action="store_true")
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--no-pipelining", action="store_true")
    ap.add_argument("--no-size", action="store_true")
    ap.add_argument("--no-8bitmime", action="store_true")
    ap.add_argument("--no-smtputf8", action="store_true")
    ap.add_argument("--no-enhanced", action="store_true")
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--advertise", action="append", default=[])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-max", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--tls-fail", choices=("drop", "garbage", "inject"))
    ap.add_argument("--tls-implicit", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--auth-mechs", default="PLAIN LOGIN")
    ap.add_argument("--auth-tls-only", action="store_true")
    ap.add_argument("--max-conn", type=int, default=50)
    ap.add_argument("--txn-limit", type=int, default=0)
    ap.add_argument("--chunking", action="store_true")
    ap.add_argument("--bdat-refuse", action="append", default=[])
    ap.add_argument("--rcpt-max", type=int, default=0)
    ap.add_argument("--rcpt-domain-max", type=int, default=0)
    ap.add_argument("--mail-max", type=int, default=0)
    ap.add_argument("--limit-reply")
    ap.add_argument("--idle-reply")
    ap.add_argument("--idle-timeout", type=float, default=30.0)
    ap.add_argument("--lifetime", type=float, default=600.0)
    ap.add_argument("--max-message", type=int, default=256 << 20)
    o = ap.parse_args(argv)
    o.replies = {}
    for r in o.reply:
        stage, _, text = r.partition("=")
        if stage not in STAGES or len(text) < 3:
            ap.error("bad --reply %r" % r)
        o.replies[stage] = text
    o.rcpt = [tuple(r.split("=", 1)) for r in o.rcpt]
    refuse, o.bdat_refuse = o.bdat_refuse, {}
    for r in refuse:
        n, _, text = r.partition("=")
        if not n.isdigit() or len(text) < 3:
            ap.error("bad --bdat-refuse %r" % r)
        o.bdat_refuse[int(n)] = text
    if o.tls_cert and not o.tls_key:
        ap.error("--tls-cert needs --tls-key")
    o.auth_cred = None
    if o.auth:
        user, _, pw = o.auth.partition(":")
        o.auth_cred = (urllib.parse.unquote_to_bytes(user),
                       urllib.parse.unquote_to_bytes(pw))
    o.auth_mechs = o.auth_mechs.upper()
    o.delays = {}
    for d in o.delay:
        stage, _, sec = d.partition("=")
        if stage not in STAGES:
            ap.error("bad --delay %r" % d)
        o.delays[stage] = float(sec)
    return o


def main(argv):
    o = parse_args(argv)
    host, _, port = o.listen.rpartition(":")
    if not host.startswith("127.") and host != "::1":
        sys.exit("smtpserver.py: loopback addresses only")
    os.makedirs(o.dir, exist_ok=True)
    srv = Server((host, int(port)), Session)
    srv.shared = Shared(o)
    stop = threading.Event()

    def on_term(signum, frame):
        stop.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    timer = threading.Timer(o.lifetime, on_term, (0, None))
    timer.daemon = True
    timer.start()
    if o.pidfile:
        with open(o.pidfile + ".tmp", "w", encoding="ascii") as f:
            f.write("%d\n" % os.getpid())
        os.replace(o.pidfile + ".tmp", o.pidfile)
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()
        if o.pidfile:
            try:
                os.unlink(o.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
