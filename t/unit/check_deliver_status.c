/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of deliver_status.c: failure policy, exit status, stderr line. */

#include "unit.h"

#include "deliver.h"
#include "msg.h"

static const struct deliver_peer mx = {"mx.example.com", "192.0.2.1", 25, 0};
static const struct deliver_peer relay587 = {
    "relay.example.net", "198.51.100.7", 587, 0};
static const struct deliver_peer mx6 = {
    "mx6.example.com", "2001:db8::1", 25, 0};
static const struct deliver_peer bare = {"", "192.0.2.9", 25, 0};

#define MXN "mx.example.com[192.0.2.1]"

/* One attempt and the decision wanted. */
struct classify_case {
	const char *name;
	enum deliver_fail fail;
	enum deliver_stage stage;
	const struct deliver_peer *peer;
	int code;
	const char *dsn;
	const char *text;
	enum deliver_action want_action;
	const char *want_dsn;
	const char *want_text;
};

static const struct classify_case classify_cases[] = {
    {"connect refused", DELIVER_FAIL_CONNECT, DELIVER_STAGE_GREETING, &mx, 0,
        NULL, "Connection refused", DELIVER_NEXT_ADDRESS, "4.4.1",
        "connect to " MXN ":25: Connection refused"},
    {"connect ipv6", DELIVER_FAIL_CONNECT, DELIVER_STAGE_GREETING, &mx6, 0,
        NULL, "Network is unreachable", DELIVER_NEXT_ADDRESS, "4.4.1",
        "connect to mx6.example.com[2001:db8::1]:25: Network is unreachable"},
    {"connect no detail", DELIVER_FAIL_CONNECT, DELIVER_STAGE_GREETING, &mx, 0,
        NULL, NULL, DELIVER_NEXT_ADDRESS, "4.4.1",
        "connect to " MXN ":25: failed"},
    {"connect name-less host", DELIVER_FAIL_CONNECT, DELIVER_STAGE_GREETING,
        &bare, 0, NULL, "timed out", DELIVER_NEXT_ADDRESS, "4.4.1",
        "connect to 192.0.2.9[192.0.2.9]:25: timed out"},
    {"tls handshake", DELIVER_FAIL_TLS, DELIVER_STAGE_STARTTLS, &mx, 0, NULL,
        NULL, DELIVER_NEXT_ADDRESS, "4.7.5",
        "TLS with " MXN ":25 failed: handshake failure"},
    {"tls required not offered", DELIVER_FAIL_TLS, DELIVER_STAGE_EHLO, &mx, 0,
        "4.7.4", "TLS is required, but was not offered", DELIVER_NEXT_ADDRESS,
        "4.7.4",
        "TLS with " MXN ":25 failed: TLS is required, but was not offered"},
    {"tls 5xx code made temporary", DELIVER_FAIL_TLS, DELIVER_STAGE_STARTTLS,
        &mx, 0, "5.7.1", "certificate not trusted", DELIVER_NEXT_ADDRESS,
        "4.7.1", "TLS with " MXN ":25 failed: certificate not trusted"},
    {"greeting 421", DELIVER_FAIL_REPLY, DELIVER_STAGE_GREETING, &mx, 421,
        "4.3.2", "421 4.3.2 busy\r\n", DELIVER_NEXT_ADDRESS, "4.3.2",
        "host " MXN " refused to talk to me: 421 4.3.2 busy"},
    {"greeting 554 skipped as 4xx", DELIVER_FAIL_REPLY, DELIVER_STAGE_GREETING,
        &mx, 554, NULL, "554 go away\r\n", DELIVER_NEXT_ADDRESS, "4.0.0",
        "host " MXN " refused to talk to me: 554 go away"},
    {"greeting 554 multi-line", DELIVER_FAIL_REPLY, DELIVER_STAGE_GREETING, &mx,
        554, "5.7.1", "554-5.7.1 no\r\n554 5.7.1 really\r\n",
        DELIVER_NEXT_ADDRESS, "4.7.1",
        "host " MXN " refused to talk to me: 554-5.7.1 no 554 5.7.1 really"},
    {"greeting 521 is the host's permanent refusal", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_GREETING, &mx, 521, "5.3.2",
        "521 5.3.2 Service currently unavailable\r\n", DELIVER_HOST_REFUSES,
        "5.3.2",
        "host " MXN
        " refused to talk to me: 521 5.3.2 Service currently unavailable"},
    {"greeting 521 without a code reads 5.3.2", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_GREETING, &mx, 521, NULL,
        "521 mx.example.com does not accept mail", DELIVER_HOST_REFUSES,
        "5.3.2",
        "host " MXN
        " refused to talk to me: 521 mx.example.com does not accept mail"},
    {"greeting 521 5.0.0 reads 5.3.2", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_GREETING, &mx, 521, "5.0.0", "521 no mail",
        DELIVER_HOST_REFUSES, "5.3.2",
        "host " MXN " refused to talk to me: 521 no mail"},
    {"greeting 521 keeps a code of its own", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_GREETING, &mx, 521, "5.7.1",
        "521 5.7.1 Service unavailable; client [192.0.2.9] blocked",
        DELIVER_HOST_REFUSES, "5.7.1",
        "host " MXN " refused to talk to me: 521 5.7.1 Service unavailable; "
        "client [192.0.2.9] blocked"},
    {"greeting 521 with a code of class 4", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_GREETING, &mx, 521, "4.3.2", "521 4.3.2 odd",
        DELIVER_HOST_REFUSES, "5.3.2",
        "host " MXN " refused to talk to me: 521 4.3.2 odd"},
    {"ehlo 521 is not RFC 7504's: next address", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_EHLO, &mx, 521, NULL, "521 no", DELIVER_NEXT_ADDRESS,
        "4.3.2", "host " MXN " refused to talk to me: 521 no"},
    {"greeting 450", DELIVER_FAIL_REPLY, DELIVER_STAGE_GREETING, &mx, 450, NULL,
        "450 later", DELIVER_NEXT_ADDRESS, "4.0.0",
        "host " MXN " refused to talk to me: 450 later"},
    {"ehlo 421", DELIVER_FAIL_REPLY, DELIVER_STAGE_EHLO, &mx, 421, NULL,
        "421 closing", DELIVER_NEXT_ADDRESS, "4.0.0",
        "host " MXN " refused to talk to me: 421 closing"},
    {"helo 550 never bounces", DELIVER_FAIL_REPLY, DELIVER_STAGE_HELO, &mx, 550,
        "5.7.1", "550 5.7.1 bad helo", DELIVER_NEXT_ADDRESS, "4.7.1",
        "host " MXN " refused to talk to me: 550 5.7.1 bad helo"},
    {"starttls refused", DELIVER_FAIL_REPLY, DELIVER_STAGE_STARTTLS, &mx, 454,
        "4.7.0", "454 4.7.0 TLS not available", DELIVER_NEXT_ADDRESS, "4.7.0",
        "TLS is required, but host " MXN
        " refused to start TLS: 454 4.7.0 TLS not available"},
    {"auth 535", DELIVER_FAIL_REPLY, DELIVER_STAGE_AUTH, &mx, 535, "5.7.8",
        "535 5.7.8 Authentication failed", DELIVER_NEXT_HOST, "4.7.8",
        "SASL authentication failed; server " MXN
        " said: 535 5.7.8 Authentication failed"},
    {"auth 421", DELIVER_FAIL_REPLY, DELIVER_STAGE_AUTH, &mx, 421, NULL,
        "421 bye", DELIVER_NEXT_ADDRESS, "4.0.0",
        "SASL authentication failed; server " MXN " said: 421 bye"},
    {"mail 451", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL, &mx, 451, "4.3.0",
        "451 4.3.0 try later", DELIVER_NEXT_HOST, "4.3.0",
        "host " MXN " said: 451 4.3.0 try later (in reply to MAIL FROM "
        "command)"},
    {"mail 550", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL, &mx, 550, "5.7.1",
        "550 5.7.1 sender rejected", DELIVER_BOUNCE, "5.7.1",
        "host " MXN " said: 550 5.7.1 sender rejected (in reply to MAIL FROM "
        "command)"},
    {"mail 501 syntax is ours", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL, &mx,
        501, NULL, "501 Syntax error", DELIVER_NEXT_HOST, "4.5.0",
        "host " MXN " said: 501 Syntax error (in reply to MAIL FROM command)"},
    {"mail 555 5.5.4 is ours", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL, &mx, 555,
        "5.5.4", "555 5.5.4 Unsupported option: SMTPUTF8", DELIVER_NEXT_HOST,
        "4.5.4",
        "host " MXN " said: 555 5.5.4 Unsupported option: SMTPUTF8 (in reply "
        "to MAIL FROM command)"},
    {"mail 421", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL, &mx, 421, "4.4.2",
        "421 4.4.2 timeout", DELIVER_NEXT_ADDRESS, "4.4.2",
        "host " MXN " said: 421 4.4.2 timeout (in reply to MAIL FROM command)"},
    {"rcpt 550 5.1.1", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 550,
        "5.1.1", "550 5.1.1 <bob@example.com>: unknown", DELIVER_BOUNCE,
        "5.1.1",
        "host " MXN " said: 550 5.1.1 <bob@example.com>: unknown (in reply "
        "to RCPT TO command)"},
    {"rcpt 550 no dsn", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 550, NULL,
        "550 no such user", DELIVER_BOUNCE, "5.0.0",
        "host " MXN " said: 550 no such user (in reply to RCPT TO command)"},
    {"rcpt 550 dsn of wrong class", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx,
        550, "4.1.1", "550 4.1.1 odd", DELIVER_BOUNCE, "5.0.0",
        "host " MXN " said: 550 4.1.1 odd (in reply to RCPT TO command)"},
    {"rcpt 550 malformed dsn", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 550,
        "5.1", "550 5.1 odd", DELIVER_BOUNCE, "5.0.0",
        "host " MXN " said: 550 5.1 odd (in reply to RCPT TO command)"},
    {"rcpt 501 5.1.3 is about the address", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_RCPT, &mx, 501, "5.1.3", "501 5.1.3 bad address",
        DELIVER_BOUNCE, "5.1.3",
        "host " MXN " said: 501 5.1.3 bad address (in reply to RCPT TO "
        "command)"},
    {"rcpt 556 null MX", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 556,
        "5.1.10",
        "556 5.1.10 <a@nomail.test>: Recipient address rejected: Domain "
        "nomail.test does not accept mail (nullMX)",
        DELIVER_BOUNCE, "5.1.10",
        "host " MXN " said: 556 5.1.10 <a@nomail.test>: Recipient address "
        "rejected: Domain nomail.test does not accept mail (nullMX) (in "
        "reply to RCPT TO command)"},
    {"rcpt 556 without a code reads 5.1.10", DELIVER_FAIL_REPLY,
        DELIVER_STAGE_RCPT, &mx, 556, "5.0.0",
        "556 Domain does not accept mail", DELIVER_BOUNCE, "5.1.10",
        "host " MXN " said: 556 Domain does not accept mail (in reply to "
        "RCPT TO command)"},
    {"mail 556 bounces the transaction", DELIVER_FAIL_REPLY, DELIVER_STAGE_MAIL,
        &mx, 556, NULL, "556 no mail", DELIVER_BOUNCE, "5.1.10",
        "host " MXN " said: 556 no mail (in reply to MAIL FROM command)"},
    {"rcpt 450 greylisted", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 450,
        "4.2.0", "450 4.2.0 greylisted", DELIVER_NEXT_HOST, "4.2.0",
        "host " MXN " said: 450 4.2.0 greylisted (in reply to RCPT TO "
        "command)"},
    {"rcpt 552 is 452", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 552, NULL,
        "552 too many recipients", DELIVER_NEXT_HOST, "4.5.3",
        "host " MXN " said: 552 too many recipients (in reply to RCPT TO "
        "command)"},
    {"rcpt 552 5.2.2", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 552,
        "5.2.2", "552 5.2.2 mailbox full", DELIVER_NEXT_HOST, "4.2.2",
        "host " MXN " said: 552 5.2.2 mailbox full (in reply to RCPT TO "
        "command)"},
    {"rcpt 421", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 421, NULL,
        "421 shutting down", DELIVER_NEXT_ADDRESS, "4.0.0",
        "host " MXN " said: 421 shutting down (in reply to RCPT TO command)"},
    {"rcpt unexpected 250", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 250,
        NULL, "250 ok", DELIVER_NEXT_ADDRESS, "4.5.0",
        "Protocol error: host " MXN " said: 250 ok (in reply to RCPT TO "
        "command)"},
    {"garbage code", DELIVER_FAIL_REPLY, DELIVER_STAGE_DATA, &mx, 0, NULL,
        "xyz", DELIVER_NEXT_ADDRESS, "4.5.0",
        "Protocol error: host " MXN " said: xyz (in reply to DATA command)"},
    {"rcpt port 587", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &relay587, 550,
        "5.1.1", "550 5.1.1 unknown", DELIVER_BOUNCE, "5.1.1",
        "host relay.example.net[198.51.100.7]:587 said: 550 5.1.1 unknown (in "
        "reply to RCPT TO command)"},
    {"rcpt reply cleaned", DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx, 550,
        "5.1.1", "550 5.1.1 bad\x01user\t\xff\r\n", DELIVER_BOUNCE, "5.1.1",
        "host " MXN " said: 550 5.1.1 bad?user?? (in reply to RCPT TO "
        "command)"},
    {"data 554", DELIVER_FAIL_REPLY, DELIVER_STAGE_DATA, &mx, 554, "5.7.1",
        "554 5.7.1 no", DELIVER_BOUNCE, "5.7.1",
        "host " MXN " said: 554 5.7.1 no (in reply to DATA command)"},
    {"data 451", DELIVER_FAIL_REPLY, DELIVER_STAGE_DATA, &mx, 451, NULL,
        "451 later", DELIVER_NEXT_HOST, "4.0.0",
        "host " MXN " said: 451 later (in reply to DATA command)"},
    {"data 503 sequence is ours", DELIVER_FAIL_REPLY, DELIVER_STAGE_DATA, &mx,
        503, "5.5.1", "503 5.5.1 Error: need RCPT command", DELIVER_NEXT_HOST,
        "4.5.1",
        "host " MXN " said: 503 5.5.1 Error: need RCPT command (in reply to "
        "DATA command)"},
    {"dot 552 too big", DELIVER_FAIL_REPLY, DELIVER_STAGE_DOT, &mx, 552,
        "5.3.4", "552 5.3.4 too big", DELIVER_BOUNCE, "5.3.4",
        "host " MXN " said: 552 5.3.4 too big (in reply to end of DATA "
        "command)"},
    {"dot 451", DELIVER_FAIL_REPLY, DELIVER_STAGE_DOT, &mx, 451, "4.3.0",
        "451 4.3.0 queue full", DELIVER_NEXT_HOST, "4.3.0",
        "host " MXN " said: 451 4.3.0 queue full (in reply to end of DATA "
        "command)"},
    {"lost in body", DELIVER_FAIL_LOST, DELIVER_STAGE_BODY, &mx, 0, NULL, NULL,
        DELIVER_NEXT_ADDRESS, "4.4.2",
        "lost connection with " MXN " while sending message body"},
    {"lost with detail", DELIVER_FAIL_LOST, DELIVER_STAGE_RCPT, &mx, 0, NULL,
        "Connection reset by peer", DELIVER_NEXT_ADDRESS, "4.4.2",
        "lost connection with " MXN
        " while sending RCPT TO: Connection reset by peer"},
    {"timeout at dot", DELIVER_FAIL_TIMEOUT, DELIVER_STAGE_DOT, &mx, 0, NULL,
        NULL, DELIVER_NEXT_ADDRESS, "4.4.2",
        "conversation with " MXN " timed out while sending end of data -- "
        "message may be sent more than once"},
    {"timeout at greeting", DELIVER_FAIL_TIMEOUT, DELIVER_STAGE_GREETING, &mx,
        0, NULL, NULL, DELIVER_NEXT_ADDRESS, "4.4.2",
        "conversation with " MXN
        " timed out while receiving the initial server greeting"},
    {"lost keeps the module's code", DELIVER_FAIL_LOST, DELIVER_STAGE_RCPT, &mx,
        0, "4.5.0", "malformed reply", DELIVER_NEXT_ADDRESS, "4.5.0",
        "lost connection with " MXN " while sending RCPT TO: malformed reply"},
    {"lost with a 5.x.x code stays temporary", DELIVER_FAIL_LOST,
        DELIVER_STAGE_BODY, &mx, 0, "5.3.0", NULL, DELIVER_NEXT_ADDRESS,
        "4.3.0", "lost connection with " MXN " while sending message body"},
    {"timeout at the deadline keeps 4.4.7", DELIVER_FAIL_TIMEOUT,
        DELIVER_STAGE_RCPT, &mx, 0, "4.4.7", NULL, DELIVER_NEXT_ADDRESS,
        "4.4.7", "conversation with " MXN " timed out while sending RCPT TO"},
    {"protocol with a malformed code", DELIVER_FAIL_PROTOCOL,
        DELIVER_STAGE_EHLO, &mx, 0, "4.x", "garbage", DELIVER_NEXT_ADDRESS,
        "4.5.0",
        "protocol error with " MXN
        " while performing the EHLO handshake: garbage"},
    {"protocol overlong", DELIVER_FAIL_PROTOCOL, DELIVER_STAGE_RCPT, &mx, 0,
        NULL, "reply longer than 4096 bytes", DELIVER_NEXT_ADDRESS, "4.5.0",
        "protocol error with " MXN
        " while sending RCPT TO: reply longer than 4096 bytes"},
    {"capability size", DELIVER_FAIL_CAPABILITY, DELIVER_STAGE_MAIL, &mx, 0,
        "5.3.4", "message size 2000 exceeds size limit 1000 of server " MXN,
        DELIVER_BOUNCE, "5.3.4",
        "message size 2000 exceeds size limit 1000 of server " MXN},
    {"capability no code", DELIVER_FAIL_CAPABILITY, DELIVER_STAGE_MAIL, &mx, 0,
        NULL, "odd", DELIVER_NEXT_HOST, "4.3.0", "odd"},
    {"dns nxdomain", DELIVER_FAIL_DNS, DELIVER_STAGE_GREETING, NULL, 0, "5.1.2",
        "Host or domain name not found", DELIVER_BOUNCE, "5.1.2",
        "Host or domain name not found"},
    {"dns null mx", DELIVER_FAIL_DNS, DELIVER_STAGE_GREETING, NULL, 0, "5.1.10",
        "nullmx.example publishes a null MX", DELIVER_BOUNCE, "5.1.10",
        "nullmx.example publishes a null MX"},
    {"dns servfail", DELIVER_FAIL_DNS, DELIVER_STAGE_GREETING, NULL, 0, "4.4.3",
        "SERVFAIL", DELIVER_DEFER, "4.4.3", "SERVFAIL"},
    {"dns no code", DELIVER_FAIL_DNS, DELIVER_STAGE_GREETING, NULL, 0, NULL,
        "lookup failed", DELIVER_DEFER, "4.4.3", "lookup failed"},
    {"host dns 5.4.4 stays temporary", DELIVER_FAIL_HOST_DNS,
        DELIVER_STAGE_GREETING, NULL, 0, "5.4.4", "mx2 has no address",
        DELIVER_NEXT_HOST, "4.4.4", "mx2 has no address"},
    {"local deadline", DELIVER_FAIL_LOCAL, DELIVER_STAGE_BODY, &mx, 0, "4.4.7",
        "delivery time limit exceeded", DELIVER_DEFER, "4.4.7",
        "delivery time limit exceeded"},
    {"local 5xx made temporary", DELIVER_FAIL_LOCAL, DELIVER_STAGE_MAIL, NULL,
        0, "5.3.0", "bug", DELIVER_DEFER, "4.3.0", "bug"},
    {"local nothing", DELIVER_FAIL_LOCAL, DELIVER_STAGE_MAIL, NULL, 0, NULL,
        NULL, DELIVER_DEFER, "4.3.0", "local error"},
    {"unknown kind defers", (enum deliver_fail)99, DELIVER_STAGE_MAIL, NULL, 0,
        NULL, "?", DELIVER_DEFER, "4.3.0", "?"},
    {"unknown stage", DELIVER_FAIL_TIMEOUT, (enum deliver_stage)77, &mx, 0,
        NULL, NULL, DELIVER_NEXT_ADDRESS, "4.4.2",
        "conversation with " MXN " timed out while talking to the server"},
};

