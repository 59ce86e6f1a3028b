/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* smtpdirect-milter: options, configuration, socket, privileges, run. */

#include <sys/prctl.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "cfg.h"
#include "diag.h"
#include "mlt_cb.h"
#include "mlt_map.h"
#include "mlt_rcpt.h"
#include "mlt_sig.h"
#include "msg.h"
#include "ovr.h"
#include "sdir.h"

#define MLT_UNIX_PREFIX "unix:" /* also "local:" in libmilter */
#define MLT_OPT_CHECK 256 /* --check */
#define MLT_OPT_HELP 257 /* --help */
#define MLT_OPT_VERSION 258 /* --version */

/* The command line. */
struct mlt_opts {
	const char *conf; /* -c, NULL: the default rules */
	const char *sock; /* -p */
	const char *user; /* -u, NULL: stay */
	const char *pidfile; /* -P */
	bool foreground; /* -f */
	bool check; /* --check */
};

/* The store a SIGHUP reloads (mlt_sig runs main_on_hup). */
static struct mlt_store *main_store;

static void main_usage(FILE *fp);
static void main_args(int argc, char **argv, struct mlt_opts *o);
static void main_diag_log(struct diag_list *dl, const char *prefix);
static void main_on_hup(void);
static int main_load(const struct mlt_opts *o, FILE *out);
static const char *main_unix_path(const char *sock);
static void main_drop(const char *user, const char *upath);
static void main_pidfile(const char *path);
static struct mlt_rcpt *main_rcpt(const struct cfg *cfg);

/* main_usage - print the synopsis */
static void
main_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: smtpdirect-milter [-f] [-c FILE] -p SOCKET [-u USER] "
	    "[-P PIDFILE]\n"
	    "       smtpdirect-milter [-c FILE] --check\n"
	    "       smtpdirect-milter --version | --help\n"
	    "SOCKET: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST\n");
}

/* main_args - parse the command line; exit on a usage error */
static void
main_args(int argc, char **argv, struct mlt_opts *o)
{
	static const struct option longs[] = {
	    {"check", no_argument, NULL, MLT_OPT_CHECK},
	    {"help", no_argument, NULL, MLT_OPT_HELP},
	    {"version", no_argument, NULL, MLT_OPT_VERSION},
	    {NULL, 0, NULL, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "c:fp:u:P:", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'p':
			o->sock = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		case MLT_OPT_CHECK:
			o->check = true;
			break;
		case MLT_OPT_HELP:
			main_usage(stdout);
			exit(MSG_EX_OK);
		case MLT_OPT_VERSION:
			printf("smtpdirect-milter %s\n", SMTPDIRECT_VERSION);
			exit(MSG_EX_OK);
		default:
			main_usage(stderr);
			exit(MSG_EX_USAGE);
		}
	}
	if (optind != argc || (!o->check && o->sock == NULL)) {
		main_usage(stderr);
		exit(MSG_EX_USAGE);
	}
}

/* main_diag_log - log each diagnostic, prefixed */
static void
main_diag_log(struct diag_list *dl, const char *prefix)
{
	char buf[1024];
	unsigned long i;

	diag_sort(dl);
	for (i = 0; i < diag_count(dl); i++) {
		diag_format(diag_get(dl, i), buf, sizeof(buf));
		msg_warn("%s%s", prefix, buf);
	}
}

/* main_on_hup - SIGHUP: load the map again; a bad one is refused */
static void
main_on_hup(void)
{
	struct diag_list *dl = diag_list_new();
	enum ovr_status st;

	st = mlt_store_load(main_store, dl);
	if (st == OVR_OK) {
		main_diag_log(dl, "reload: ");
		msg_info("reload: override map loaded, %zu rules",
		    mlt_store_rules(main_store));
	} else {
		main_diag_log(dl, "reload refused: ");
		msg_warn("reload refused: the override map has errors; "
		         "keeping the old map (%zu rules)",
		    mlt_store_rules(main_store));
	}
	diag_list_free(dl);
}

