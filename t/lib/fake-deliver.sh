#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fake-deliver.sh - a test stand-in for "smtpdirect deliver" and
# "smtpdirect route -o exim", used only to prove the MTA test harness
# (t/lib/postfix.sh, t/lib/exim.sh) while the real commands are not built:
#
#   SMTPDIRECT=$TOP/t/lib/fake-deliver.sh bash t/integration/60-postfix-pipe.sh.pending
#
# It takes the arguments, environment and standard input of SPEC section 2
# and answers with the same exit statuses and one stderr line starting with
# an RFC 3463 code. It understands just enough of the configuration
# (dns_overrides, state_dir, helo_name, connect_timeout) and of the
# override map (patterns with "*", HOST[:PORT] targets, $priority,
# $retries, $size, $end) to route to loopback test servers; it never
# looks up DNS: a domain no override line matches is deferred (4.3.0).
# Retry counts and delivered recipients are kept per queue id and header
# fingerprint in STATE_DIR/fake-deliver/. It is not the product.
#
# The Python program is read from file descriptor 3 so that standard
# input stays the message.
exec /usr/bin/python3 /dev/fd/3 "$@" 3<<'PYTHON'
import hashlib, json, os, re, smtplib, socket, sys

EX_OK, EX_NOUSER, EX_NOHOST, EX_UNAVAILABLE, EX_TEMPFAIL = 0, 67, 68, 69, 75
EX_CONFIG = EX_TEMPFAIL


def die(code, line):
    """die - print the one stderr line and exit with CODE"""
    sys.stderr.write(line.replace("\n", " ") + "\n")
    sys.exit(code)


def read_conf(path):
    """read_conf - the few configuration keys the stub uses"""
    conf = {"dns_overrides": "/etc/smtpdirect/overrides",
            "state_dir": "/var/lib/smtpdirect",
            "helo_name": socket.getfqdn(), "connect_timeout": "30"}
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if "=" not in line:
                    die(EX_CONFIG, "4.3.5 %s:%d: expected name = value" % (path, n))
                k, v = (s.strip() for s in line.split("=", 1))
                conf[k] = v
    except FileNotFoundError:
        if path_given:
            die(EX_CONFIG, "4.3.5 %s: no such file" % path)
    conf["connect_timeout"] = float(re.sub(r"[smh]$", "", conf["connect_timeout"]) or 30)
    return conf


def holds(op, a, b):
    """holds - compare A to B with a qualifier operator"""
    return {"<>": a != b, "<": a < b, "=": a == b, ">": a > b,
            ">=": a >= b, "<=": a <= b}[op]


def number(s):
    """number - a qualifier number with an optional K, M or G suffix"""
    m = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
    return int(s[:-1]) * m[s[-1].upper()] if s[-1].upper() in m else int(s)


