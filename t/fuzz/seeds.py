#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Writes the first seed inputs of t/fuzz/corpus/NAME (fuzz.h). Run once
# from the top of the tree; `make fuzz` grows the corpora from there.
# Seeds are named seed-*, so running it again rewrites only them.
import os
import struct

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(TOP, "t", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def ovr():
    with open(os.path.join(TOP, "conf-examples", "overrides"), "rb") as f:
        put("ovr", "conf-example", f.read())
    put("ovr", "mixed",
        "example.org big.relay:2525 $size>10M\n"
        "*.example.org fred:s%23cret@[192.0.2.1]:587 $priority:5 $end\n"
        "*.*.test [2001:db8::1] $retries>=4 $retries<9 $tls:verify\n"
        "# comment\n\xef\xbb\xbfbad line $size<=\n"
        "* fallback.isp $retries>4 $priority:1\n"
        "a.test b.test $size\u21d01K $size<>0\r\n")
    put("ovr", "errors", "x\n$end\n* * *\nexample.org relay:99999\n"
        "example.org u:p@:25\nexample.org relay $priority:70000\n")


def cfg():
    with open(os.path.join(TOP, "conf-examples", "smtpdirect.conf"), "rb") as f:
        put("cfg", "conf-example", f.read())
    put("cfg", "odd", "max_concurrent = 0\nunknown_key = 1\n"
        "dns_cache_size=\n tls_policy = bogus\nsession_cache_time = 5x\n"
        "helo_name = \"quoted\"\n# comment\n=\n")


def reply():
    put("reply", "multi", "\x01220-mx.test ESMTP\r\n220 ready\r\n"
        "250-mx.test\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 STARTTLS\r\n")
    put("reply", "esc", "\x01550 5.1.1 <a@b>: no such user\r\n"
        "451 4.7.1\xff Greylisted\n421-4.3.0 bye\r\n421 4.3.0 bye\r\n")
    put("reply", "bad", "\x00250-a\r\n251 b\r\n2x0 c\r\n" + "9" * 600 + "\n")


def dns_q(flags2, an, ns, rrs):
    # An odd piece: the query's header and question, then these.
    return bytes([1, flags2]) + struct.pack(">HH", an, ns) + b"\0" + rrs


def name(n):
    out = b""
    for label in n.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, data, ttl=300):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(data)) + data


QNAME = b"\xc0\x0c"  # pointer to the question's name
SEP = b"\xde\xad"


def dns():
    mx = rr(QNAME, 15, struct.pack(">H", 10) + name("mx.fuzz.test")) + \
        rr(QNAME, 15, struct.pack(">H", 20) + b"\x03mx2\xc0\x0c")
    a = rr(QNAME, 1, bytes([127, 0, 0, 2]))
    aaaa = rr(QNAME, 28, bytes(15) + b"\x01")
    put("dns", "mx", b"\x00" + dns_q(0, 2, 0, mx) + SEP + dns_q(0, 1, 0, a) +
        SEP + dns_q(0, 1, 0, aaaa) + SEP + dns_q(0, 1, 0, a) + SEP +
        dns_q(3, 0, 0, b""))
    put("dns", "nullmx", b"\x00" +
        dns_q(0, 1, 0, rr(QNAME, 15, struct.pack(">H", 0) + b"\0")))
    soa = rr(name("test"), 6, name("ns.test") + name("h.test") +
             struct.pack(">IIIII", 1, 1, 1, 1, 60))
    put("dns", "nxdomain", b"\x00" + dns_q(3, 0, 1, soa))
    cname = rr(QNAME, 5, name("alias.fuzz.test")) + \
        rr(name("alias.fuzz.test"), 1, bytes([192, 0, 2, 1]))
    put("dns", "cname", b"\x01" + dns_q(0, 2, 0, cname) + SEP +
        dns_q(0, 0, 0, b""))
    put("dns", "loop", b"\x04" + dns_q(0, 1, 0, rr(b"\xc0\x2a", 28, bytes(16))))
    tlsa = rr(QNAME, 52, bytes([3, 1, 1]) + bytes(range(32)))
    put("dns", "tlsa", b"\x02" + dns_q(0x20, 1, 0, tlsa))
    # TXT (first byte 0x84: 4 modulo 5, 128 or more): two records, one
    # of two strings.
    txt = rr(QNAME, 16, b"\x08v=STSv1;\x07 id=abc") + \
        rr(QNAME, 16, b"\x0bv=spf1 -all")
    put("dns", "txt", b"\x84" + dns_q(0, 2, 0, txt))
    # A whole reply: ID (overwritten), flags with TC, then nothing.
    put("dns", "raw-tc", b"\x03\x00" + b"\x00\x00\x82\x00" + bytes(8))


