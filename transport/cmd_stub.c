/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Sub-commands that are not written yet: they defer or refuse clearly. */

#include <stdio.h>

#include "cmd.h"
#include "msg.h"

/* cmd_deliver - not yet: defer so the MTA keeps the mail */
int
cmd_deliver(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "4.3.0 smtpdirect deliver is not built yet\n");
	return MSG_EX_TEMPFAIL;
}
