/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect resolve: placeholder until the resolver lands. */

#include <stdio.h>

#include "cmd.h"
#include "msg.h"

/* cmd_resolve - not yet */
int
cmd_resolve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smtpdirect: resolve is not built yet\n");
	return MSG_EX_CONFIG;
}
