/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* The per-recipient syslog line, in Postfix's "to=<...>, relay=..." form. */

#include <string.h>

#include "deliver.h"
#include "msg.h"

#define DELIVER_LOG_DELAY_CAP 1e9 /* seconds; larger delays print as this */

static const char *deliver_log_status_word(enum deliver_rcpt_status status);
static const char *deliver_log_default_text(enum deliver_rcpt_status status);

/* deliver_log_status_word - the status= word of SPEC section 2 */
static const char *
deliver_log_status_word(enum deliver_rcpt_status status)
{
	switch (status) {
	case DELIVER_RCPT_SENT:
	case DELIVER_RCPT_EARLIER:
		return "sent";
	case DELIVER_RCPT_BOUNCED:
		return "bounced";
	case DELIVER_RCPT_PENDING:
	case DELIVER_RCPT_DEFERRED:
	default:
		return "deferred";
	}
}

/* deliver_log_default_text - the reason when the outcome carries none */
static const char *
deliver_log_default_text(enum deliver_rcpt_status status)
{
	switch (status) {
	case DELIVER_RCPT_SENT:
		return "delivered";
	case DELIVER_RCPT_EARLIER:
		return "already delivered in an earlier attempt";
	case DELIVER_RCPT_PENDING:
		return "delivery not finished";
	case DELIVER_RCPT_DEFERRED:
	case DELIVER_RCPT_BOUNCED:
	default:
		return "no reason recorded";
	}
}

/* deliver_log_delay - append seconds with Postfix's precision */
void
deliver_log_delay(struct sbuf *sb, double seconds)
{
	long long cs;

	/* Written so that NaN, too, prints as 0. */
	if (!(seconds > 0)) {
		sbuf_puts(sb, "0");
		return;
	}
	if (seconds > DELIVER_LOG_DELAY_CAP)
		seconds = DELIVER_LOG_DELAY_CAP;
	/* Centiseconds, cut; the small bias undoes binary fractions. */
	cs = (long long)(seconds * 100.0 + 1e-6);
	if (cs >= 1000 || (cs >= 100 && (cs % 100) / 10 == 0))
		sbuf_printf(sb, "%lld", cs / 100);
	else if (cs >= 100)
		sbuf_printf(sb, "%lld.%lld", cs / 100, (cs % 100) / 10);
	else if (cs == 0)
		sbuf_puts(sb, "0");
	else if (cs % 10 == 0)
		sbuf_printf(sb, "0.%lld", cs / 10);
	else
		sbuf_printf(sb, "0.%02lld", cs);
}

/* deliver_log_format - append the log line of one outcome */
void
deliver_log_format(
    struct sbuf *sb, const char *queue_id, const struct deliver_outcome *o)
{
	char qid[DELIVER_LOG_QID_MAX + 1];
	char rcpt[DELIVER_LOG_RCPT_MAX + 1];
	char relay[DELIVER_RELAY_MAX];
	char text[DELIVER_LOG_TEXT_MAX + 1];
	char dsn[WHY_DSN_MAX];
	const char *src;
	int i;

	if (queue_id == NULL || queue_id[0] == '\0')
		queue_id = "NOQUEUE";
	why_printable(qid, sizeof(qid), queue_id, strlen(queue_id));
	src = o->rcpt != NULL ? o->rcpt : "";
	why_printable(rcpt, sizeof(rcpt), src, strlen(src));
	why_printable(relay, sizeof(relay), o->relay, strlen(o->relay));
	src = o->why.text[0] != '\0' ? o->why.text
	                             : deliver_log_default_text(o->status);
	why_printable(text, sizeof(text), src, strlen(src));

	sbuf_printf(sb, "%s: to=<%s>, relay=%s, ", qid, rcpt,
	    relay[0] != '\0' ? relay : "none");
	if (o->conn_use > 1 && relay[0] != '\0')
		sbuf_printf(sb, "conn_use=%u, ", o->conn_use);
	sbuf_puts(sb, "delay=");
	deliver_log_delay(sb, o->delay);
	if (o->has_delays) {
		sbuf_puts(sb, ", delays=");
		for (i = 0; i < DELIVER_DELAYS; i++) {
			if (i > 0)
				sbuf_putc(sb, '/');
			deliver_log_delay(sb, o->delays[i]);
		}
	}
	sbuf_printf(sb, ", dsn=%s, status=%s (%s)",
	    deliver_outcome_dsn(o, dsn, sizeof(dsn)),
	    deliver_log_status_word(o->status), text);
}

/* deliver_log_outcome - format and log the line of one outcome */
void
deliver_log_outcome(const char *queue_id, const struct deliver_outcome *o)
{
	struct sbuf sb;

	sbuf_init(&sb);
	deliver_log_format(&sb, queue_id, o);
	msg_info("%s", sbuf_str(&sb));
	sbuf_fini(&sb);
}
