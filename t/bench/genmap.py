#!/usr/bin/env python3
"""Write an override map of N lines, mixed exact and wildcard, to stdout.

Deterministic (fixed seed) so that runs compare. Used by t/bench/*.sh.
"""
import random
import sys

n = int(sys.argv[1])
rnd = random.Random(42)
ops = ["<", "<=", "=", "<>", ">=", ">"]
for i in range(n):
    kind = i % 4
    if kind == 0:
        pat = "*.w%d.example" % i
    elif kind == 1:
        pat = "*w%d.example.net" % i
    else:
        pat = "d%d.example" % i
    tgt = "relay%d.example.net" % rnd.randrange(1000)
    if rnd.random() < 0.1:
        tgt += ":587"
    quals = []
    r = rnd.random()
    if r < 0.3:
        quals.append("$size%s%dM" % (rnd.choice(ops), rnd.randrange(1, 50)))
    elif r < 0.5:
        quals.append("$retries%s%d" % (rnd.choice(ops), rnd.randrange(0, 8)))
    if rnd.random() < 0.2:
        quals.append("$priority:%d" % rnd.randrange(0, 40))
    if rnd.random() < 0.05:
        quals.append("$end")
    print(" ".join([pat, tgt] + quals))