START_TEST(test_deliver_status_classify_table)
{
	const struct classify_case *c = &classify_cases[_i];
	struct deliver_attempt a = {
	    c->fail, c->stage, c->peer, c->code, c->dsn, c->text, false};
	enum deliver_action got;
	struct why why;

	why_reset(&why);
	got = deliver_status_classify(&a, &why);
	ck_assert_msg(got == c->want_action,
	    "case \"%s\": got action %d, want %d", c->name, got,
	    c->want_action);
	ck_assert_msg(strcmp(why.dsn, c->want_dsn) == 0,
	    "case \"%s\": got dsn %s, want %s", c->name, why.dsn, c->want_dsn);
	ck_assert_msg(strcmp(why.text, c->want_text) == 0,
	    "case \"%s\": got text \"%s\", want \"%s\"", c->name, why.text,
	    c->want_text);
	ck_assert_msg(
	    why.smtp_code == (c->fail == DELIVER_FAIL_REPLY ? c->code : 0),
	    "case \"%s\": got smtp_code %d", c->name, why.smtp_code);
}
END_TEST

START_TEST(test_deliver_status_classify_521_skipped_by_policy)
{
	struct deliver_attempt a = {DELIVER_FAIL_REPLY, DELIVER_STAGE_GREETING,
	    &mx, 521, "5.3.2", "521 5.3.2 no mail here", true};
	struct why why;

	/* greeting_521_bounces = no: as Postfix, any 5xx greeting. */
	why_reset(&why);
	ck_assert_int_eq(
	    deliver_status_classify(&a, &why), DELIVER_NEXT_ADDRESS);
	ck_assert_str_eq(why.dsn, "4.3.2");
	a.skip_521 = false;
	ck_assert_int_eq(
	    deliver_status_classify(&a, &why), DELIVER_HOST_REFUSES);
	ck_assert_str_eq(why.dsn, "5.3.2");
}
END_TEST