/* main_load - configuration and map; print the problems; 0 or 78 */
static int
main_load(const struct mlt_opts *o, FILE *out)
{
	struct diag_list *dl = diag_list_new();
	const struct cfg *cfg;
	const char *def;
	enum ovr_status st;
	struct sdir_info sd;
	struct passwd *pw;
	gid_t egid = getegid();
	bool trusted;
	int rc = MSG_EX_OK;

	if (cfg_load(o->conf, dl) != CFG_OK) {
		diag_print(dl, out);
		rc = MSG_EX_CONFIG;
		goto out;
	}
	diag_print(dl, out);
	diag_list_free(dl);
	dl = diag_list_new();
	cfg = cfg_get();
	def = cfg_table_find("dns_overrides")->def;
	/*
	 * The compiled map only in a state_dir that no user but the one
	 * the milter runs as (-u) may write; it is loaded as that user,
	 * who reloads it on SIGHUP, so that the file and its lock are
	 * theirs. A map only root may read is parsed as root, as before.
	 */
	pw = o->user != NULL && geteuid() == 0 ? getpwnam(o->user) : NULL;
	(void)sdir_check(cfg->state_dir, &sd);
	trusted = pw != NULL
	    ? (sd.trust != SDIR_BAD && sd.trust != SDIR_MISSING &&
	          sdir_keeper_ok(sdir_trust_of(sd.owner, sd.mode, pw->pw_uid)))
	    : sdir_keeper_ok(sd.trust);
	main_store = mlt_store_new(cfg->dns_overrides,
	    strcmp(cfg->dns_overrides, def) == 0,
	    trusted ? cfg->state_dir : NULL);
	if (trusted && pw != NULL &&
	    (setegid(pw->pw_gid) < 0 || seteuid(pw->pw_uid) < 0))
		msg_fatal_status(
		    MSG_EX_OSERR, "-u %s: %s", o->user, strerror(errno));
	st = mlt_store_load(main_store, dl);
	if (trusted && pw != NULL && (seteuid(0) < 0 || setegid(egid) < 0))
		msg_fatal_status(
		    MSG_EX_OSERR, "-u %s: root: %s", o->user, strerror(errno));
	if (st == OVR_NOFILE && trusted && pw != NULL) {
		diag_list_free(dl);
		dl = diag_list_new();
		mlt_store_free(main_store);
		main_store = mlt_store_new(cfg->dns_overrides,
		    strcmp(cfg->dns_overrides, def) == 0, NULL);
		st = mlt_store_load(main_store, dl);
	}
	diag_print(dl, out);
	if (st != OVR_OK)
		rc = MSG_EX_CONFIG;
	fprintf(out, "smtpdirect-milter: %lu error%s, %lu warning%s; %s\n",
	    diag_errors(dl), diag_errors(dl) == 1 ? "" : "s", diag_warnings(dl),
	    diag_warnings(dl) == 1 ? "" : "s",
	    rc == MSG_EX_OK ? "ok" : "refusing to start");
out:
	diag_list_free(dl);
	return rc;
}

/* main_unix_path - the file of a unix: socket, else NULL */
static const char *
main_unix_path(const char *sock)
{
	if (strncmp(sock, MLT_UNIX_PREFIX, strlen(MLT_UNIX_PREFIX)) == 0)
		return sock + strlen(MLT_UNIX_PREFIX);
	if (strncmp(sock, "local:", 6) == 0)
		return sock + 6;
	if (sock[0] == '/')
		return sock;
	return NULL;
}

/*
 * main_drop - become user, for good; the unix socket upath (NULL for
 * none) becomes theirs first: its mode (the umask) and the directory
 * it is in say who may connect
 */
static void
main_drop(const char *user, const char *upath)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		msg_fatal_status(MSG_EX_CONFIG, "-u %s: no such user", user);
	if (upath != NULL && chown(upath, pw->pw_uid, pw->pw_gid) < 0)
		msg_fatal_status(MSG_EX_OSERR, "chown %s to %s: %s", upath,
		    user, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		msg_fatal_status(MSG_EX_OSERR, "-u %s: cannot become %s: %s",
		    user, user, strerror(errno));
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		msg_fatal_status(MSG_EX_OSERR, "-u %s: root regained", user);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* main_pidfile - write our PID */
static void
main_pidfile(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
	    fclose(fp) != 0)
		msg_fatal_status(
		    MSG_EX_OSERR, "pid file %s: %s", path, strerror(errno));
}

/*
 * main_rcpt - the RCPT check when milter_reject_null_mx is on, with the
 * resolver settings smtpdirect uses; NULL when off
 */
