/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtp_send - test driver of the smtp and spool modules: spool standard
 * input, then try each -s host in turn with the recipients still
 * deferred, printing every step and a final line per recipient.
 *
 * smtp_send [-v] [-H helo] [-c connect_ms] [-t command_ms] [-d data_ms]
 *	[-D deadline_ms] [-T tmpdir] [-n transactions] [-L tls_policy]
 *	[-C ca_file] [-V min_version] [-A "usage selector mtype hex"]...
 *	[-a user:password] [-P] [-B] -f sender -s [name[]addr[]]:port ...
 *	recipient ...
 *
 * -L none|may|encrypt|verify|dane, -C the CA bundle, -V TLSv1.2 ...,
 * -A a TLSA record for dane, -a credentials (split at the first ':',
 * no escapes), -P allows AUTH without TLS, -B sends with BDAT where
 * CHUNKING is offered. After hello it prints the session's "tls ..."
 * text, and the LIMITS announced.
 *
 * Exit: 0 all sent, 75 some deferred, 69 some bounced (none deferred),
 * 64 usage.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "smtp.h"
#include "spool.h"
#include "xalloc.h"

#define SEND_HOSTS_MAX 8 /* most -s options */
#define SEND_TLSA_MAX 8 /* most -A options */
#define SEND_TLSA_DATA_MAX 128 /* bytes of one -A record's data */

/* One -s target. */
struct send_host {
	char name[256]; /* host name for logs */
	char addr[64]; /* numeric address */
	unsigned port; /* TCP port */
};

/* send_usage - complain and exit 64 */
static _Noreturn void
send_usage(void)
{
	fprintf(stderr,
	    "usage: smtp_send [-v] [-H helo] [-c ms] [-t ms] [-d ms] "
	    "[-D ms] [-T dir] [-n count] [-L policy] [-C ca_file] "
	    "[-V version] [-A tlsa]... [-a user:pass] [-P] [-B] -f sender "
	    "-s [name[]addr[]]:port ... rcpt...\n");
	exit(MSG_EX_USAGE);
}

/* send_parse_host - "name[addr]:port" or "addr:port" */
static void
send_parse_host(const char *arg, struct send_host *h)
{
	const char *lb = strchr(arg, '['), *colon = strrchr(arg, ':');
	const char *rb;

	if (colon == NULL)
		send_usage();
	h->port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (lb != NULL) {
		rb = strchr(lb, ']');
		if (rb == NULL || rb + 1 != colon)
			send_usage();
		snprintf(
		    h->name, sizeof(h->name), "%.*s", (int)(lb - arg), arg);
		snprintf(h->addr, sizeof(h->addr), "%.*s", (int)(rb - lb - 1),
		    lb + 1);
	} else {
		snprintf(
		    h->addr, sizeof(h->addr), "%.*s", (int)(colon - arg), arg);
		snprintf(
		    h->name, sizeof(h->name), "%.*s", (int)(colon - arg), arg);
	}
}

/* send_parse_tlsa - "usage selector mtype hex" into t and its data */
static void
send_parse_tlsa(const char *arg, struct smtp_tlsa *t, unsigned char *data)
{
	unsigned u, sel, mt;
	char hex[2 * SEND_TLSA_DATA_MAX + 1];
	size_t i, n;

	if (sscanf(arg, "%u %u %u %256s", &u, &sel, &mt, hex) != 4 || u > 255 ||
	    sel > 255 || mt > 255)
		send_usage();
	n = strlen(hex);
	if (n % 2 != 0)
		send_usage();
	for (i = 0; i < n / 2; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &data[i]) != 1)
			send_usage();
	t->usage = (unsigned char)u;
	t->selector = (unsigned char)sel;
	t->mtype = (unsigned char)mt;
	t->data = data;
	t->len = n / 2;
}

/* send_status_name - sent, deferred or bounced */
static const char *
send_status_name(enum sd_status st)
{
	return st == SD_OK ? "sent" : st == SD_TEMP ? "deferred" : "bounced";
}

