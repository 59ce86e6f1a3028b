/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect route: placeholder until the override engine lands. */

#include <stdio.h>

#include "cmd.h"
#include "msg.h"

/* cmd_route - not yet */
int
cmd_route(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smtpdirect: route is not built yet\n");
	return MSG_EX_CONFIG;
}
