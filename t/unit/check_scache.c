/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Unit tests of scache: the message format (a descriptor attached,
 * malformed messages refused), and a keeper that takes a connection,
 * hands it back, QUITs what it keeps too long and exits when idle.
 * The "connections" are socketpairs: what the keeper says on one end
 * is read on the other.
 */

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "proc.h"
#include "scache.h"
#include "scache_int.h"

static char *sc_dir;

/* sc_setup - a private state directory per test */
static void
sc_setup(void)
{
	sc_dir = unit_tmpdir();
}

/* sc_teardown - remove it */
static void
sc_teardown(void)
{
	unit_rmtree(sc_dir);
	free(sc_dir);
}

/* sc_pair - a "connection": [0] is kept, [1] plays the server */
static void
sc_pair(int sv[2])
{
	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

/* sc_read - what arrives on fd within ms, "" at EOF or on time-out */
static const char *
sc_read(int fd, int ms, char *buf, size_t size)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, ms) != 1)
		return buf;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* sc_unlocked - nobody holds the keeper's lock (it has exited) */
static bool
sc_unlocked(void)
{
	char path[256];
	bool free_now;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sc_dir, SCACHE_LOCK);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return true;
	free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_now;
}

/* sc_gone - wait (bounded) for the keeper to remove its socket and exit */
static bool
sc_gone(int ms)
{
	char path[256];
	int i;

	snprintf(path, sizeof(path), "%s/%s", sc_dir, SCACHE_SOCKET);
	for (i = 0; i < ms / 10; i++) {
		if (access(path, F_OK) < 0 && sc_unlocked())
			return true;
		usleep(10000);
	}
	return false;
}