START_TEST(test_deliver_status_classify_long_reply_keeps_suffix)
{
	char reply[3000];
	struct deliver_attempt a = {DELIVER_FAIL_REPLY, DELIVER_STAGE_RCPT, &mx,
	    550, "5.1.1", reply, false};
	const char *suffix = "... (in reply to RCPT TO command)";
	struct why why;
	size_t len;

	memcpy(reply, "550 5.1.1 ", 10);
	memset(reply + 10, 'x', sizeof(reply) - 11);
	reply[sizeof(reply) - 1] = '\0';
	ck_assert_int_eq(deliver_status_classify(&a, &why), DELIVER_BOUNCE);
	len = strlen(why.text);
	ck_assert_uint_lt(len, WHY_TEXT_MAX);
	ck_assert_uint_gt(len, strlen(suffix));
	ck_assert_str_eq(why.text + len - strlen(suffix), suffix);
}
END_TEST

/* An outcome for the exit-status tables. */
struct oc {
	enum deliver_rcpt_status status;
	const char *dsn;
};

/* A set of outcomes and the exit status and picked index wanted. */
struct exit_case {
	const char *name;
	size_t n;
	struct oc oc[4];
	int want;
	int want_pick; /* index, -1 for none */
};

static const struct exit_case exit_cases[] = {
    {"none", 0, {{0, NULL}}, MSG_EX_TEMPFAIL, -1},
    {"all sent", 2, {{DELIVER_RCPT_SENT, "2.0.0"}, {DELIVER_RCPT_SENT, ""}},
        MSG_EX_OK, -1},
    {"sent and earlier", 2,
        {{DELIVER_RCPT_EARLIER, ""}, {DELIVER_RCPT_SENT, "2.0.0"}}, MSG_EX_OK,
        -1},
    {"earlier only", 1, {{DELIVER_RCPT_EARLIER, ""}}, MSG_EX_OK, -1},
    {"one deferred", 2,
        {{DELIVER_RCPT_SENT, "2.0.0"}, {DELIVER_RCPT_DEFERRED, "4.4.1"}},
        MSG_EX_TEMPFAIL, 1},
    {"pending counts as deferred", 2,
        {{DELIVER_RCPT_SENT, "2.0.0"}, {DELIVER_RCPT_PENDING, ""}},
        MSG_EX_TEMPFAIL, 1},
    {"bad status counts as deferred", 1, {{(enum deliver_rcpt_status)42, ""}},
        MSG_EX_TEMPFAIL, 0},
    {"mixed deferred and bounced", 3,
        {{DELIVER_RCPT_BOUNCED, "5.1.1"}, {DELIVER_RCPT_DEFERRED, "4.2.0"},
            {DELIVER_RCPT_DEFERRED, "4.4.1"}},
        MSG_EX_TEMPFAIL, 1},
    {"all unknown users", 3,
        {{DELIVER_RCPT_SENT, "2.0.0"}, {DELIVER_RCPT_BOUNCED, "5.1.1"},
            {DELIVER_RCPT_BOUNCED, "5.1.1"}},
        MSG_EX_NOUSER, 1},
    {"no such domain", 1, {{DELIVER_RCPT_BOUNCED, "5.1.2"}}, MSG_EX_NOHOST, 0},
    {"null mx", 2,
        {{DELIVER_RCPT_BOUNCED, "5.1.10"}, {DELIVER_RCPT_BOUNCED, "5.1.2"}},
        MSG_EX_NOHOST, 0},
    {"no mx and no address", 1, {{DELIVER_RCPT_BOUNCED, "5.4.4"}},
        MSG_EX_NOHOST, 0},
    {"other permanent", 1, {{DELIVER_RCPT_BOUNCED, "5.7.1"}},
        MSG_EX_UNAVAILABLE, 0},
    {"every host said 521", 1, {{DELIVER_RCPT_BOUNCED, "5.3.2"}},
        MSG_EX_UNAVAILABLE, 0},
    {"556 at RCPT", 2,
        {{DELIVER_RCPT_BOUNCED, "5.1.10"}, {DELIVER_RCPT_SENT, "2.0.0"}},
        MSG_EX_NOHOST, 0},
    {"user and other picks other", 3,
        {{DELIVER_RCPT_BOUNCED, "5.1.1"}, {DELIVER_RCPT_BOUNCED, "5.7.1"},
            {DELIVER_RCPT_BOUNCED, "5.2.2"}},
        MSG_EX_UNAVAILABLE, 1},
    {"user and domain is other", 2,
        {{DELIVER_RCPT_BOUNCED, "5.1.1"}, {DELIVER_RCPT_BOUNCED, "5.1.2"}},
        MSG_EX_UNAVAILABLE, 0},
    {"bounce without code", 1, {{DELIVER_RCPT_BOUNCED, ""}}, MSG_EX_UNAVAILABLE,
        0},
    {"bounce with 4.1.1 reads 5.1.1", 1, {{DELIVER_RCPT_BOUNCED, "4.1.1"}},
        MSG_EX_NOUSER, 0},
};