def wire():
    def req(conf, sender, qid, rcpts, nrcpt=None, envid="", orcpts=()):
        hint = struct.pack("<QQII", 1, 2, 4, 10000)
        fixed = struct.pack("<qqiIII", 12345, -1, 0,
                            len(rcpts) if nrcpt is None else nrcpt,
                            len(orcpts), 0)
        strs = b"".join(s.encode() + b"\0"
                        for s in [conf, sender, qid, envid] + rcpts +
                        list(orcpts))
        return hint + fixed + strs

    def msg(op, key, blob):
        return struct.pack("<IBxHH2x", 0x53434331, ord(op), len(key),
                           len(blob)) + key + blob

    good = req("/etc/smtpdirect.conf", "a@b.test", "Q1", ["c@d.test", "e@f.test"])
    put("wire", "deliver", msg("D", b"", good))
    put("wire", "dsn", msg("D", b"", req(
        "/etc/smtpdirect.conf", "a@b.test", "Q2", ["c@d.test", "e@f.test"],
        envid="Q2 id+=", orcpts=("orig@d.test", ""))))
    put("wire", "several", msg("G", b"smtp 127.0.0.1 25 h may", b"") +
        b"\xff\xfe" + msg("D", b"", req("relative", "", "", ["x"])) +
        b"\xff\xfe" + msg("D", b"", good[:-3]) + b"\xff\xfe" +
        msg("D", b"", req("/c", "a\r\nRCPT", "", ["b"], nrcpt=3)))


def mlt_hdr():
    put("mlt_hdr", "names", "Received\nX-SMTPDirect-Route\nx-smtpdirect-route\n"
        "X-SMTPDirect-Transport\nSubject\nX-SMTPDirect-\n<user@example.org>")
    put("mlt_hdr", "rcpt", "X-SMTPDIRECT-A\n" + "u\x01\xff" * 200 + "@x")


def spool():
    put("spool", "headers", "Received: by x\r\nX-SMTPDirect-Route: a\r\n"
        " folded\r\nSubject: hi\n\tmore\nx-smtpdirect-transport: b\n"
        "\n.dot\n..two\r\nbare\rcr\n.")
    put("spool", "nohdr", "\n.\n\r\n.\r\nend\r")
    put("spool", "noeol", "Subject: x\nX-SMTPDirect-Tail")


def mime():
    # The first byte: the size of the pieces the input is cut into.
    put("mime", "multipart", b"\x07Content-Type: multipart/mixed; "
        b"boundary=\"b\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"pre\r\n--b\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"Subject: caf\xc3\xa9\r\n\r\n\xe9 = x \r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: "
        b"multipart/digest; boundary=c\r\n\r\n--c\r\n\r\nX: y\r\n"
        b"\r\n--c--\r\n--b--\r\nepi\r\n")
    put("mime", "plain", b"\x00Content-Type: multipart/alternative; "
        b"boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n"
        b"hello\r\n--x--\r\n")
    put("mime", "long", b"\xffContent-Transfer-Encoding: binary\r\n\r\n" +
        b"\xe9\r" * 5000 + b"\r\n")


def cmap():
    # 3-byte patches (offset little endian, new byte) of the good file.
    put("cmap", "none", b"")
    put("cmap", "header", bytes([8, 0, 0xff, 16, 0, 0, 40, 0, 7]))
    put("cmap", "body", bytes([0x80, 1, 0xff, 0x90, 1, 0x7f, 0xa0, 1, 0,
                               0x10, 2, 0xff]))


def sts():
    # Even first byte: TXT records cut at 0xff; odd: a policy body,
    # then MX host names.
    put("sts", "txt", b"\x00v=spf1 -all\xffv=STSv1; id=20160831085700Z;")
    put("sts", "txt-several", b"\x00v=STSv1; id=a\xffv=STSv1;id=b; x=y")
    put("sts", "txt-bad", b"\x00v=STSv1 ;\tid=a b;;")
    put("sts", "policy", b"\x01version: STSv1\r\nmode: enforce\r\n"
        b"mx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"
        b"\xffmail.example.com\xffa.example.net\xffa.b.example.net")
    put("sts", "policy-odd", b"\x01\nversion:STSv1\nmode: testing\n"
        b"mode: none\nmx: A.B.\nmax_age: 9999999999\next.x: v a l\n\n"
        b"\xffa.b.\xff*.b")


def tlsrpt():
    # Even first byte: TXT records cut at 0xff; odd: a stored record.
    put("tlsrpt", "txt", b"\x00v=spf1 -all\xffv=TLSRPTv1; "
        b"rua=mailto:tlsrpt@example.com,https://r.example/v1 ;x=y")
    put("tlsrpt", "txt-bad", b"\x00v=TLSRPTv1;rua=;\xffv=TLSRPTv1 rua=x")
    put("tlsrpt", "rec", b"\x01tlsrpt 1\nP\t1\t3\t2\tid1\t"
        b"version: STSv1\\nmode: testing\\nmx: *.a.test\\nmax_age: 86400"
        b"\t*.a.test\nF\t0\t2\t2\t192.0.2.1\tmx.a.test\t198.51.100.7\t"
        b"hostname\\tmismatch\nP\t0\t1\t0\t\t\t\n")


for f in (ovr, cfg, reply, dns, wire, mlt_hdr, spool, mime, cmap, sts,
          tlsrpt):
    f()