/* send_caps - print the capabilities of a session */
static void
send_caps(struct smtp_session *s)
{
	const struct smtp_limits *lim = smtp_session_limits(s);
	unsigned c = smtp_session_caps(s);

	printf("hello %s: ok caps=%s%s%s%s%s%s%s%s%s%s size=%llu auth=%s\n",
	    smtp_session_peer(s), c & SMTP_CAP_ESMTP ? "ESMTP," : "",
	    c & SMTP_CAP_PIPELINING ? "PIPELINING," : "",
	    c & SMTP_CAP_SIZE ? "SIZE," : "",
	    c & SMTP_CAP_8BITMIME ? "8BITMIME," : "",
	    c & SMTP_CAP_SMTPUTF8 ? "SMTPUTF8," : "",
	    c & SMTP_CAP_ENHANCEDSTATUSCODES ? "ENHANCEDSTATUSCODES," : "",
	    c & SMTP_CAP_STARTTLS ? "STARTTLS," : "",
	    c & SMTP_CAP_AUTH ? "AUTH," : "",
	    c & SMTP_CAP_CHUNKING ? "CHUNKING," : "",
	    c & SMTP_CAP_LIMITS ? "LIMITS," : "", smtp_session_size_max(s),
	    smtp_session_auth_mechs(s));
	printf("limits %s: mail=%lu rcpt=%lu domains=%lu\n",
	    smtp_session_peer(s), lim->mail_max, lim->rcpt_max,
	    lim->rcpt_domain_max);
}

/* send_one_host - one session: hello, then count transactions */
static void
send_one_host(const struct send_host *h, const struct smtp_peer *tmpl,
    const struct smtp_opts *opts, struct smtp_txn *t, int count)
{
	struct smtp_peer peer = *tmpl;
	char tls[SMTP_TLS_TEXT_MAX];
	struct smtp_session *s;
	enum sd_status st;
	struct why why;
	size_t i;
	int n;

	peer.host = h->name;
	peer.addr = h->addr;
	peer.port = h->port;
	if (smtp_session_open(&s, &peer, opts, &why) != SD_OK) {
		printf("connect %s[%s]:%u: failed: %s %s\n", h->name, h->addr,
		    h->port, why.dsn, why.text);
		for (i = 0; i < t->nrcpt; i++) {
			t->rcpt[i].status = SD_TEMP;
			t->rcpt[i].why = why;
		}
		return;
	}
	st = smtp_session_hello(s, &why);
	if (st != SD_OK) {
		printf("hello %s: %s: %s %s (state %s)\n", smtp_session_peer(s),
		    send_status_name(st), why.dsn, why.text,
		    smtp_state_name(smtp_session_state(s)));
		for (i = 0; i < t->nrcpt; i++) {
			t->rcpt[i].status = SD_TEMP;
			t->rcpt[i].why = why;
		}
		smtp_session_close(s);
		return;
	}
	send_caps(s);
	printf("tls %s: %s\n", smtp_session_peer(s),
	    smtp_session_tls_text(s, tls, sizeof(tls)));
	for (n = 0; n < count; n++) {
		st = smtp_session_send(s, t, &why);
		printf("transaction %s: %s%s%s%s%s (state %s, failed at %s)\n",
		    smtp_session_peer(s), send_status_name(st),
		    st != SD_OK ? ": " : "", st != SD_OK ? why.dsn : "",
		    st != SD_OK ? " " : "", st != SD_OK ? why.text : "",
		    smtp_state_name(smtp_session_state(s)),
		    smtp_state_name(smtp_session_fail_state(s)));
		for (i = 0; i < t->nrcpt; i++)
			printf("rcpt <%s> %s: %s (%s code=%d) %s\n",
			    t->rcpt[i].addr, smtp_session_peer(s),
			    send_status_name(t->rcpt[i].status),
			    t->rcpt[i].why.dsn, t->rcpt[i].why.smtp_code,
			    t->rcpt[i].why.text);
		if (smtp_session_state(s) != SMTP_ST_READY)
			break;
	}
	smtp_session_close(s);
}

/* send_pending - move the deferred recipients to the front */
static size_t
send_pending(
    struct smtp_rcpt *all, size_t n, struct smtp_rcpt *final, size_t *fn)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (all[i].status == SD_TEMP)
			all[k++] = all[i];
		else
			final[(*fn)++] = all[i];
	}
	return k;
}

/* send_report - final line per recipient and the exit status */
static int
send_report(const struct smtp_rcpt *final, size_t n)
{
	bool temp = false, perm = false;
	size_t i;

	for (i = 0; i < n; i++) {
		printf("final <%s>: %s dsn=%s code=%d %s\n", final[i].addr,
		    send_status_name(final[i].status), final[i].why.dsn,
		    final[i].why.smtp_code, final[i].why.text);
		temp = temp || final[i].status == SD_TEMP;
		perm = perm || final[i].status == SD_PERM;
	}
	return temp ? MSG_EX_TEMPFAIL : perm ? MSG_EX_UNAVAILABLE : 0;
}

