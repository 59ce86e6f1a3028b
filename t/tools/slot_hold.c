/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * slot_hold - test tool: take one concurrency slot and hold it.
 *
 *	slot_hold DIR N WAIT_SECONDS [HOLD_SECONDS]
 *
 * Takes one of N slots in DIR (as deliver does with state_dir/slots and
 * max_concurrent), waiting at most WAIT_SECONDS; prints "held K" on
 * standard output, holds the slot HOLD_SECONDS (default 600) and exits
 * 0. When no slot is had it prints the status line ("4.3.2 too many
 * ...") on standard error and exits 75. Bad arguments exit 64.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "msg.h"
#include "slot.h"

#define SLOT_HOLD_DEFAULT 600 /* seconds a slot is held by default */
#define SLOT_HOLD_ARG_MAX 86400UL /* largest seconds argument */

static unsigned long slot_hold_number(const char *s, unsigned long max);
static void slot_hold_sleep(unsigned long seconds);

/* slot_hold_number - a decimal argument in 0..max, or exit 64 */
static unsigned long
slot_hold_number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
		fprintf(stderr, "slot_hold: bad number \"%s\"\n", s);
		exit(MSG_EX_USAGE);
	}
	return v;
}

/* slot_hold_sleep - sleep the whole time, resuming after signals */
static void
slot_hold_sleep(unsigned long seconds)
{
	struct timespec left = {(time_t)seconds, 0};

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

/* main - acquire, report, hold, release */
int
main(int argc, char **argv)
{
	unsigned long n, wait, hold = SLOT_HOLD_DEFAULT;
	struct slot *slot = NULL;
	struct why why;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
		    "usage: slot_hold DIR N WAIT_SECONDS "
		    "[HOLD_SECONDS]\n");
		return MSG_EX_USAGE;
	}
	msg_init("slot_hold", MSG_TO_STDERR);
	n = slot_hold_number(argv[2], SLOT_MAX);
	wait = slot_hold_number(argv[3], SLOT_HOLD_ARG_MAX);
	if (argc == 5)
		hold = slot_hold_number(argv[4], SLOT_HOLD_ARG_MAX);
	if (n == 0) {
		fprintf(stderr, "slot_hold: N must be at least 1\n");
		return MSG_EX_USAGE;
	}
	if (slot_acquire(argv[1], n, (unsigned)wait, &slot, &why) != SD_OK) {
		fprintf(stderr, "%s %s\n", why.dsn, why.text);
		return MSG_EX_TEMPFAIL;
	}
	printf("held %lu\n", slot_index(slot));
	fflush(stdout);
	slot_hold_sleep(hold);
	slot_release(slot);
	return MSG_EX_OK;
}
