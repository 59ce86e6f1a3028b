/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * deliver's arguments: options, environment and recipients, parsed
 * alike by the smtpdirect program (front.c) and the core's deliver.
 * Needs nothing of OpenSSL, ldns or LMDB: the front links it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_args.h"
#include "spool.h"
#include "xalloc.h"

/* deliver_args_count - decimal, no sign, no overflow */
bool
deliver_args_count(const char *s, unsigned long *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 1000000000ULL)
		return false;
	*out = (unsigned long)v;
	return true;
}

/* deliver_args_unbracket - copy an address without one pair of <> */
static char *
deliver_args_unbracket(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return xmemdup0(s + 1, n - 2);
	return xstrdup(s);
}

/* deliver_args_parse - parse options, environment and recipients */
bool
deliver_args_parse(
    int argc, char **argv, struct deliver_args *a, struct why *why)
{
	unsigned long r;
	const char *sender = NULL;
	size_t i;
	int ch;

	memset(a, 0, sizeof(*a));
	a->retries = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, "c:f:q:r:v")) != -1) {
		switch (ch) {
		case 'c':
			a->conf = optarg;
			break;
		case 'f':
			sender = optarg;
			break;
		case 'q':
			a->queue_id = optarg;
			break;
		case 'r':
			if (!deliver_args_count(optarg, &r)) {
				why_set(why, "4.3.5",
				    "bad retry count \"%.50s\"", optarg);
				return false;
			}
			a->retries = (long)r;
			break;
		case 'v':
			a->verbose++;
			break;
		default:
			why_set(why, "4.3.5",
			    "bad option -%c; usage: smtpdirect "
			    "deliver [-c FILE] -f SENDER [-q "
			    "QUEUE_ID] [-r RETRIES] -- "
			    "RECIPIENT...",
			    optopt);
			return false;
		}
	}
	if (sender == NULL)
		sender = getenv("SENDER");
	if (sender == NULL) {
		why_set(why, "4.3.5", "no sender: give -f or set SENDER");
		return false;
	}
	if (a->queue_id == NULL)
		a->queue_id = getenv("MESSAGE_ID");
	if (a->queue_id == NULL)
		a->queue_id = "";
	a->sender = deliver_args_unbracket(sender);
	if (spool_addr_check(a->sender, strlen(a->sender), true, why) != SD_OK)
		return false;
	a->nrcpt = (size_t)(argc - optind);
	if (a->nrcpt == 0) {
		why_set(why, "4.3.5", "no recipients given");
		return false;
	}
	a->rcpts = xcalloc(a->nrcpt, sizeof(char *));
	for (i = 0; i < a->nrcpt; i++) {
		a->rcpts[i] = deliver_args_unbracket(argv[optind + (int)i]);
		if (spool_addr_check(
		        a->rcpts[i], strlen(a->rcpts[i]), false, why) != SD_OK)
			return false;
	}
	return true;
}

/* deliver_args_free - release the argument copies */
void
deliver_args_free(struct deliver_args *a)
{
	size_t i;

	for (i = 0; a->rcpts != NULL && i < a->nrcpt; i++)
		free(a->rcpts[i]);
	free(a->rcpts);
	free((char *)a->sender);
}
