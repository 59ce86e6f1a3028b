#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# 59-worker-title-asan: 59-worker-title.sh with the ASan+UBSan build, so
# that every row of the README's fault table also runs under the
# sanitizers (the other fault scripts run their ASan cases themselves).
[ -x "${SMTPDIRECT_ASAN:-}" ] || {
	echo "skipped: the ASan build is not there (make VARIANT=asan build)"
	exit 77
}
SMTPDIRECT=$SMTPDIRECT_ASAN exec bash "$(dirname "$0")/59-worker-title.sh"
