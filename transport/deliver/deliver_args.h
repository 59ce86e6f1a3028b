/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	deliver_args - what one deliver run is asked to do
 * DESCRIPTION
 *	The options, environment and recipients of `smtpdirect deliver`,
 *	parsed alike by the front (front.h), which hands them to a
 *	delivery worker (worker.h), and by the core's deliver command
 *	(cmd.h). It sits below all three, so that none of them reaches up
 *	into another for it. deliver_args.c needs nothing of OpenSSL,
 *	ldns or LMDB: the front links it.
 *
 *	The RFC 3461 parameters the MTA knows come as -E ENVID and as one
 *	--orcpt=ADDRESS per recipient, in the order of the recipients:
 *	the form Postfix's pipe(8) expands --orcpt=${original_recipient}
 *	to, one argument per recipient in the order of ${recipient}, also
 *	when it hands several recipients to one command. An empty value
 *	means none for that recipient; a count that differs from the
 *	recipients' is refused (never a guess which belongs to whom).
 * OWNERSHIP
 *	After deliver_args_parse() the struct points into argv and the
 *	environment, except for the sender, the recipients and the
 *	original recipients: copies without <>, which deliver_args_free()
 *	releases.
 * THREADS
 *	Not thread-safe (getopt).
 * ERRORS
 *	deliver_args_parse(): why gets 4.3.5, or the address check's code
 *	(spool.h).
 * SEE ALSO
 *	SPEC section 2; smtpdirect(8).
 */
#ifndef SMTPDIRECT_DELIVER_ARGS_H
#define SMTPDIRECT_DELIVER_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "why.h"

/* What one deliver run is asked to do: its options and recipients. */
struct deliver_args {
	const char *conf; /* -c; for a worker the absolute path read */
	const char *sender; /* -f or $SENDER, <> stripped */
	const char *queue_id; /* -q or $MESSAGE_ID, "" if none */
	long retries; /* -r, or -1 */
	const char *envid; /* -E: RFC 3461 ENVID as received, "" if none */
	char **rcpts; /* recipients, <> stripped */
	char **orcpts; /* --orcpt= values, <> stripped: nrcpt entries, ""
			  for none; NULL when none was given */
	size_t nrcpt; /* entries in rcpts */
	int verbose; /* -v given this many times */
	long long start_ms; /* mono_now_ms() when the run began */
};

/*
 * Parse argv (argv[0] is "deliver"), $SENDER and $MESSAGE_ID into *a,
 * which then points into argv and the environment except for the
 * sender, recipients and original recipients (copies without <>;
 * deliver_args_free() releases them, also after a failure). On bad
 * arguments fill why (4.3.5, or the address check's code) and return
 * false.
 */
bool deliver_args_parse(
    int argc, char **argv, struct deliver_args *a, struct why *why);
void deliver_args_free(struct deliver_args *a);

/* Parse a decimal count for -r; false on bad syntax or overflow. */
bool deliver_args_count(const char *s, unsigned long *out);

#endif
