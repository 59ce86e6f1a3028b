/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	msg - diagnostics to syslog (facility mail) and standard error
 * DESCRIPTION
 *	One vocabulary for every message the programs write: msg_debug
 *	(only when verbose), msg_info, msg_warn, msg_error, msg_fatal
 *	(local trouble: exit with the status set by msg_set_fatal_status,
 *	75 by default) and msg_panic (a broken invariant: exit 75).
 *	Where the text goes is chosen once by msg_init(): standard error,
 *	syslog, or both; msg_file_open() adds (or, for syslog, replaces)
 *	a log file of syslog-like lines. In deliver mode only syslog or
 *	the log file is used, so that standard error carries nothing but
 *	the final status line.
 * OWNERSHIP
 *	msg_init() keeps the program name pointer: it must outlive the
 *	process (argv[0] or a string literal).
 * THREADS
 *	msg_init() and msg_set_* before threads start; the output
 *	functions are then safe (one write per line, syslog is safe).
 * ERRORS
 *	msg_file_open() returns false with errno set; output errors are
 *	ignored.
 * SEE ALSO
 *	why.h for status records passed between modules.
 */
#ifndef SMTPDIRECT_MSG_H
#define SMTPDIRECT_MSG_H

#include <stdbool.h>

/* Exit codes from sysexits.h, named here so no module needs <sysexits.h>. */
#define MSG_EX_OK 0
#define MSG_EX_USAGE 64
#define MSG_EX_NOUSER 67
#define MSG_EX_NOHOST 68
#define MSG_EX_UNAVAILABLE 69
#define MSG_EX_SOFTWARE 70
#define MSG_EX_OSERR 71
#define MSG_EX_TEMPFAIL 75
#define MSG_EX_CONFIG 78

/* Output channels for msg_init(). */
#define MSG_TO_STDERR 0x1
#define MSG_TO_SYSLOG 0x2
#define MSG_TO_FILE 0x4 /* the file of msg_file_open() */

/* Verbosity: 0 quiet, 1 debug lines, 2 and more protocol traces. */
extern int msg_verbose;

/* Set the program name (borrowed) and output channels. */
void msg_init(const char *progname, int channels);

/* Set the exit status used by msg_fatal (default 75). */
void msg_set_fatal_status(int status);

/*
 * Append lines to the file path as well ("Nov 24 10:00:00 host
 * prog[pid]: text"), and stop writing to syslog. False with errno set
 * when the file cannot be opened; the channels are then unchanged.
 */
bool msg_file_open(const char *path);

/* Close syslog and the log file. */
void msg_fini(void);

/* Write a debug line when msg_verbose > 0. */
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write an informational line. */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a "warning:" line; errno is preserved. */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write an "error:" line; errno is preserved. */
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a "fatal:" line and exit with the fatal status. */
_Noreturn void msg_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Write a "fatal:" line and exit with status. */
_Noreturn void msg_fatal_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write a "panic:" line and exit 75. */
_Noreturn void msg_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