static struct mlt_rcpt *
main_rcpt(const struct cfg *cfg)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	struct dns_opts opts;
	size_t i;

	if (!cfg->milter_reject_null_mx)
		return NULL;
	memset(&opts, 0, sizeof(opts));
	memset(servers, 0, sizeof(servers));
	for (i = 0; i < cfg->dns_servers_n && i < DNS_SERVERS_MAX; i++) {
		snprintf(servers[i].addr, sizeof(servers[i].addr), "%s",
		    cfg->dns_servers[i].addr);
		servers[i].port = cfg->dns_servers[i].port;
	}
	opts.servers = servers;
	opts.servers_n = i;
	opts.timeout_ms = (unsigned)cfg->dns_timeout * 1000;
	opts.tries = (unsigned)cfg->dns_tries;
	opts.cache_dir = cfg->state_dir;
	opts.cache_size = cfg->dns_cache_size;
	return mlt_rcpt_new(&opts, cfg->milter_dns_time_limit * 1000);
}

/* main - smtpdirect-milter */
int
main(int argc, char **argv)
{
	struct mlt_opts o;
	struct mlt_rcpt *rcpt;
	const char *upath;
	struct why why;
	sigset_t set;
	int rc;

	/*
	 * SIGHUP reloads (mlt_sig.h): blocked before anything else, so that
	 * it never kills us and every thread inherits the mask; libmilter's
	 * signal thread takes it.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* The map holds relay passwords: no core dumps, no ptrace by the
	 * same user (set again by every change of user, main_drop()). */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	main_args(argc, argv, &o);
	msg_init("smtpdirect-milter",
	    o.check ? MSG_TO_STDERR : MSG_TO_STDERR | MSG_TO_SYSLOG);
	msg_set_fatal_status(MSG_EX_CONFIG);
	rc = main_load(&o, o.check ? stdout : stderr);
	rcpt = rc == MSG_EX_OK ? main_rcpt(cfg_get()) : NULL;
	if (rcpt != NULL && !mlt_rcpt_probe(rcpt, &why)) {
		/* Not fatal: the check accepts while it has no server. */
		if (o.check)
			printf("smtpdirect-milter: warning: "
			       "milter_reject_null_mx: %s; recipients are "
			       "accepted unchecked until there is one\n",
			    why.text);
		else
			msg_warn("milter_reject_null_mx: %s; recipients are "
			         "accepted unchecked until there is one",
			    why.text);
	}
	if (o.check || rc != MSG_EX_OK) {
		mlt_rcpt_free(rcpt);
		mlt_store_free(main_store);
		return rc;
	}

	/* The socket, then who we are. */
	if (smfi_setconn((char *)o.sock) != MI_SUCCESS)
		msg_fatal_status(MSG_EX_USAGE, "-p %s: bad socket", o.sock);
	if (!mlt_cb_register(main_store, cfg_get()->milter_transport,
	        cfg_get()->mx_port, rcpt))
		msg_fatal_status(MSG_EX_SOFTWARE, "smfi_register failed");
	if (smfi_opensocket(true) != MI_SUCCESS)
		msg_fatal_status(MSG_EX_OSERR, "cannot open socket %s", o.sock);
	upath = main_unix_path(o.sock);
	if (!o.foreground && daemon(0, 0) < 0)
		msg_fatal_status(MSG_EX_OSERR, "daemon: %s", strerror(errno));
	if (!o.foreground)
		msg_init("smtpdirect-milter", MSG_TO_SYSLOG);
	if (o.pidfile != NULL)
		main_pidfile(o.pidfile);
	if (o.user != NULL)
		main_drop(o.user, upath);
	else if (geteuid() == 0)
		msg_warn("running as root; use -u USER");

	mlt_sig_on_hup(main_on_hup);
	msg_info("started on %s, %zu override rules, null MX check %s", o.sock,
	    mlt_store_rules(main_store), rcpt != NULL ? "on" : "off");
	rc = smfi_main() == MI_SUCCESS ? MSG_EX_OK : MSG_EX_SOFTWARE;
	mlt_sig_on_hup(NULL);
	if (upath != NULL && unlink(upath) < 0 && errno != ENOENT)
		msg_warn("unlink %s: %s", upath, strerror(errno));
	if (o.pidfile != NULL && unlink(o.pidfile) < 0 && errno != ENOENT)
		msg_warn("unlink %s: %s", o.pidfile, strerror(errno));
	msg_info("stopped");
	return rc;
}
