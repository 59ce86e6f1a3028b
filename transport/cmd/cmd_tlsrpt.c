/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * smtpdirect tlsrpt: the daily TLS reports (RFC 8460) of the counts in
 * state_dir, sent to each domain's "_smtp._tls" report URIs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "msg.h"
#include "sdir.h"
#include "tlsrpt.h"

#define CMD_TLSRPT_TIMEOUT_MS 30000 /* one HTTPS upload */

/* What one run works with. */
struct cmd_tlsrpt {
	const struct cfg *cfg; /* the configuration */
	struct tlsrpt_db *db; /* the counts */
	struct dns *dns; /* the resolver */
	struct http *http; /* loaded on the first https: URI */
	bool http_tried; /* http_open() was called */
	struct tlsrpt_org org; /* who reports */
	char helo[256], contact[300]; /* org's strings when defaulted */
	const char *only; /* -d DAY, or NULL */
	bool dry; /* -n: print, send nothing */
	char today[TLSRPT_DAY_MAX + 1]; /* the UTC day now */
	char oldest[TLSRPT_DAY_MAX + 1]; /* older days are dropped */
	int rc; /* exit status so far */
};

/* cmd_tlsrpt_rua - the report URIs of domain: OK, NONE, or TEMP */
static enum dns_status
cmd_tlsrpt_rua(struct cmd_tlsrpt *c, const char *domain, struct tlsrpt_txt *t)
{
	char name[DNS_NAME_MAX + 16];
	const char *texts[DNS_RR_MAX];
	size_t lens[DNS_RR_MAX], i;
	struct dns_answer ans;
	enum dns_status st;
	struct why why;

	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	st = dns_lookup(c->dns, name, DNS_T_TXT, &ans, &why);
	if (st == DNS_TEMP)
		fprintf(
		    stderr, "smtpdirect: tlsrpt: %s: %s\n", domain, why.text);
	for (i = 0; st == DNS_OK && i < ans.n && i < DNS_RR_MAX; i++) {
		texts[i] = (const char *)ans.recs[i].data;
		lens[i] = ans.recs[i].len;
	}
	if (st == DNS_OK &&
	    (tlsrpt_txt_pick(texts, lens, i, t, &why) != TLSRPT_TXT_OK ||
	        t->n == 0))
		st = DNS_NODATA;
	dns_answer_fini(&ans);
	return st == DNS_OK || st == DNS_TEMP ? st : DNS_NODATA;
}

/* cmd_tlsrpt_http - the HTTPS client, loaded on first need */
static struct http *
cmd_tlsrpt_http(struct cmd_tlsrpt *c)
{
	struct why why;

	if (!c->http_tried) {
		c->http_tried = true;
		if (http_open(&c->http, &why) != HTTP_OK)
			fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
	}
	return c->http;
}

/* cmd_tlsrpt_send - the report of r to every URI not yet done */
static bool
cmd_tlsrpt_send(struct cmd_tlsrpt *c, const struct tlsrpt_rec *r,
    const struct tlsrpt_txt *t, const struct tlsrpt_report *rep)
{
	struct tlsrpt_send_opts o;
	enum sd_status st;
	struct why why;
	bool all = true;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.org = &c->org;
	o.sendmail = c->cfg->tlsrpt_sendmail;
	o.dns = c->dns;
	o.ca_file = c->cfg->tls_ca_file;
	o.timeout_ms = CMD_TLSRPT_TIMEOUT_MS;
	for (i = 0; i < t->n; i++) {
		if (tlsrpt_db_sent(c->db, r->day, r->domain, t->uri[i]))
			continue;
		if (strncasecmp(t->uri[i], "https:", 6) == 0)
			o.http = cmd_tlsrpt_http(c);
		st = tlsrpt_send(t->uri[i], rep, &o, &why);
		if (st == SD_TEMP) {
			fprintf(stderr,
			    "smtpdirect: tlsrpt: report of %s for %s to %s: "
			    "%s; sent again next time\n",
			    r->domain, r->day, t->uri[i], why.text);
			all = false;
			c->rc = MSG_EX_TEMPFAIL;
			continue;
		}
		if (st == SD_PERM)
			fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
		else
			msg_info("tlsrpt: report of %s for %s sent to %s",
			    r->domain, r->day, t->uri[i]);
		if (tlsrpt_db_mark(c->db, r->day, r->domain, t->uri[i],
		        time(NULL), &why) != SD_OK) {
			fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
			all = false;
			c->rc = MSG_EX_TEMPFAIL;
		}
	}
	return all;
}

