/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Diagnostics: formatting and routing to stderr and syslog. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mono.h"
#include "msg.h"

#define MSG_LINE_MAX 2048 /* longest line written, longer is cut */
#define MSG_SYSLOG_RECHECK_MS 10000 /* how long /dev/log's state is trusted */

int msg_verbose;

static const char *msg_progname = "smtpdirect";
static int msg_channels = MSG_TO_STDERR;
static int msg_fatal_exit = MSG_EX_TEMPFAIL;
static bool msg_syslog_open;
static int msg_file_fd = -1;
static char msg_file_host[64] = "localhost"; /* for the log file */

static void msg_vout(int prio, const char *tag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* msg_init - choose program name and channels */
void
msg_init(const char *progname, int channels)
{
	msg_progname = progname;
	msg_channels = channels;
	if ((channels & MSG_TO_SYSLOG) && !msg_syslog_open) {
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
		msg_syslog_open = true;
	}
}

/* msg_set_fatal_status - exit status of msg_fatal */
void
msg_set_fatal_status(int status)
{
	msg_fatal_exit = status;
}

/* msg_file_open - log to a file instead of syslog */
bool
msg_file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return false;
	if (msg_file_fd >= 0)
		close(msg_file_fd);
	msg_file_fd = fd;
	if (gethostname(msg_file_host, sizeof(msg_file_host) - 1) < 0 ||
	    msg_file_host[0] == '\0')
		snprintf(msg_file_host, sizeof(msg_file_host), "localhost");
	msg_channels = (msg_channels & ~MSG_TO_SYSLOG) | MSG_TO_FILE;
	return true;
}

/* msg_fini - close syslog and the log file */
void
msg_fini(void)
{
	if (msg_syslog_open)
		closelog();
	msg_syslog_open = false;
	if (msg_file_fd >= 0)
		close(msg_file_fd);
	msg_file_fd = -1;
	msg_channels &= ~MSG_TO_FILE;
}

/* msg_file_write - one syslog-like line to the log file, in one write */
static void
msg_file_write(const char *tag, const char *text)
{
	char line[MSG_LINE_MAX + 256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
	n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s%s\n", stamp,
	    msg_file_host, msg_progname, (long)getpid(), tag, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(msg_file_fd, line, (size_t)n) < 0)
		return;
}

/*
 * msg_syslog_there - whether syslog's socket (_PATH_LOG) exists, looked
 * at again after MSG_SYSLOG_RECHECK_MS. Without it syslog(3) makes a
 * socket, fails to connect and closes it for every line, which it then
 * drops: a resident worker would pay that three times a message.
 */
static bool
msg_syslog_there(void)
{
	static long long checked = -1;
	static bool there;
	long long now = mono_now_ms();
	struct stat sb;

	if (checked < 0 || now - checked >= MSG_SYSLOG_RECHECK_MS) {
		there = stat(_PATH_LOG, &sb) == 0;
		checked = now;
	}
	return there;
}

/* msg_vout - format one line and send it to the chosen channels */
static void
msg_vout(int prio, const char *tag, const char *fmt, va_list ap)
{
	char buf[MSG_LINE_MAX];
	int saved = errno;
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		snprintf(buf, sizeof(buf), "(unformattable message)");
	if (msg_channels & MSG_TO_STDERR)
		fprintf(stderr, "%s: %s%s\n", msg_progname, tag, buf);
	if (msg_syslog_open && (msg_channels & MSG_TO_SYSLOG) &&
	    msg_syslog_there())
		syslog(prio, "%s%s", tag, buf);
	if (msg_file_fd >= 0 && (msg_channels & MSG_TO_FILE))
		msg_file_write(tag, buf);
	errno = saved;
}

/* msg_debug - verbose output */
void
msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose <= 0)
		return;
	va_start(ap, fmt);
	msg_vout(LOG_DEBUG, "", fmt, ap);
	va_end(ap);
}

/* msg_info - informational output */
void
msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

/* msg_warn - warning output */
void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

/* msg_error - error output */
void
msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

/* msg_fatal - fatal output and exit with the fatal status */
void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(msg_fatal_exit);
}

/* msg_fatal_status - fatal output and exit with status */
void
msg_fatal_status(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(status);
}

/* msg_panic - broken invariant: exit 75 */
void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vout(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	exit(MSG_EX_TEMPFAIL);
}