START_TEST(test_scache_message_carries_a_descriptor)
{
	char buf[SCACHE_MSG_MAX], got[16];
	struct scache_hdr h;
	int sv[2], c[2], fd = -1;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	sc_pair(c);
	ck_assert(scache_send(sv[0], SCACHE_OP_PUT, "key", "blob", 4, c[0]));
	ck_assert(scache_recv(sv[1], buf, &h, &fd));
	ck_assert_int_eq(h.op, SCACHE_OP_PUT);
	ck_assert_int_eq(h.key_len, 3);
	ck_assert_int_eq(h.blob_len, 4);
	ck_assert_mem_eq(buf + sizeof(h), "keyblob", 7);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hi", 2), 2);
	ck_assert_str_eq(sc_read(c[1], 1000, got, sizeof(got)), "hi");
	close(fd);
	/* Without a descriptor. */
	ck_assert(scache_send(sv[0], SCACHE_OP_MISS, "k", "", 0, -1));
	ck_assert(scache_recv(sv[1], buf, &h, &fd));
	ck_assert_int_eq(fd, -1);
	close(c[0]);
	close(c[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_scache_malformed_messages_refused)
{
	char buf[SCACHE_MSG_MAX], big[SCACHE_KEY_MAX + 2];
	struct scache_hdr h;
	int sv[2], c[2], fd = 7;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	sc_pair(c);
	/* Too short for a header: refused. */
	ck_assert_int_eq(send(sv[0], "xy", 2, 0), 2);
	ck_assert(!scache_recv(sv[1], buf, &h, &fd));
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, EPROTO);
	/* Lengths that do not add up. */
	memset(&h, 0, sizeof(h));
	h.magic = SCACHE_MAGIC;
	h.op = SCACHE_OP_GET;
	h.key_len = 10;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "abc", 3);
	ck_assert_int_eq(
	    send(sv[0], buf, sizeof(h) + 3, 0), (ssize_t)sizeof(h) + 3);
	ck_assert(!scache_recv(sv[1], buf, &h, &fd));
	/* Another magic. */
	h.magic = 0x12345678;
	h.key_len = 0;
	memcpy(buf, &h, sizeof(h));
	ck_assert_int_eq(send(sv[0], buf, sizeof(h), 0), (ssize_t)sizeof(h));
	ck_assert(!scache_recv(sv[1], buf, &h, &fd));
	/* A key too long is not even sent. */
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(!scache_send(sv[0], SCACHE_OP_GET, big, "", 0, -1));
	close(c[0]);
	close(c[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * Over a worker's channel a late answer (to a GET that gave up waiting)
 * is skipped, its descriptor closed: the answer for the key asked for
 * is the one taken. The channel stays the caller's.
 */
START_TEST(test_scache_channel_skips_late_answers)
{
	int sv[2], late[2], conn[2], got = -1, extra = -1;
	char buf[SCACHE_MSG_MAX], blob[16];
	struct scache_hdr h;
	size_t len = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	/* The keeper's side, answered before it is asked: a late HIT for
	 * "old", then the HIT for "new". */
	ck_assert(scache_send(sv[1], SCACHE_OP_HIT, "old", "x", 1, late[0]));
	ck_assert(scache_send(sv[1], SCACHE_OP_HIT, "new", "desc", 4, conn[0]));
	close(late[0]);
	close(conn[0]);
	scache_channel(sv[0]);
	ck_assert(
	    scache_get("/nonexistent", "new", &got, blob, sizeof(blob), &len));
	ck_assert_uint_eq(len, 4);
	ck_assert(memcmp(blob, "desc", 4) == 0);
	ck_assert_int_ge(got, 0);
	close(got);
	/* The late one's descriptor was closed: its peer reads EOF. */
	ck_assert_int_eq(read(late[1], buf, 1), 0);
	/* The question went over the channel. */
	ck_assert(scache_recv(sv[1], buf, &h, &extra));
	ck_assert_int_eq(h.op, SCACHE_OP_GET);
	ck_assert_int_eq(extra, -1);
	scache_channel(-1);
	/* Back to connecting: no keeper in sc_dir, a miss at once. */
	ck_assert(!scache_get(sc_dir, "new", &got, blob, sizeof(blob), &len));
	close(sv[0]);
	close(sv[1]);
	close(late[1]);
	close(conn[1]);
}
END_TEST

START_TEST(test_scache_keeper_round_trip)
{
	char blob[32], got[64];
	size_t len = 0;
	int c[2], fd = -1, again = 0;

	sc_pair(c);
	/* No keeper yet: nothing to get. */
	ck_assert(!scache_get(sc_dir, "k1", &fd, blob, sizeof(blob), &len));
	/* The first put starts it. */
	ck_assert(scache_put(sc_dir, "k1", c[0], "desc", 4, 1000));
	ck_assert(!scache_get(sc_dir, "other", &fd, blob, sizeof(blob), &len));
	ck_assert(scache_get(sc_dir, "k1", &fd, blob, sizeof(blob), &len));
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(blob, "desc", 4);
	/* The very connection: what we write, the "server" reads. */
	ck_assert_int_eq(write(fd, "MAIL", 4), 4);
	ck_assert_str_eq(sc_read(c[1], 1000, got, sizeof(got)), "MAIL");
	/* Taken once only. */
	ck_assert(!scache_get(sc_dir, "k1", &again, blob, sizeof(blob), &len));
	ck_assert_int_eq(again, -1);
	close(fd);
	close(c[1]);
	ck_assert(sc_gone(3000));
}
END_TEST

START_TEST(test_scache_keeper_quits_and_drops)
{
	char blob[8], got[64];
	size_t len = 0;
	int a[2], b[2], fd = -1;

	sc_pair(a);
	sc_pair(b);
	ck_assert(scache_put(sc_dir, "a", a[0], "", 0, 300));
	ck_assert(scache_put(sc_dir, "b", b[0], "", 0, 300));
	/* The server hangs up on b: the keeper lets it go. */
	close(b[1]);
	usleep(100000);
	ck_assert(!scache_get(sc_dir, "b", &fd, blob, sizeof(blob), &len));
	/* a stays idle: QUIT, then closed; then the keeper exits. */
	ck_assert_str_eq(sc_read(a[1], 2000, got, sizeof(got)), SCACHE_QUIT);
	ck_assert_str_eq(sc_read(a[1], 2000, got, sizeof(got)), "");
	close(a[1]);
	ck_assert(sc_gone(3000));
	/* Gone for good: a new put starts a new keeper. */
	sc_pair(a);
	ck_assert(scache_put(sc_dir, "a", a[0], "", 0, 200));
	ck_assert(scache_get(sc_dir, "a", &fd, blob, sizeof(blob), &len));
	close(fd);
	close(a[1]);
	ck_assert(sc_gone(3000));
}
END_TEST

/* scache_suite - the connection keeper */
/* A program run anew as a keeper that did not dispatch its title runs
 * whole again: it must start no keeper of its own (no fork bomb). */
START_TEST(test_scache_keeper_not_started_by_a_keeper)
{
	int c[2];

	sc_pair(c);
	ck_assert_int_eq(setenv(SCACHE_KEEPER_ENV, "1000 0", 1), 0);
	ck_assert(!scache_put(sc_dir, "k1", c[0], "", 0, 1000));
	ck_assert_int_eq(access(sc_dir, F_OK), 0);
	ck_assert(scache_connect(sc_dir) < 0);
	ck_assert_int_eq(unsetenv(SCACHE_KEEPER_ENV), 0);
	close(c[1]);
}
END_TEST

static Suite *
scache_suite(void)
{
	Suite *s = suite_create("scache");
	TCase *tc = tcase_create("keeper");

	tcase_add_checked_fixture(tc, sc_setup, sc_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_scache_message_carries_a_descriptor);
	tcase_add_test(tc, test_scache_malformed_messages_refused);
	tcase_add_test(tc, test_scache_channel_skips_late_answers);
	tcase_add_test(tc, test_scache_keeper_round_trip);
	tcase_add_test(tc, test_scache_keeper_quits_and_drops);
	tcase_add_test(tc, test_scache_keeper_not_started_by_a_keeper);
	suite_add_tcase(s, tc);
	return s;
}

/* main - the suite; or the keeper a put started, run anew (proc.h) */
int
main(int argc, char **argv)
{
	if (argc == 1 &&
	    strncmp(
	        argv[0], PROC_KEEPER_TITLE, sizeof(PROC_KEEPER_TITLE) - 1) == 0)
		return scache_keeper_main(
		    argv[0] + sizeof(PROC_KEEPER_TITLE) - 1);
	return unit_run(scache_suite());
}