/* cmd_tlsrpt_one - the report of one domain and day */
static void
cmd_tlsrpt_one(struct cmd_tlsrpt *c, const struct tlsrpt_rec *r)
{
	struct tlsrpt_report rep;
	struct tlsrpt_txt t;
	struct sbuf json, gz;
	struct why why;
	char id[TLSRPT_DAY_MAX + DNS_NAME_MAX + 300];
	enum dns_status st;
	bool done;

	if (strcmp(r->day, c->oldest) < 0) {
		/* -n changes nothing in the store. */
		fprintf(stderr,
		    "smtpdirect: tlsrpt: %s for %s: older than %d days, "
		    "%s\n",
		    r->domain, r->day, TLSRPT_DAYS_KEPT,
		    c->dry ? "dropped on the next run without -n" : "dropped");
		if (!c->dry)
			(void)tlsrpt_db_drop(c->db, r->day, r->domain, &why);
		return;
	}
	if ((c->only != NULL && strcmp(r->day, c->only) != 0) ||
	    (c->only == NULL && strcmp(r->day, c->today) >= 0))
		return;
	st = cmd_tlsrpt_rua(c, r->domain, &t);
	if (st == DNS_TEMP) {
		c->rc = MSG_EX_TEMPFAIL;
		return;
	}
	if (st != DNS_OK) {
		/* Nobody asks for it: forget it, unless just looking. */
		msg_debug(
		    "tlsrpt: %s publishes no _smtp._tls record", r->domain);
		if (!c->dry)
			(void)tlsrpt_db_drop(c->db, r->day, r->domain, &why);
		return;
	}
	snprintf(
	    id, sizeof(id), "%s_%s@%s", r->day, r->domain, c->org.submitter);
	sbuf_init(&json);
	sbuf_init(&gz);
	tlsrpt_json(r, &c->org, id, &json);
	if (c->dry) {
		fputs(sbuf_str(&json), stdout);
	} else if (tlsrpt_gzip(json.data, json.len, &gz, &why) != SD_OK) {
		fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
		c->rc = MSG_EX_TEMPFAIL;
	} else {
		rep.domain = r->domain;
		rep.day = r->day;
		rep.id = id;
		rep.gz = gz.data;
		rep.gz_len = gz.len;
		done = cmd_tlsrpt_send(c, r, &t, &rep);
		if (done && c->only == NULL &&
		    tlsrpt_db_drop(c->db, r->day, r->domain, &why) != SD_OK)
			fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
	}
	sbuf_fini(&json);
	sbuf_fini(&gz);
}

/* cmd_tlsrpt_org - who reports, from the configuration */
static void
cmd_tlsrpt_org(struct cmd_tlsrpt *c)
{
	const struct cfg *cfg = c->cfg;

	if (cfg->helo_name[0] != '\0')
		snprintf(c->helo, sizeof(c->helo), "%s", cfg->helo_name);
	else if (gethostname(c->helo, sizeof(c->helo) - 1) < 0 ||
	    c->helo[0] == '\0')
		snprintf(c->helo, sizeof(c->helo), "localhost");
	if (cfg->tlsrpt_contact[0] != '\0')
		snprintf(
		    c->contact, sizeof(c->contact), "%s", cfg->tlsrpt_contact);
	else
		snprintf(
		    c->contact, sizeof(c->contact), "postmaster@%s", c->helo);
	c->org.submitter = c->helo;
	c->org.contact = c->contact;
	c->org.organization = cfg->tlsrpt_organization[0] != '\0'
	    ? cfg->tlsrpt_organization
	    : c->helo;
}

