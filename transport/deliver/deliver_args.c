/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * deliver's arguments: options, environment and recipients, parsed
 * alike by the smtpdirect program (front.c) and the core's deliver.
 * Needs nothing of OpenSSL, ldns or LMDB: the front links it.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_args.h"
#include "spool.h"
#include "xalloc.h"

#define DELIVER_ARGS_ORCPT 'O' /* getopt_long's value for --orcpt= */

static const char deliver_args_usage[] =
    "usage: smtpdirect deliver [-c FILE] -f SENDER [-q QUEUE_ID] "
    "[-r RETRIES] [-E ENVID] [--orcpt=ADDRESS]... -- RECIPIENT...";

static const struct option deliver_args_long[] = {
    {"orcpt", required_argument, NULL, DELIVER_ARGS_ORCPT},
    {NULL, 0, NULL, 0},
};

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

/*
 * deliver_args_orcpt - take one --orcpt=VALUE (written as one argument:
 * a bare --orcpt would take the next argument, and pair the rest with
 * the wrong recipients) into *list; false with why on misuse
 */
static bool
deliver_args_orcpt(
    int argc, char **argv, char ***list, size_t *n, struct why *why)
{
	if (optarg == argv[optind - 1]) {
		why_set(why, "4.3.5",
		    "write --orcpt=ADDRESS as one argument, not --orcpt "
		    "ADDRESS");
		return false;
	}
	if (*list == NULL)
		*list = xcalloc((size_t)argc, sizeof(char *));
	(*list)[(*n)++] = deliver_args_unbracket(optarg);
	return true;
}

/* deliver_args_parse - parse options, environment and recipients */
bool
deliver_args_parse(
    int argc, char **argv, struct deliver_args *a, struct why *why)
{
	unsigned long r;
	const char *sender = NULL;
	size_t i, norcpt = 0;
	int ch;

	memset(a, 0, sizeof(*a));
	a->retries = -1;
	a->envid = "";
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:f:q:r:vE:", deliver_args_long,
	            NULL)) != -1) {
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
		case 'E':
			a->envid = optarg;
			break;
		case DELIVER_ARGS_ORCPT:
			if (!deliver_args_orcpt(
			        argc, argv, &a->orcpts, &norcpt, why))
				return false;
			break;
		default:
			if (optopt != 0)
				why_set(why, "4.3.5", "bad option -%c; %s",
				    optopt, deliver_args_usage);
			else
				why_set(why, "4.3.5", "bad option %.40s; %s",
				    argv[optind - 1], deliver_args_usage);
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
	if (a->orcpts != NULL && norcpt != a->nrcpt) {
		why_set(why, "4.3.5",
		    "%zu --orcpt= for %zu recipients: give one per recipient, "
		    "in their order",
		    norcpt, a->nrcpt);
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
	for (i = 0; a->orcpts != NULL && a->orcpts[i] != NULL; i++)
		free(a->orcpts[i]);
	free(a->orcpts);
	free((char *)a->sender);
}
