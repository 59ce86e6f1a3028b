#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 58-tls-reuse-asan: 58-tls-reuse.sh with the ASan+UBSan build, so that
# kept TLS sessions (taken, renewed, expired, closed by the server, QUIT
# at exit) also run under the sanitizers.
[ -x "${SMTPDIRECT_ASAN:-}" ] || {
	echo "skipped: the ASan build is not there (make VARIANT=asan build)"
	exit 77
}
SMTPDIRECT=$SMTPDIRECT_ASAN exec bash "$(dirname "$0")/58-tls-reuse.sh"