START_TEST(test_deliver_status_exit_table)
{
	const struct exit_case *c = &exit_cases[_i];
	struct deliver_outcome o[4];
	const struct deliver_outcome *pick = &o[3];
	struct why why;
	size_t i;
	int got;

	for (i = 0; i < c->n; i++) {
		deliver_outcome_init(&o[i], "rcpt@example.com");
		why_set(&why, c->oc[i].dsn, "reason %zu", i);
		deliver_outcome_set(&o[i], c->oc[i].status, &why, NULL, 0);
	}
	got = deliver_status_exit(o, c->n, &pick);
	ck_assert_msg(got == c->want, "case \"%s\": got %d, want %d", c->name,
	    got, c->want);
	if (c->want_pick < 0)
		ck_assert_msg(pick == NULL, "case \"%s\": got a pick", c->name);
	else
		ck_assert_msg(pick == &o[c->want_pick],
		    "case \"%s\": got pick %td, want %d", c->name,
		    pick == NULL ? -1 : pick - o, c->want_pick);
	ck_assert_int_eq(deliver_status_exit(o, c->n, NULL), c->want);
}
END_TEST

START_TEST(test_deliver_status_line_from_classify)
{
	struct deliver_attempt a = {DELIVER_FAIL_CONNECT,
	    DELIVER_STAGE_GREETING, &mx, 0, NULL, "timed out", false};
	struct deliver_outcome o;
	struct why why;
	char line[600];

	deliver_outcome_init(&o, "bob@example.com");
	ck_assert_int_eq(
	    deliver_status_classify(&a, &why), DELIVER_NEXT_ADDRESS);
	deliver_outcome_set(&o, DELIVER_RCPT_DEFERRED, &why, &mx, 1.5);
	ck_assert_str_eq(deliver_status_line(line, sizeof(line), &o),
	    "4.4.1 connect to mx.example.com[192.0.2.1]:25: timed out");
	ck_assert_str_eq(o.relay, "mx.example.com[192.0.2.1]:25");
	ck_assert_str_eq(o.rcpt, "bob@example.com");
}
END_TEST