def route(conf, domain, size, retries):
    """route - [(priority, host, port)] for DOMAIN, or None (no override)"""
    path = conf["dns_overrides"]
    if not path:
        return None
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        die(EX_CONFIG, "4.3.5 %s: %s" % (path, e.strerror))
    found = []
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) < 2:
            die(EX_CONFIG, "4.3.5 %s:%d:1: missing target" % (path, n))
        pat = "^" + re.escape(words[0].lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$"
        if not re.match(pat, domain.lower()):
            continue
        prio, end, ok = 10, False, True
        for q in words[2:]:
            m = re.match(r"^\$(size|retries)(<>|<=|>=|<|=|>)(\d+[KMGkmg]?)$", q)
            if m:
                have = size if m.group(1) == "size" else retries
                ok = ok and holds(m.group(2), have, number(m.group(3)))
            elif q.startswith("$priority:"):
                prio = int(q.split(":", 1)[1])
            elif q == "$end":
                end = True
        if not ok:
            continue
        target = words[1].rsplit("@", 1)[-1]
        m = re.match(r"^(\[[^]]+\]|[^:]+)(?::(\d+))?$", target)
        if not m:
            die(EX_CONFIG, "4.3.5 %s:%d:%d: malformed target" % (path, n, len(words[0]) + 2))
        found.append((prio, len(found), m.group(1).strip("[]"), int(m.group(2) or 25)))
        if end:
            break
    if not found:
        return None
    return [(p, h, port) for p, _, h, port in sorted(found)]


def status_of(reply):
    """status_of - the enhanced status code of an SMTP reply, or one made up"""
    m = re.match(r"^([245]\.\d{1,3}\.\d{1,3})\b", reply)
    if m:
        return m.group(1)
    return "4.0.0" if reply.startswith("4") else "5.0.0"


def send(conf, host, port, sender, rcpts, body, results):
    """send - one SMTP transaction; fills RESULTS[rcpt] = (kind, dsn, text)"""
    where = "%s[%s]:%d" % (host, host, port)
    try:
        s = smtplib.SMTP(host, port, local_hostname=conf["helo_name"],
                         timeout=conf["connect_timeout"])
    except OSError as e:
        return "4.4.1 connect to %s: %s" % (where, e.strerror or e)
    try:
        code, msg = s.ehlo()
        if code != 250:
            code, msg = s.helo()
        code, msg = s.mail(sender)
        if code != 250:
            text = "%d %s" % (code, msg.decode(errors="replace"))
            kind = "temp" if code < 500 else "perm"
            for r in rcpts:
                results[r] = (kind, status_of(text[4:]), "host %s said: %s (in reply to MAIL FROM command)" % (where, text))
            return None
        ok = []
        for r in rcpts:
            code, msg = s.rcpt(r)
            text = "%d %s" % (code, msg.decode(errors="replace"))
            if code in (250, 251):
                ok.append(r)
            else:
                results[r] = ("temp" if code < 500 else "perm", status_of(text[4:]),
                              "host %s said: %s (in reply to RCPT TO command)" % (where, text))
        if ok:
            try:
                code, msg = s.data(body)
                text = "%d %s" % (code, msg.decode(errors="replace"))
                for r in ok:
                    results[r] = ("sent", "2.0.0", "relay=%s %s" % (where, text))
            except smtplib.SMTPDataError as e:
                text = "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace"))
                for r in ok:
                    results[r] = ("temp" if e.smtp_code < 500 else "perm", status_of(text[4:]),
                                  "host %s said: %s (in reply to end of DATA command)" % (where, text))
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return None
    except (OSError, smtplib.SMTPException) as e:
        return "4.4.2 lost connection with %s: %s" % (where, e)


def cmd_route(args):
    """cmd_route - route [-c FILE] [-s SIZE] [-r RETRIES] -o exim DOMAIN"""
    size, retries, conf_path = 0, 0, None
    while args and args[0].startswith("-"):
        o = args.pop(0)
        if o == "-c":
            conf_path = args.pop(0)
        elif o == "-s":
            size = int(args.pop(0))
        elif o == "-r":
            retries = int(args.pop(0))
        elif o == "-o":
            args.pop(0)
    if len(args) != 1:
        die(64, "usage: route [-c FILE] [-s SIZE] [-r RETRIES] [-o exim] DOMAIN")
    global path_given, EX_CONFIG
    path_given = conf_path is not None
    EX_CONFIG = 78
    conf = read_conf(conf_path or os.environ.get("SMTPDIRECT_CONF", "/etc/smtpdirect/smtpdirect.conf"))
    hosts = route(conf, args[0].rsplit("@", 1)[-1], size, retries)
    if hosts is None:
        print("DECLINE")
        return 0
    items = ["[%s]:%d" % (h, p) if ":" in h else "%s:%d" % (h, p) for _, h, p in hosts]
    print("ACCEPT HOSTS=<;%s LOOKUP=byname" % ";".join(items))
    return 0


