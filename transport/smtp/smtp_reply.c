/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * SMTP reply parser: bytes in, one bounded reply out. It knows nothing
 * of sockets, so replies split across packets, pipelined replies and
 * garbage are all tested by feeding it bytes.
 */

#include <stdio.h>
#include <string.h>

#include "smtp_int.h"

/* smtp_reply_init - prepare for a new reply */
void
smtp_reply_init(struct smtp_reply *r, bool esc)
{
	r->code = 0;
	r->dsn[0] = '\0';
	r->text[0] = '\0';
	r->textlen = 0;
	r->nlines = 0;
	r->esc = esc;
	r->done = false;
	r->linelen = 0;
}

/* smtp_reply_bad - report a malformed reply, quoting the offending line */
static enum smtp_reply_rc
smtp_reply_bad(struct smtp_reply *r, const char *what, struct why *why)
{
	char clean[80];

	why_printable(clean, sizeof(clean), r->line, r->linelen);
	why_set(why, "4.5.0", "%s: \"%s\"", what, clean);
	return SMTP_REPLY_BAD;
}

/* smtp_reply_code_ok - three digits, first 2-5, second 0-5 (RFC 5321 4.2) */
static bool
smtp_reply_code_ok(const char *p, size_t n)
{
	if (n < 3)
		return false;
	return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' &&
	    p[2] >= '0' && p[2] <= '9';
}

/* smtp_reply_esc_len - length of an enhanced code at p matching class */
static size_t
smtp_reply_esc_len(const char *p, size_t n, char class)
{
	char buf[WHY_DSN_MAX];
	size_t i;

	for (i = 0; i < n && i < sizeof(buf) - 1; i++) {
		if (p[i] == ' ')
			break;
		buf[i] = p[i];
	}
	if (i == 0 || i == sizeof(buf) - 1 || (i < n && p[i] != ' '))
		return 0;
	buf[i] = '\0';
	if (buf[0] != class || !why_dsn_valid(buf))
		return 0;
	return i;
}

/* smtp_reply_add_text - keep one line's text, NUL bytes made visible */
static bool
smtp_reply_add_text(struct smtp_reply *r, const char *p, size_t n)
{
	size_t need = n + (r->nlines > 0 ? 1 : 0), i;

	if (need >= sizeof(r->text) - r->textlen)
		return false;
	if (r->nlines > 0)
		r->text[r->textlen++] = '\n';
	for (i = 0; i < n; i++)
		r->text[r->textlen++] = p[i] == '\0' ? '?' : p[i];
	r->text[r->textlen] = '\0';
	return true;
}

/* smtp_reply_line - take one complete line (without its line end) */
static enum smtp_reply_rc
smtp_reply_line(struct smtp_reply *r, struct why *why)
{
	const char *p = r->line, *text;
	size_t n = r->linelen, tlen, elen;
	char sep;
	int code;

	if (n > SMTP_REPLY_LINE_MAX)
		return smtp_reply_bad(r, "reply line too long", why);
	if (!smtp_reply_code_ok(p, n))
		return smtp_reply_bad(r, "malformed reply", why);
	sep = n > 3 ? p[3] : ' ';
	if (sep != ' ' && sep != '-')
		return smtp_reply_bad(r, "malformed reply", why);
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return smtp_reply_bad(
		    r, "reply code changes within a reply", why);
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return smtp_reply_bad(r, "reply has too many lines", why);
	r->code = code;
	text = n > 4 ? p + 4 : "";
	tlen = n > 4 ? n - 4 : 0;
	if (r->esc && (elen = smtp_reply_esc_len(text, tlen, p[0])) > 0) {
		if (r->nlines == 0) {
			memcpy(r->dsn, text, elen);
			r->dsn[elen] = '\0';
		}
		text += elen;
		tlen -= elen;
		while (tlen > 0 && *text == ' ') {
			text++;
			tlen--;
		}
	}
	if (!smtp_reply_add_text(r, text, tlen))
		return smtp_reply_bad(r, "reply too long", why);
	r->nlines++;
	r->linelen = 0;
	if (sep == ' ') {
		r->done = true;
		return SMTP_REPLY_DONE;
	}
	return SMTP_REPLY_MORE;
}

/* smtp_reply_parse - feed bytes, stop at the end of the reply */
enum smtp_reply_rc
smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t len,
    size_t *used, struct why *why)
{
	enum smtp_reply_rc rc = SMTP_REPLY_MORE;
	const char *nl;
	size_t i = 0, n;

	while (i < len && rc == SMTP_REPLY_MORE) {
		nl = memchr(buf + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (buf + i)) : len - i;
		if (n > sizeof(r->line) - r->linelen) {
			/* Keep what fits, so the complaint quotes this line. */
			memcpy(r->line + r->linelen, buf + i,
			    sizeof(r->line) - r->linelen);
			r->linelen = sizeof(r->line);
			*used = i;
			return smtp_reply_bad(r, "reply line too long", why);
		}
		memcpy(r->line + r->linelen, buf + i, n);
		r->linelen += n;
		i += n;
		if (nl == NULL)
			break;
		i++;
		if (r->linelen > 0 && r->line[r->linelen - 1] == '\r')
			r->linelen--;
		rc = smtp_reply_line(r, why);
	}
	*used = i;
	return rc;
}

/* smtp_reply_dsn - the server's enhanced code, else one from the class */
const char *
smtp_reply_dsn(const struct smtp_reply *r, char *buf, size_t size)
{
	if (r->dsn[0] != '\0')
		snprintf(buf, size, "%s", r->dsn);
	else
		snprintf(buf, size, "%d.0.0", r->code / 100);
	return buf;
}

/* smtp_reply_quote - "CODE DSN text" with lines joined, cleaned */
char *
smtp_reply_quote(const struct smtp_reply *r, char *buf, size_t size)
{
	char joined[SMTP_REPLY_TEXT_MAX + WHY_DSN_MAX + 8];
	size_t i;
	int n;

	n = snprintf(joined, sizeof(joined), "%03d%s%s%s", r->code,
	    r->dsn[0] != '\0' ? " " : "", r->dsn, r->textlen > 0 ? " " : "");
	if (n < 0)
		n = 0;
	for (i = 0; i < r->textlen && (size_t)n < sizeof(joined) - 1; i++)
		joined[n++] = r->text[i] == '\n' ? ' ' : r->text[i];
	return why_printable(buf, size, joined, (size_t)n);
}