/* A stderr-line case: outcome status, its why, and the line wanted. */
struct line_case {
	const char *name;
	enum deliver_rcpt_status status;
	const char *dsn;
	const char *text;
	size_t size;
	const char *want;
};

static const struct line_case line_cases[] = {
    {"bounce", DELIVER_RCPT_BOUNCED, "5.1.1",
        "host x[192.0.2.1] said: 550 5.1.1 no (in reply to RCPT TO command)",
        600,
        "5.1.1 host x[192.0.2.1] said: 550 5.1.1 no (in reply to RCPT TO "
        "command)"},
    {"deferred 5.x.x becomes 4.x.x", DELIVER_RCPT_DEFERRED, "5.1.1", "odd", 600,
        "4.1.1 odd"},
    {"bounced without code", DELIVER_RCPT_BOUNCED, "", "refused", 600,
        "5.0.0 refused"},
    {"pending without text", DELIVER_RCPT_PENDING, "", "", 600,
        "4.0.0 no reason recorded"},
    {"newline cleaned", DELIVER_RCPT_DEFERRED, "4.4.2", "a\nb\r\nc\x7f", 600,
        "4.4.2 a b c?"},
    {"cut", DELIVER_RCPT_DEFERRED, "4.4.2", "0123456789", 12, "4.4.2 01..."},
};

