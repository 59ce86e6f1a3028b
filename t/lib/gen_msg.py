#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_msg.py BYTES FILE - write a message of exactly BYTES bytes with LF
line ends (a header block, then lines of 72 bytes) for the benchmarks."""
import sys


def main():
    size, path = int(sys.argv[1]), sys.argv[2]
    head = ("From: <sender@origin.test>\nTo: <user@bench.test>\n"
            "Subject: bench %d bytes\nMessage-ID: <bench-%d@origin.test>\n"
            "Date: Thu, 1 Jan 2026 00:00:00 +0000\n\n" % (size, size))
    line = ("%-71s\n" % "The quick brown fox jumps over the lazy dog "
            "0123456789").encode()
    with open(path, "wb") as f:
        f.write(head.encode())
        left = size - len(head)
        block = line * 1024
        while left >= len(block):
            f.write(block)
            left -= len(block)
        while left >= len(line):
            f.write(line)
            left -= len(line)
        if left > 0:
            f.write(b"x" * (left - 1) + b"\n")


if __name__ == "__main__":
    main()
