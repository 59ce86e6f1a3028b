/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * pipe_bench - run a command once per message, as Postfix's pipe(8)
 * does, for t/bench/deliver.sh
 *
 *   pipe_bench -n COUNT [-P PARALLEL] -i FILE -- COMMAND [ARG...]
 *
 * Runs COMMAND COUNT times, at most PARALLEL (default 1) at once, each
 * with standard input opened on FILE and standard output on /dev/null,
 * by fork() and execvp() (no shell, like pipe(8)). The first "%n" in
 * each ARG becomes the run's number (1..COUNT), so that every message
 * gets its own queue id. Prints one line:
 *
 *   n=COUNT parallel=P seconds=S per_s=R median_ms=M p90_ms=Q failed=F
 *
 * (median and p90 of the time from fork to exit of each run). Exit 0
 * when every run exited 0, 1 otherwise (the first failure's status is
 * reported on standard error), 2 on bad usage.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PB_PARALLEL_MAX 256 /* most processes at once */
#define PB_COUNT_MAX 10000000UL /* most runs */

/* One running child. */
struct pb_child {
	pid_t pid; /* 0 when the entry is free */
	long long start; /* fork time, ns */
};

/* pb_ns - CLOCK_MONOTONIC in nanoseconds */
static long long
pb_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* pb_cmp - order durations */
static int
pb_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* pb_usage - print the usage line and exit 2 */
static _Noreturn void
pb_usage(void)
{
	fprintf(stderr,
	    "usage: pipe_bench -n COUNT [-P PARALLEL] -i FILE "
	    "-- COMMAND [ARG...]\n");
	exit(2);
}

/* pb_number - parse a count in 1..max, or exit 2 */
static unsigned long
pb_number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < 1 || v > max)
		pb_usage();
	return v;
}

/* pb_args - argv for run i: the first "%n" of each argument replaced */
static char **
pb_args(char **argv, int argc, unsigned long i)
{
	char **out = calloc((size_t)argc + 1, sizeof(char *));
	const char *p;
	size_t len;
	int k;

	if (out == NULL)
		return NULL;
	for (k = 0; k < argc; k++) {
		p = strstr(argv[k], "%n");
		if (p == NULL) {
			out[k] = argv[k];
			continue;
		}
		len = strlen(argv[k]) + 24;
		if ((out[k] = malloc(len)) == NULL)
			return NULL;
		snprintf(out[k], len, "%.*s%lu%s", (int)(p - argv[k]), argv[k],
		    i, p + 2);
	}
	return out;
}

/* pb_child_run - in the child: stdin FILE, stdout /dev/null, exec */
static _Noreturn void
pb_child_run(const char *file, char **args)
{
	int in = open(file, O_RDONLY), nul = open("/dev/null", O_WRONLY);

	if (in < 0 || nul < 0 || dup2(in, 0) < 0 || dup2(nul, 1) < 0) {
		perror("pipe_bench: child set-up");
		_exit(126);
	}
	close(in);
	close(nul);
	execvp(args[0], args);
	perror(args[0]);
	_exit(127);
}

/* pb_spawn - start run i in a free entry of kids; 0 or -1 */
static int
pb_spawn(struct pb_child *kid, const char *file, char **argv, int argc,
    unsigned long i)
{
	char **args = pb_args(argv, argc, i);
	pid_t pid;

	if (args == NULL) {
		fprintf(stderr, "pipe_bench: out of memory\n");
		return -1;
	}
	kid->start = pb_ns();
	pid = fork();
	if (pid < 0) {
		perror("pipe_bench: fork");
		return -1;
	}
	if (pid == 0)
		pb_child_run(file, args);
	kid->pid = pid;
	for (int k = 0; k < argc; k++)
		if (args[k] != argv[k])
			free(args[k]);
	free(args);
	return 0;
}

/* pb_reap - wait for one child; its duration into *ns, status ok? */
static int
pb_reap(struct pb_child *kids, unsigned long nkids, long long *ns)
{
	unsigned long k;
	int st;
	pid_t pid = wait(&st);

	if (pid < 0) {
		perror("pipe_bench: wait");
		exit(1);
	}
	for (k = 0; k < nkids; k++)
		if (kids[k].pid == pid)
			break;
	if (k == nkids) {
		fprintf(stderr, "pipe_bench: unknown child %ld\n", (long)pid);
		exit(1);
	}
	*ns = pb_ns() - kids[k].start;
	kids[k].pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	return -(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* main - run the command COUNT times, PARALLEL at once; print the rates */
int
main(int argc, char **argv)
{
	unsigned long n = 0, par = 1, next = 1, done = 0, failed = 0, k;
	const char *file = NULL;
	struct pb_child *kids;
	long long *dur, t0, total;
	int ch, r, first_bad = 0;

	while ((ch = getopt(argc, argv, "n:P:i:")) != -1) {
		switch (ch) {
		case 'n':
			n = pb_number(optarg, PB_COUNT_MAX);
			break;
		case 'P':
			par = pb_number(optarg, PB_PARALLEL_MAX);
			break;
		case 'i':
			file = optarg;
			break;
		default:
			pb_usage();
		}
	}
	if (n == 0 || file == NULL || optind >= argc)
		pb_usage();
	kids = calloc(par, sizeof(*kids));
	dur = calloc(n, sizeof(*dur));
	if (kids == NULL || dur == NULL) {
		fprintf(stderr, "pipe_bench: out of memory\n");
		return 1;
	}
	t0 = pb_ns();
	while (done < n) {
		for (k = 0; k < par && next <= n; k++) {
			if (kids[k].pid != 0)
				continue;
			if (pb_spawn(&kids[k], file, argv + optind,
			        argc - optind, next) < 0)
				return 1;
			next++;
		}
		r = pb_reap(kids, par, &dur[done]);
		done++;
		if (r < 0) {
			failed++;
			if (first_bad == 0)
				first_bad = -r;
		}
	}
	total = pb_ns() - t0;
	qsort(dur, n, sizeof(*dur), pb_cmp);
	printf("n=%lu parallel=%lu seconds=%.3f per_s=%.1f median_ms=%.2f "
	       "p90_ms=%.2f failed=%lu\n",
	    n, par, total / 1e9, n * 1e9 / (double)total, dur[n / 2] / 1e6,
	    dur[n * 9 / 10] / 1e6, failed);
	if (failed > 0)
		fprintf(stderr,
		    "pipe_bench: %lu of %lu runs failed; first "
		    "status %d\n",
		    failed, n, first_bad);
	free(kids);
	free(dur);
	return failed > 0;
}