/* cmd_tlsrpt_run - every record of the store, in order */
static void
cmd_tlsrpt_run(struct cmd_tlsrpt *c)
{
	char day[TLSRPT_DAY_MAX + 1] = "", domain[DNS_NAME_MAX + 1] = "";
	struct tlsrpt_rec r;
	struct why why;
	enum sd_status st;

	while ((st = tlsrpt_db_next(c->db, day, domain, &r, &why)) == SD_OK) {
		cmd_tlsrpt_one(c, &r);
		memcpy(day, r.day, sizeof(day));
		memcpy(domain, r.domain, sizeof(domain));
		tlsrpt_rec_fini(&r);
	}
	tlsrpt_rec_fini(&r);
	if (st == SD_TEMP) {
		fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
		c->rc = MSG_EX_TEMPFAIL;
	}
}

/* cmd_tlsrpt_open - the store and the resolver; false: exit with rc */
static bool
cmd_tlsrpt_open(struct cmd_tlsrpt *c)
{
	struct dns_server servers[DNS_SERVERS_MAX];
	struct dns_opts opts;
	struct sdir_info sd;
	struct why why;
	time_t now = time(NULL);

	if (sdir_check(c->cfg->state_dir, &sd) != SDIR_OWN &&
	    sd.trust != SDIR_GROUP_WRITABLE) {
		fprintf(stderr,
		    "smtpdirect: tlsrpt: state_dir %s is not this user's: run "
		    "it as the transport's user\n",
		    c->cfg->state_dir);
		c->rc = MSG_EX_TEMPFAIL;
		return false;
	}
	tlsrpt_day_of(now, c->today);
	tlsrpt_day_of(now - (time_t)TLSRPT_DAYS_KEPT * 86400, c->oldest);
	if ((c->db = tlsrpt_db_open(c->cfg->state_dir, &why)) == NULL) {
		fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
		c->rc = MSG_EX_TEMPFAIL;
		return false;
	}
	cmd_dns_opts(c->cfg, &sd, servers, &opts);
	if (dns_open(&opts, &c->dns, &why) != DNS_OK) {
		fprintf(stderr, "smtpdirect: tlsrpt: %s\n", why.text);
		c->rc = MSG_EX_TEMPFAIL;
		return false;
	}
	return true;
}

/* cmd_tlsrpt - smtpdirect tlsrpt [-v] [-c FILE] [-n] [-d DAY] */
int
cmd_tlsrpt(int argc, char **argv)
{
	struct cmd_tlsrpt c;
	const char *conf = NULL;
	int ch;

	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((ch = getopt(argc, argv, "c:d:nv")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			if (strlen(optarg) != TLSRPT_DAY_MAX ||
			    optarg[4] != '-' || optarg[7] != '-') {
				fprintf(stderr,
				    "smtpdirect: tlsrpt: bad day \"%s\" "
				    "(YYYY-MM-DD)\n",
				    optarg);
				return MSG_EX_USAGE;
			}
			c.only = optarg;
			break;
		case 'n':
			c.dry = true;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			cmd_usage_print(stderr);
			return MSG_EX_USAGE;
		}
	}
	if (argc != optind) {
		cmd_usage_print(stderr);
		return MSG_EX_USAGE;
	}
	if (!cmd_cfg_load(conf, NULL))
		return MSG_EX_CONFIG;
	c.cfg = cfg_get();
	c.rc = MSG_EX_OK;
	cmd_tlsrpt_org(&c);
	if (cmd_tlsrpt_open(&c))
		cmd_tlsrpt_run(&c);
	http_close(c.http);
	dns_close(c.dns);
	tlsrpt_db_close(c.db);
	return c.rc;
}