/* main - parse, spool, deliver, report */
int
main(int argc, char **argv)
{
	struct smtp_opts opts = {.helo_name = "smtp-send.test"};
	struct smtp_peer tmpl = {.host = NULL};
	struct smtp_tlsa tlsa[SEND_TLSA_MAX];
	unsigned char tlsa_data[SEND_TLSA_MAX][SEND_TLSA_DATA_MAX];
	struct send_host hosts[SEND_HOSTS_MAX];
	char *colon;
	struct smtp_rcpt *rcpt, *final;
	const char *sender = NULL, *tmpdir = NULL;
	size_t nhosts = 0, nrcpt, nfinal = 0, i, h;
	long deadline = 0;
	struct spool *sp;
	struct smtp_txn t;
	struct why why;
	int c, count = 1;
	bool chunking = false;

	msg_init("smtp_send", MSG_TO_STDERR);
	while (
	    (c = getopt(argc, argv, "vH:c:t:d:D:T:n:f:s:L:C:V:A:a:PB")) != -1) {
		switch (c) {
		case 'L':
			if (!cfg_tls_parse(optarg, &tmpl.tls))
				send_usage();
			break;
		case 'C':
			opts.tls_ca_file = optarg;
			break;
		case 'V':
			if (!smtp_tls_version_parse(
			        optarg, &opts.tls_min_version))
				send_usage();
			break;
		case 'A':
			if (tmpl.ntlsa == SEND_TLSA_MAX)
				send_usage();
			send_parse_tlsa(
			    optarg, &tlsa[tmpl.ntlsa], tlsa_data[tmpl.ntlsa]);
			tmpl.ntlsa++;
			tmpl.tlsa = tlsa;
			break;
		case 'a':
			if ((colon = strchr(optarg, ':')) == NULL)
				send_usage();
			tmpl.user = optarg;
			tmpl.user_len = (size_t)(colon - optarg);
			tmpl.pass = colon + 1;
			tmpl.pass_len = strlen(colon + 1);
			break;
		case 'P':
			opts.auth_without_tls = true;
			break;
		case 'B':
			chunking = true;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'H':
			opts.helo_name = optarg;
			break;
		case 'c':
			opts.connect_timeout_ms = strtoul(optarg, NULL, 10);
			break;
		case 't':
			opts.command_timeout_ms = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			opts.data_timeout_ms = strtoul(optarg, NULL, 10);
			break;
		case 'D':
			deadline = strtol(optarg, NULL, 10);
			break;
		case 'T':
			tmpdir = optarg;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'f':
			sender = optarg;
			break;
		case 's':
			if (nhosts == SEND_HOSTS_MAX)
				send_usage();
			send_parse_host(optarg, &hosts[nhosts++]);
			break;
		default:
			send_usage();
		}
	}
	if (sender == NULL || nhosts == 0 || optind >= argc || count < 1)
		send_usage();
	if (deadline > 0)
		opts.deadline_ms = mono_now_ms() + deadline;
	if (spool_open(&sp, 0, tmpdir, &why) != SD_OK) {
		printf("spool: failed: %s %s\n", why.dsn, why.text);
		return MSG_EX_TEMPFAIL;
	}
	printf("spool: size=%llu 8bit=%s fingerprint=%s\n", spool_size(sp),
	    spool_has_8bit(sp) ? "yes" : "no", spool_fingerprint(sp));
	nrcpt = (size_t)(argc - optind);
	rcpt = xcalloc(nrcpt, sizeof(*rcpt));
	final = xcalloc(nrcpt, sizeof(*final));
	for (i = 0; i < nrcpt; i++) {
		rcpt[i].addr = argv[optind + (int)i];
		rcpt[i].status = SD_TEMP;
	}
	memset(&t, 0, sizeof(t));
	for (h = 0; h < nhosts && nrcpt > 0; h++) {
		t.sender = sender;
		t.spool = sp;
		t.rcpt = rcpt;
		t.nrcpt = nrcpt;
		t.chunking = chunking;
		send_one_host(&hosts[h], &tmpl, &opts, &t, count);
		nrcpt = send_pending(rcpt, nrcpt, final, &nfinal);
	}
	for (i = 0; i < nrcpt; i++)
		final[nfinal++] = rcpt[i];
	c = send_report(final, nfinal);
	free(rcpt);
	free(final);
	spool_close(sp);
	return c;
}
