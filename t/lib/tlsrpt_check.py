#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The smtpdirect authors
"""tlsrpt_check.py - read and check SMTP TLS reports (RFC 8460) for tests.

  tlsrpt_check.py mail FILE       a mailed report (section 5.3): check the
                                  headers and the multipart/report, print
                                  the gunzipped JSON on one line
  tlsrpt_check.py post HEAD BODY  an HTTPS upload (section 5.2): check the
                                  request and its Content-Type, print the
                                  gunzipped JSON on one line
  tlsrpt_check.py json FILE [DOMAIN:TYPE:OK:FAILED[:RESULT=N...]]...
                                  every line of FILE is a report: check it
                                  against section 4 (fields, types, the
                                  summary against the failure details),
                                  then that each expectation holds for a
                                  policy of the named domain and type

Exit status 0 when every check holds; otherwise 1 with the reasons on
standard error.
"""

import email
import email.policy
import gzip
import json
import re
import sys

TYPES = {"tlsa", "sts", "no-policy-found"}
RESULTS = {"starttls-not-supported", "certificate-host-mismatch",
           "certificate-expired", "certificate-not-trusted",
           "validation-failure", "tlsa-invalid", "dnssec-invalid",
           "dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
           "sts-webpki-invalid"}
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
problems = []


def bad(msg):
    problems.append(msg)


def check_policy(rep, p):
    pol = p.get("policy")
    if not isinstance(pol, dict):
        bad("policy without a policy object")
        return
    if pol.get("policy-type") not in TYPES:
        bad("bad policy-type %r" % pol.get("policy-type"))
    if not isinstance(pol.get("policy-domain"), str):
        bad("policy without policy-domain")
    for k in ("policy-string", "mx-host"):
        if k in pol and not (isinstance(pol[k], list) and
                             all(isinstance(x, str) for x in pol[k])):
            bad("%s is not a list of strings" % k)
    if pol.get("policy-type") == "sts" and "policy-string" in pol:
        if pol["policy-string"][0] != "version: STSv1":
            bad("sts policy-string does not begin with the version")
    s = p.get("summary")
    if not isinstance(s, dict):
        bad("policy without summary")
        return
    for k in ("total-successful-session-count",
              "total-failure-session-count"):
        if not isinstance(s.get(k), int) or s[k] < 0:
            bad("summary.%s missing or not a count" % k)
    details = p.get("failure-details", [])
    total = 0
    for d in details:
        if d.get("result-type") not in RESULTS:
            bad("bad result-type %r" % d.get("result-type"))
        if not isinstance(d.get("failed-session-count"), int):
            bad("failure detail without failed-session-count")
        else:
            total += d["failed-session-count"]
        for k in ("sending-mta-ip", "receiving-ip"):
            if k in d and not re.match(r"^[0-9a-fA-F.:]+$", d[k]):
                bad("%s %r is not an address" % (k, d[k]))
    if total != s.get("total-failure-session-count"):
        bad("%s: failure details add up to %d, summary says %r" %
            (pol.get("policy-domain"), total,
             s.get("total-failure-session-count")))


def check_report(rep):
    for k in ("organization-name", "contact-info", "report-id"):
        if not isinstance(rep.get(k), str) or not rep[k]:
            bad("report without %s" % k)
    dr = rep.get("date-range", {})
    for k in ("start-datetime", "end-datetime"):
        if not DATETIME.match(str(dr.get(k, ""))):
            bad("date-range.%s %r" % (k, dr.get(k)))
    if not isinstance(rep.get("policies"), list) or not rep["policies"]:
        bad("report without policies")
        return
    for p in rep["policies"]:
        check_policy(rep, p)


def expect(reports, spec):
    parts = spec.split(":")
    domain, ptype, ok, failed = parts[0], parts[1], int(parts[2]), \
        int(parts[3])
    want = dict(x.split("=") for x in parts[4:])
    for rep in reports:
        for p in rep["policies"]:
            pol = p["policy"]
            if pol["policy-domain"] != domain or pol["policy-type"] != ptype:
                continue
            s = p["summary"]
            got = {}
            for d in p.get("failure-details", []):
                got[d["result-type"]] = got.get(d["result-type"], 0) + \
                    d["failed-session-count"]
            if (s["total-successful-session-count"], s[
                    "total-failure-session-count"]) != (ok, failed):
                bad("%s: got %d ok, %d failed" % (
                    spec, s["total-successful-session-count"],
                    s["total-failure-session-count"]))
            for r, n in want.items():
                if got.get(r, 0) != int(n):
                    bad("%s: %s counted %d" % (spec, r, got.get(r, 0)))
            return
    bad("%s: no such policy in the reports" % spec)


def gunzip_json(data):
    try:
        return json.loads(gzip.decompress(data))
    except (OSError, ValueError) as e:
        bad("the report does not gunzip to JSON: %s" % e)
        return None


def cmd_mail(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    dom = msg.get("TLS-Report-Domain")
    sub = msg.get("TLS-Report-Submitter")
    if not dom or not sub:
        bad("no TLS-Report-Domain or TLS-Report-Submitter header")
    m = re.match(r"^Report Domain: (\S+) Submitter: (\S+) Report-ID: <(\S+)>$",
                 str(msg.get("Subject", "")))
    if not m or m.group(1) != dom or m.group(2) != sub:
        bad("Subject %r not as section 5.3 says" % msg.get("Subject"))
    if msg.get_content_type() != "multipart/report" or \
            msg.get_param("report-type") != "tlsrpt":
        bad("not multipart/report; report-type=tlsrpt")
    rep = None
    for part in msg.iter_parts():
        if part.get_content_type() == "application/tlsrpt+gzip":
            fn = part.get_filename() or ""
            if not re.match(r"^%s!%s!\d+!\d+(!\S+)?\.json\.gz$" % (
                    re.escape(sub or ""), re.escape(dom or "")), fn):
                bad("attachment filename %r" % fn)
            rep = gunzip_json(part.get_content())
    if rep is None:
        bad("no application/tlsrpt+gzip part")
    elif m and rep.get("report-id") != m.group(3):
        bad("report-id differs from the Subject's")
    return rep


def cmd_post(head, body):
    with open(head) as f:
        lines = f.read().splitlines()
    hdr = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(": ")
        hdr[k.lower()] = v
    if not lines[0].startswith("POST "):
        bad("not a POST: %r" % lines[0])
    if hdr.get("content-type") != "application/tlsrpt+gzip":
        bad("Content-Type %r" % hdr.get("content-type"))
    with open(body, "rb") as f:
        return gunzip_json(f.read())


def main():
    mode = sys.argv[1]
    if mode == "mail":
        rep = cmd_mail(sys.argv[2])
    elif mode == "post":
        rep = cmd_post(sys.argv[2], sys.argv[3])
    else:
        reports = []
        with open(sys.argv[2]) as f:
            for ln in f:
                if ln.strip():
                    reports.append(json.loads(ln))
        if not reports:
            bad("no report")
        for r in reports:
            check_report(r)
        for spec in sys.argv[3:]:
            expect(reports, spec)
        rep = None
    if rep is not None:
        check_report(rep)
        print(json.dumps(rep, separators=(",", ":")))
    if problems:
        for p in problems:
            print("tlsrpt_check: " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