def cmd_deliver(args):
    """cmd_deliver - deliver [-c FILE] -f SENDER [-q QID] [-r N] -- RCPT..."""
    conf_path, sender, qid, force_retries = None, None, None, None
    while args:
        o = args.pop(0)
        if o == "--":
            break
        if o in ("-c", "-f", "-q", "-r", "-E") and not args:
            die(EX_TEMPFAIL, "4.3.0 option %s needs a value" % o)
        if o == "-E" or o.startswith("--orcpt="):
            # RFC 3461 parameters: the stand-in does not pass them on.
            if o == "-E":
                args.pop(0)
        elif o == "-c":
            conf_path = args.pop(0)
        elif o == "-f":
            sender = args.pop(0)
        elif o == "-q":
            qid = args.pop(0)
        elif o == "-r":
            force_retries = int(args.pop(0))
        else:
            die(EX_TEMPFAIL, "4.3.0 unknown option %s" % o)
    rcpts = args
    if sender is None:
        sender = os.environ.get("SENDER")
    if qid is None:
        qid = os.environ.get("MESSAGE_ID", "")
    if sender is None or not rcpts:
        die(EX_TEMPFAIL, "4.3.0 usage: deliver [-c FILE] -f SENDER [-q QUEUE_ID] [-r RETRIES] -- RECIPIENT...")
    if sender == "<>":
        sender = ""
    global path_given
    path_given = conf_path is not None
    conf = read_conf(conf_path or os.environ.get("SMTPDIRECT_CONF", "/etc/smtpdirect/smtpdirect.conf"))
    raw = sys.stdin.buffer.read()
    body = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head = body.split(b"\r\n\r\n", 1)[0]
    key = "%s-%s" % (re.sub(r"[^A-Za-z0-9._-]", "_", qid), hashlib.sha256(head).hexdigest()[:16])
    sdir = os.path.join(conf["state_dir"], "fake-deliver")
    os.makedirs(sdir, mode=0o700, exist_ok=True)
    spath = os.path.join(sdir, key + ".json")
    try:
        state = json.load(open(spath))
    except (OSError, ValueError):
        state = {}
    results = {}
    todo = {}
    for r in rcpts:
        st = state.setdefault(r, {"retries": 0, "delivered": False})
        if st["delivered"]:
            results[r] = ("sent", "2.0.0", "delivered in an earlier attempt")
        else:
            todo.setdefault(r.rsplit("@", 1)[-1].lower(), []).append(r)
    for domain, group in todo.items():
        n = force_retries if force_retries is not None else state[group[0]]["retries"]
        hosts = route(conf, domain, len(body), n)
        if hosts is None:
            for r in group:
                results[r] = ("temp", "4.3.0", "fake-deliver does no DNS: no override line matches %s" % domain)
            continue
        last = None
        for _, host, port in hosts:
            left = [r for r in group if r not in results or results[r][0] == "temp"]
            for r in left:
                results.pop(r, None)
            last = send(conf, host, port, sender, left, body, results)
            if last is None and all(results[r][0] != "temp" for r in left):
                break
        for r in group:
            if r not in results:
                results[r] = ("temp", last[:5], last[6:])
    worst = None
    for r in rcpts:
        kind, dsn, text = results[r]
        st = state[r]
        if kind == "sent":
            st["delivered"] = True
        elif kind == "temp":
            st["retries"] += 1
        if kind != "sent" and (worst is None or (worst[0] == "temp" and kind == "perm")):
            worst = (kind, dsn, text)
    with open(spath + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(spath + ".tmp", spath)
    if worst is None:
        return EX_OK
    kind, dsn, text = worst
    if kind == "temp":
        die(EX_TEMPFAIL, "%s %s" % (dsn, text))
    perm = [results[r][1] for r in rcpts if results[r][0] == "perm"]
    die(EX_NOUSER if all(c == "5.1.1" for c in perm) else EX_UNAVAILABLE, "%s %s" % (dsn, text))


path_given = False
argv = sys.argv[1:]
if argv and argv[0] == "deliver":
    sys.exit(cmd_deliver(argv[1:]))
if argv and argv[0] == "route":
    sys.exit(cmd_route(argv[1:]))
die(64, "fake-deliver: usage: fake-deliver.sh deliver|route ...")
PYTHON