START_TEST(test_deliver_status_line_table)
{
	const struct line_case *c = &line_cases[_i];
	struct deliver_outcome o;
	char line[600];

	deliver_outcome_init(&o, "a@b");
	o.status = c->status;
	snprintf(o.why.dsn, sizeof(o.why.dsn), "%s", c->dsn);
	snprintf(o.why.text, sizeof(o.why.text), "%s", c->text);
	deliver_status_line(line, c->size, &o);
	ck_assert_msg(strcmp(line, c->want) == 0,
	    "case \"%s\": got \"%s\", want \"%s\"", c->name, line, c->want);
}
END_TEST

START_TEST(test_deliver_status_line_without_pick)
{
	char line[64];

	ck_assert_str_eq(deliver_status_line(line, sizeof(line), NULL),
	    "4.3.0 no delivery status recorded");
}
END_TEST

START_TEST(test_deliver_outcome_dsn_by_status)
{
	struct deliver_outcome o;
	char dsn[WHY_DSN_MAX];

	deliver_outcome_init(&o, "a@b");
	ck_assert_str_eq(deliver_outcome_dsn(&o, dsn, sizeof(dsn)), "4.0.0");
	why_set(&o.why, "2.0.0", "250 ok");
	o.status = DELIVER_RCPT_SENT;
	ck_assert_str_eq(deliver_outcome_dsn(&o, dsn, sizeof(dsn)), "2.0.0");
	o.status = DELIVER_RCPT_EARLIER;
	why_reset(&o.why);
	ck_assert_str_eq(deliver_outcome_dsn(&o, dsn, sizeof(dsn)), "2.0.0");
	o.status = DELIVER_RCPT_BOUNCED;
	why_set(&o.why, "5.1.10", "null MX");
	ck_assert_str_eq(deliver_outcome_dsn(&o, dsn, sizeof(dsn)), "5.1.10");
}
END_TEST

