/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* loop: cooperative tasks over one poll(2) loop, on ucontext stacks. */

#include <sys/mman.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"
#include "loop.h"
#include "xalloc.h"

/*
 * AddressSanitizer must be told when the stack changes under it, or it
 * reports false errors on the task stacks.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define LOOP_SWITCH_START(save, bottom, size) \
	__sanitizer_start_switch_fiber((save), (bottom), (size))
#define LOOP_SWITCH_FINISH(save, bottom, size) \
	__sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define LOOP_SWITCH_START(save, bottom, size) \
	((void)(save), (void)(bottom), (void)(size))
#define LOOP_SWITCH_FINISH(save, bottom, size) \
	((void)(save), (void)(bottom), (void)(size))
#endif

/* One task. */
struct loop_task {
	ucontext_t uc; /* where it runs or stopped */
	void *mem; /* mapping: guard page, then the stack */
	size_t mem_size; /* bytes mapped */
	void *stack; /* lowest stack address */
	size_t stack_size; /* stack bytes */
	void *arg; /* for the task function */
	struct pollfd *pfd; /* what it waits for, while waiting */
	long long wake_ms; /* mono_now_ms() to give up at; -1 = never */
	int result; /* loop_poll()'s return value */
	int err; /* and its errno */
	bool waiting; /* in loop_poll() */
	bool done; /* the function returned */
	void *fake_stack; /* sanitizer bookkeeping */
};

/* The loop of the calling thread (one loop_run at a time). */
static struct {
	bool running; /* inside loop_run() */
	loop_fn fn; /* the task function */
	ucontext_t main_uc; /* the loop's own context */
	struct loop_task *cur; /* the task running now, NULL in the loop */
	size_t active; /* tasks started, not yet done */
	const void *main_bottom; /* the loop's stack, for the sanitizer */
	size_t main_size;
} loop;

/* loop_active - tasks started and not finished */
size_t
loop_active(void)
{
	return loop.running ? loop.active : 0;
}

/* loop_trampoline - the first frame of every task */
static void
loop_trampoline(void)
{
	struct loop_task *t = loop.cur;

	LOOP_SWITCH_FINISH(NULL, &loop.main_bottom, &loop.main_size);
	loop.fn(t->arg);
	t->done = true;
	/* NULL: this fiber ends; uc_link then resumes the loop. */
	LOOP_SWITCH_START(NULL, loop.main_bottom, loop.main_size);
}

/* loop_task_new - a task with its own stack, or NULL */
static struct loop_task *
loop_task_new(void *arg)
{
	struct loop_task *t = xcalloc(1, sizeof(*t));
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	t->mem_size = LOOP_STACK_SIZE + page;
	t->mem = mmap(NULL, t->mem_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (t->mem == MAP_FAILED || mprotect(t->mem, page, PROT_NONE) < 0 ||
	    getcontext(&t->uc) < 0) {
		msg_warn("cannot make a task stack: %s", strerror(errno));
		if (t->mem != MAP_FAILED)
			munmap(t->mem, t->mem_size);
		free(t);
		return NULL;
	}
	t->stack = (char *)t->mem + page;
	t->stack_size = LOOP_STACK_SIZE;
	t->uc.uc_stack.ss_sp = t->stack;
	t->uc.uc_stack.ss_size = t->stack_size;
	t->uc.uc_link = &loop.main_uc;
	t->arg = arg;
	makecontext(&t->uc, loop_trampoline, 0);
	return t;
}

/* loop_task_free - release a finished task */
static void
loop_task_free(struct loop_task *t)
{
	munmap(t->mem, t->mem_size);
	free(t);
}

/* loop_resume - run a task until it waits or returns */
static void
loop_resume(struct loop_task *t)
{
	void *fake = NULL;

	loop.cur = t;
	t->waiting = false;
	LOOP_SWITCH_START(&fake, t->stack, t->stack_size);
	swapcontext(&loop.main_uc, &t->uc);
	LOOP_SWITCH_FINISH(fake, NULL, NULL);
	loop.cur = NULL;
}

/* loop_poll - poll(2), or wait in the loop while the others run */
int
loop_poll(struct pollfd *pfd, int timeout_ms)
{
	struct loop_task *t = loop.cur;

	if (!loop.running || t == NULL)
		return poll(pfd, 1, timeout_ms);
	pfd->revents = 0;
	t->pfd = pfd;
	t->wake_ms = timeout_ms < 0 ? -1 : mono_now_ms() + timeout_ms;
	t->waiting = true;
	LOOP_SWITCH_START(&t->fake_stack, loop.main_bottom, loop.main_size);
	swapcontext(&t->uc, &loop.main_uc);
	LOOP_SWITCH_FINISH(t->fake_stack, &loop.main_bottom, &loop.main_size);
	errno = t->err;
	return t->result;
}

/* loop_wait - one poll(2) over every waiting task (p: room for max) */
static void
loop_wait(struct loop_task **slot, struct pollfd *p, size_t max)
{
	long long now = mono_now_ms(), left, timeout = -1;
	size_t i, k = 0;
	int n;

	for (i = 0; i < max; i++) {
		if (slot[i] == NULL)
			continue;
		p[k++] = *slot[i]->pfd;
		if (slot[i]->wake_ms >= 0) {
			left =
			    slot[i]->wake_ms > now ? slot[i]->wake_ms - now : 0;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
	}
	n = poll(p, k, timeout > 60000 ? 60000 : (int)timeout);
	if (n < 0 && errno == EINTR)
		return;
	now = mono_now_ms();
	for (i = 0, k = 0; i < max; i++) {
		struct loop_task *t = slot[i];

		if (t == NULL)
			continue;
		if (n < 0) {
			t->result = -1;
			t->err = errno;
			t->waiting = false;
		} else if (p[k].revents != 0) {
			t->pfd->revents = p[k].revents;
			t->result = 1;
			t->err = 0;
			t->waiting = false;
		} else if (t->wake_ms >= 0 && now >= t->wake_ms) {
			t->result = 0;
			t->err = 0;
			t->waiting = false;
		}
		k++;
	}
}

/* loop_run - the loop: start tasks, run the ready ones, poll */
void
loop_run(loop_fn fn, void **args, size_t n, size_t max)
{
	struct loop_task **slot;
	struct pollfd *pfds;
	size_t next = 0, i;
	bool ran;

	if (max == 0 || max > n)
		max = n;
	/* Nothing to overlap, or already inside a task: one after another. */
	if (max <= 1 || loop.running) {
		for (i = 0; i < n; i++)
			fn(args[i]);
		return;
	}
	slot = xcalloc(max, sizeof(struct loop_task *));
	pfds = xcalloc(max, sizeof(*pfds));
	loop.running = true;
	loop.fn = fn;
	loop.active = 0;
	while (next < n || loop.active > 0) {
		for (i = 0; i < max && next < n; i++) {
			if (slot[i] != NULL)
				continue;
			if ((slot[i] = loop_task_new(args[next])) == NULL)
				fn(args[next]);
			else
				loop.active++;
			next++;
		}
		ran = false;
		for (i = 0; i < max; i++) {
			if (slot[i] == NULL || slot[i]->waiting)
				continue;
			loop_resume(slot[i]);
			ran = true;
			if (slot[i]->done) {
				loop_task_free(slot[i]);
				slot[i] = NULL;
				loop.active--;
			}
		}
		if (!ran && loop.active > 0)
			loop_wait(slot, pfds, max);
	}
	loop.running = false;
	free(pfds);
	free(slot);
}
