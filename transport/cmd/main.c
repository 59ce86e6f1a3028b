/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect: dispatch to the sub-commands. */

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dns.h"
#include "msg.h"
#include "proc.h"
#include "scache.h"
#include "smtp.h"
#include "state.h"

/* How the libraries are linked (Makefile LINK): "built in" or "shared". */
#ifndef SMTPDIRECT_LINK
#define SMTPDIRECT_LINK "shared"
#endif

#define MAIN_HEAP_KEEP (8 * 1024 * 1024) /* free heap kept, not trimmed */
#define MAIN_HEAP_PAD (256 * 1024) /* heap grown at once, bytes */
#define MAIN_MMAP_MIN (1024 * 1024) /* smallest block mmap()ed, bytes */

/* One sub-command. */
struct main_cmd {
	const char *name; /* as typed */
	int (*run)(int argc, char **argv); /* entry point */
};

static const struct main_cmd main_cmds[] = {
    {"check", cmd_check},
    {"compile", cmd_compile},
    {"deliver", cmd_deliver},
    {"lint", cmd_lint},
    {"policy", cmd_policy},
    {"resolve", cmd_resolve},
    {"route", cmd_route},
    {"tlsrpt", cmd_tlsrpt},
};

static const char main_help[] =
    "\n"
    "Commands:\n"
    "  deliver  read a message on stdin and deliver it (pipe transport)\n"
    "  route    explain the route of an address or domain\n"
    "  lint     check override maps\n"
    "  compile  compile the override map into state_dir now\n"
    "  resolve  show the MX set the resolver gives\n"
    "  policy   show the MTA-STS policy of a domain and its effect\n"
    "  tlsrpt   send the daily TLS reports (RFC 8460), from cron\n"
    "  check    check owners and modes of the installed files\n"
    "\n"
    "Options:\n"
    "  -c FILE  configuration file (default $SMTPDIRECT_CONF, else\n"
    "           " SMTPDIRECT_SYSCONFDIR "/smtpdirect/smtpdirect.conf)\n"
    "  -v       verbose; repeat for protocol traces\n"
    "\n"
    "See smtpdirect(8) and smtpdirect.conf(5).\n";

/* cmd_usage_print - the synopsis, as in smtpdirect(8) */
void
cmd_usage_print(void *fp)
{
	fputs(
	    "usage: smtpdirect deliver [-v] [-c FILE] -f SENDER [-q QUEUE_ID] "
	    "[-r RETRIES]\n"
	    "                  [-E ENVID] [--orcpt=ADDRESS]... -- "
	    "RECIPIENT...\n"
	    "       smtpdirect route [-v] [-c FILE] [-s SIZE] [-r RETRIES] "
	    "[-o text|exim|postfix] ADDRESS|DOMAIN\n"
	    "       smtpdirect lint [-c FILE] [OVERRIDES_FILE...]\n"
	    "       smtpdirect compile [-c FILE]\n"
	    "       smtpdirect resolve [-v] [-c FILE] DOMAIN\n"
	    "       smtpdirect policy [-v] [-c FILE] DOMAIN\n"
	    "       smtpdirect tlsrpt [-v] [-c FILE] [-n] [-d DAY]\n"
	    "       smtpdirect check [-c FILE] [-u USER]\n"
	    "       smtpdirect --version | --help\n",
	    fp);
}

/* main - pick the sub-command */
int
main(int argc, char **argv)
{
	size_t i;

	/* A short-lived process: never give heap back to the kernel only to
	 * fault the same pages in again for the next 64 KiB buffer. Setting
	 * these turns off glibc's own raising of the mmap threshold, so set
	 * that too: the 128 KiB stream buffer of every message (spool.h)
	 * comes from the heap, not from an mmap() and a munmap() whose TLB
	 * flush interrupts the other CPUs, once per message in a worker. */
	mallopt(M_TRIM_THRESHOLD, MAIN_HEAP_KEEP);
	mallopt(M_TOP_PAD, MAIN_HEAP_PAD);
	mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_MIN);
	/* Every command may load the override map and its passwords. */
	proc_nodump();
	msg_init("smtpdirect", MSG_TO_STDERR);
	/* A peer that closes early is an error return (EPIPE), never a kill:
	 * TLS writes go through OpenSSL's socket BIO, not our send(). */
	signal(SIGPIPE, SIG_IGN);
	/* The keeper and the workers: their title is all they are given. */
	if (argc == 1 && strcmp(argv[0], PROC_WORKER_TITLE) == 0)
		return cmd_worker(argc, argv);
	if (argc == 1 &&
	    strncmp(
	        argv[0], PROC_KEEPER_TITLE, sizeof(PROC_KEEPER_TITLE) - 1) == 0)
		return scache_keeper_main(
		    argv[0] + sizeof(PROC_KEEPER_TITLE) - 1);
	if (argc < 2) {
		cmd_usage_print(stderr);
		return MSG_EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cmd_usage_print(stdout);
		fputs(main_help, stdout);
		return MSG_EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("smtpdirect %s\n%s, %s, %s (%s)\n", SMTPDIRECT_VERSION,
		    smtp_tls_library(), dns_library(), state_library(),
		    SMTPDIRECT_LINK);
		return MSG_EX_OK;
	}
	for (i = 0; i < sizeof(main_cmds) / sizeof(main_cmds[0]); i++)
		if (strcmp(argv[1], main_cmds[i].name) == 0)
			return main_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "smtpdirect: unknown command \"%s\"\n", argv[1]);
	cmd_usage_print(stderr);
	/* deliver must never bounce; every other misuse is a usage error. */
	return MSG_EX_USAGE;
}