START_TEST(test_deliver_outcome_set_without_peer_or_why)
{
	struct deliver_outcome o;

	deliver_outcome_init(&o, "a@b");
	snprintf(o.relay, sizeof(o.relay), "old");
	why_set(&o.why, "4.0.0", "old");
	deliver_outcome_set(&o, DELIVER_RCPT_EARLIER, NULL, NULL, 2.5);
	ck_assert_str_eq(o.relay, "");
	ck_assert_str_eq(o.why.text, "");
	ck_assert_int_eq(o.status, DELIVER_RCPT_EARLIER);
	ck_assert(o.delay == 2.5);
	deliver_outcome_set(&o, DELIVER_RCPT_SENT, NULL, &relay587, 0);
	ck_assert_str_eq(o.relay, "relay.example.net[198.51.100.7]:587");
}
END_TEST

/* deliver_status_suite - the deliver_status tests */
static Suite *
deliver_status_suite(void)
{
	Suite *s = suite_create("deliver_status");
	TCase *tc;

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_deliver_status_classify_table, 0,
	    sizeof(classify_cases) / sizeof(classify_cases[0]));
	tcase_add_test(
	    tc, test_deliver_status_classify_long_reply_keeps_suffix);
	tcase_add_test(tc, test_deliver_status_classify_521_skipped_by_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("exit");
	tcase_add_loop_test(tc, test_deliver_status_exit_table, 0,
	    sizeof(exit_cases) / sizeof(exit_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("line");
	tcase_add_test(tc, test_deliver_status_line_from_classify);
	tcase_add_loop_test(tc, test_deliver_status_line_table, 0,
	    sizeof(line_cases) / sizeof(line_cases[0]));
	tcase_add_test(tc, test_deliver_status_line_without_pick);
	suite_add_tcase(s, tc);

	tc = tcase_create("outcome");
	tcase_add_test(tc, test_deliver_outcome_dsn_by_status);
	tcase_add_test(tc, test_deliver_outcome_set_without_peer_or_why);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(deliver_status_suite());
}
