/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect lint: placeholder until the override engine lands. */

#include <stdio.h>

#include "cmd.h"
#include "msg.h"

/* cmd_lint - not yet */
int
cmd_lint(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smtpdirect: lint is not built yet\n");
	return 2;
}
