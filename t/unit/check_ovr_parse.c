/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the override map parser: targets, qualifiers, sizes. */

#include "unit.h"

#include <ctype.h>

#include "diag.h"
#include "ovr.h"
#include "ovr_int.h"
#include "sbuf.h"

/* One target line and what it must parse to (ok false: an error). */
static const struct target_case {
	const char *name;
	const char *line;
	bool ok;
	const char *host;
	enum ovr_host_kind kind;
	unsigned port;
	const char *user;
	size_t user_len;
	const char *pass;
	size_t pass_len;
} target_cases[] = {
    {"plain host", "a.com relay.example.net", true, "relay.example.net",
        OVR_HOST_NAME, 25, NULL, 0, NULL, 0},
    {"host lower-cased", "a.com Relay.Example.NET:587", true,
        "relay.example.net", OVR_HOST_NAME, 587, NULL, 0, NULL, 0},
    {"trailing dot dropped", "a.com relay.example.net.", true,
        "relay.example.net", OVR_HOST_NAME, 25, NULL, 0, NULL, 0},
    {"single label", "a.com localhost", true, "localhost", OVR_HOST_NAME, 25,
        NULL, 0, NULL, 0},
    {"ipv4 with port", "a.com 192.0.2.1:2525", true, "192.0.2.1", OVR_HOST_IP4,
        2525, NULL, 0, NULL, 0},
    {"ipv6 with port", "a.com [::1]:2525", true, "::1", OVR_HOST_IP6, 2525,
        NULL, 0, NULL, 0},
    {"ipv6 lower-cased", "a.com [2001:DB8::1]", true, "2001:db8::1",
        OVR_HOST_IP6, 25, NULL, 0, NULL, 0},
    {"credentials", "a.com fred:Passw0rd@smtp.example.com:587", true,
        "smtp.example.com", OVR_HOST_NAME, 587, "fred", 4, "Passw0rd", 8},
    {"escaped at and colon", "a.com us%40er%3Ax:p%40ss%3aw@h.example", true,
        "h.example", OVR_HOST_NAME, 25, "us@er:x", 7, "p@ss:w", 6},
    {"raw at in password", "a.com fred:p@ss@h.example", true, "h.example",
        OVR_HOST_NAME, 25, "fred", 4, "p@ss", 4},
    {"raw colon in password", "a.com fred:a:b@h.example", true, "h.example",
        OVR_HOST_NAME, 25, "fred", 4, "a:b", 3},
    {"escaped nul byte", "a.com u:p%00q@h.example", true, "h.example",
        OVR_HOST_NAME, 25, "u", 1, "p\0q", 3},
    {"credentials on ipv6", "a.com u:p@[::1]:587", true, "::1", OVR_HOST_IP6,
        587, "u", 1, "p", 1},
    {"port 1", "a.com h.example:1", true, "h.example", OVR_HOST_NAME, 1, NULL,
        0, NULL, 0},
    {"port 65535", "a.com h.example:65535", true, "h.example", OVR_HOST_NAME,
        65535, NULL, 0, NULL, 0},
    {"label of 63",
        "a.com "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaa.example",
        true,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ".example",
        OVR_HOST_NAME, 25, NULL, 0, NULL, 0},
    {"port 0", "a.com h.example:0", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"port 65536", "a.com h.example:65536", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"port empty", "a.com h.example:", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"port letters", "a.com h.example:smtp", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"label of 64",
        "a.com "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaa.example",
        false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"hyphen first", "a.com -h.example", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"hyphen last", "a.com h-.example", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"empty label", "a.com h..example", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"underscore", "a.com h_x.example", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv4 out of range", "a.com 192.0.2.256", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"ipv4 three parts", "a.com 1.2.3", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv6 without brackets", "a.com ::1", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv6 bad", "a.com [::g]", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv6 unclosed", "a.com [::1", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv6 junk after", "a.com [::1]x", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"ipv6 empty", "a.com []", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"user without password", "a.com fred@h.example", false, NULL, 0, 0, NULL,
        0, NULL, 0},
    {"empty user", "a.com :p@h.example", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"empty password", "a.com u:@h.example", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"short escape", "a.com u:p%4@h.example", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"bad escape", "a.com u:p%zz@h.example", false, NULL, 0, 0, NULL, 0, NULL,
        0},
    {"nothing after at", "a.com u:p@", false, NULL, 0, 0, NULL, 0, NULL, 0},
    {"only a port", "a.com :25", false, NULL, 0, 0, NULL, 0, NULL, 0},
};

/* parse_text - parse a NUL-terminated map */
static struct ovr_map *
parse_text(const char *text, struct diag_list *dl)
{
	return ovr_map_parse("t.map", text, strlen(text), dl);
}

START_TEST(test_ovr_map_parse_target_table)
{
	const struct target_case *c = &target_cases[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(c->line, dl);
	const struct ovr_target *tg;

	ck_assert_msg(ovr_map_count(map) == (c->ok ? 1 : 0),
	    "case \"%s\": got %zu rules, want %d", c->name, ovr_map_count(map),
	    c->ok);
	ck_assert_msg((diag_errors(dl) == 0) == c->ok,
	    "case \"%s\": got %lu errors, want %s", c->name, diag_errors(dl),
	    c->ok ? "none" : "some");
	if (c->ok) {
		tg = &ovr_map_rule(map, 0)->target;
		ck_assert_msg(strcmp(tg->host, c->host) == 0,
		    "case \"%s\": got host %s, want %s", c->name, tg->host,
		    c->host);
		ck_assert_msg(tg->kind == c->kind && tg->port == c->port,
		    "case \"%s\": got kind %d port %u, want %d %u", c->name,
		    tg->kind, tg->port, c->kind, c->port);
		ck_assert_msg((tg->user == NULL) == (c->user == NULL) &&
		        tg->user_len == c->user_len &&
		        tg->pass_len == c->pass_len,
		    "case \"%s\": got user/pass lengths %zu/%zu, want "
		    "%zu/%zu",
		    c->name, tg->user_len, tg->pass_len, c->user_len,
		    c->pass_len);
		if (c->user != NULL)
			ck_assert_msg(
			    memcmp(tg->user, c->user, c->user_len) == 0 &&
			        memcmp(tg->pass, c->pass, c->pass_len) == 0,
			    "case \"%s\": got other credentials", c->name);
	}
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* One qualifier set and what it must parse to. */
static const struct qual_case {
	const char *name;
	const char *quals;
	bool ok;
	unsigned priority;
	bool end;
	int tls; /* -1: no $tls */
	size_t nsize;
	enum ovr_op size_op;
	unsigned long long size_n;
	size_t nretries;
	enum ovr_op retries_op;
	unsigned long long retries_n;
} qual_cases[] = {
    {"none", "", true, 10, false, -1, 0, 0, 0, 0, 0, 0},
    {"priority 0", "$priority:0", true, 0, false, -1, 0, 0, 0, 0, 0, 0},
    {"priority max", "$priority:65535", true, 65535, false, -1, 0, 0, 0, 0, 0,
        0},
    {"priority any case", "$PRIORITY:7", true, 7, false, -1, 0, 0, 0, 0, 0, 0},
    {"end", "$end", true, 10, true, -1, 0, 0, 0, 0, 0, 0},
    {"end twice", "$end $end", true, 10, true, -1, 0, 0, 0, 0, 0, 0},
    {"tls none", "$tls:none", true, 10, false, CFG_TLS_NONE, 0, 0, 0, 0, 0, 0},
    {"tls may", "$tls:may", true, 10, false, CFG_TLS_MAY, 0, 0, 0, 0, 0, 0},
    {"tls encrypt", "$tls:encrypt", true, 10, false, CFG_TLS_ENCRYPT, 0, 0, 0,
        0, 0, 0},
    {"tls verify", "$tls:Verify", true, 10, false, CFG_TLS_VERIFY, 0, 0, 0, 0,
        0, 0},
    {"tls dane", "$tls:dane", true, 10, false, CFG_TLS_DANE, 0, 0, 0, 0, 0, 0},
    {"size lt", "$size<5", true, 10, false, -1, 1, OVR_OP_LT, 5, 0, 0, 0},
    {"size le", "$size<=5", true, 10, false, -1, 1, OVR_OP_LE, 5, 0, 0, 0},
    {"size eq", "$size=5", true, 10, false, -1, 1, OVR_OP_EQ, 5, 0, 0, 0},
    {"size ne", "$size<>5", true, 10, false, -1, 1, OVR_OP_NE, 5, 0, 0, 0},
    {"size ge", "$size>=5", true, 10, false, -1, 1, OVR_OP_GE, 5, 0, 0, 0},
    {"size gt", "$size>5", true, 10, false, -1, 1, OVR_OP_GT, 5, 0, 0, 0},
    {"size arrow",
        "$size\xe2\x87\x90"
        "5",
        true, 10, false, -1, 1, OVR_OP_LE, 5, 0, 0, 0},
    {"size K", "$size>2K", true, 10, false, -1, 1, OVR_OP_GT, 2048, 0, 0, 0},
    {"size k", "$size>2k", true, 10, false, -1, 1, OVR_OP_GT, 2048, 0, 0, 0},
    {"size M", "$size>10M", true, 10, false, -1, 1, OVR_OP_GT, 10485760, 0, 0,
        0},
    {"size m", "$size>1m", true, 10, false, -1, 1, OVR_OP_GT, 1048576, 0, 0, 0},
    {"size G", "$size>3G", true, 10, false, -1, 1, OVR_OP_GT, 3221225472ULL, 0,
        0, 0},
    {"size g", "$size>1g", true, 10, false, -1, 1, OVR_OP_GT, 1073741824ULL, 0,
        0, 0},
    {"size largest", "$size<18446744073709551615", true, 10, false, -1, 1,
        OVR_OP_LT, 18446744073709551615ULL, 0, 0, 0},
    {"size largest G", "$size<17179869183G", true, 10, false, -1, 1, OVR_OP_LT,
        17179869183ULL * 1073741824ULL, 0, 0, 0},
    {"size any case", "$SIZE>1", true, 10, false, -1, 1, OVR_OP_GT, 1, 0, 0, 0},
    {"size four", "$size>1 $size>2 $size>3 $size>4", true, 10, false, -1, 4,
        OVR_OP_GT, 1, 0, 0, 0},
    {"retries ge", "$retries>=4", true, 10, false, -1, 0, 0, 0, 1, OVR_OP_GE,
        4},
    {"retries ne", "$retries<>0", true, 10, false, -1, 0, 0, 0, 1, OVR_OP_NE,
        0},
    {"all together", "$priority:5 $size>1K $retries<3 $tls:verify $end", true,
        5, true, CFG_TLS_VERIFY, 1, OVR_OP_GT, 1024, 1, OVR_OP_LT, 3},
    {.name = "priority too big", .quals = "$priority:65536", .ok = false},
    {.name = "priority word", .quals = "$priority:x", .ok = false},
    {.name = "priority empty", .quals = "$priority:", .ok = false},
    {.name = "priority bare", .quals = "$priority", .ok = false},
    {.name = "priority operator", .quals = "$priority=5", .ok = false},
    {.name = "priority twice", .quals = "$priority:1 $priority:2", .ok = false},
    {.name = "end with value", .quals = "$end:1", .ok = false},
    {.name = "tls unknown", .quals = "$tls:maybe", .ok = false},
    {"tls implicit", "$tls:implicit", true, 10, false, CFG_TLS_IMPLICIT, 0, 0,
        0, 0, 0, 0},
    {.name = "tls bare", .quals = "$tls", .ok = false},
    {.name = "tls twice", .quals = "$tls:may $tls:none", .ok = false},
    {.name = "unknown option", .quals = "$foo", .ok = false},
    {.name = "lone dollar", .quals = "$", .ok = false},
    {.name = "not a qualifier", .quals = "junk", .ok = false},
    {.name = "size reversed operator", .quals = "$size=>5", .ok = false},
    {.name = "size double equals", .quals = "$size==5", .ok = false},
    {.name = "size bare", .quals = "$size", .ok = false},
    {.name = "size colon", .quals = "$size:5", .ok = false},
    {.name = "size no number", .quals = "$size<", .ok = false},
    {.name = "size bad suffix", .quals = "$size<5Q", .ok = false},
    {.name = "size suffix only", .quals = "$size<K", .ok = false},
    {.name = "size two suffixes", .quals = "$size<5KK", .ok = false},
    {.name = "size negative", .quals = "$size>-1", .ok = false},
    {.name = "size overflow",
        .quals = "$size<18446744073709551616",
        .ok = false},
    {.name = "size overflow G", .quals = "$size<17179869184G", .ok = false},
    {.name = "size five",
        .quals = "$size>1 $size>2 $size>3 $size>4 $size>5",
        .ok = false},
    {.name = "retries suffix", .quals = "$retries>1K", .ok = false},
    {.name = "retries five",
        .quals = "$retries>1 $retries>1 $retries>1 $retries>1 $retries>1",
        .ok = false},
    {.name = "spaces around", .quals = "$size > 10", .ok = false},
    {.name = "space before", .quals = "$size >10", .ok = false},
    {.name = "space after", .quals = "$size> 10", .ok = false},
    {.name = "spaces retries", .quals = "$retries >= 3", .ok = false},
};

START_TEST(test_ovr_map_parse_qualifier_table)
{
	const struct qual_case *c = &qual_cases[_i];
	struct diag_list *dl = diag_list_new();
	const struct ovr_rule *r;
	struct ovr_map *map;
	char line[512];

	snprintf(line, sizeof(line), "a.com h.example %s\n", c->quals);
	map = parse_text(line, dl);
	ck_assert_msg(ovr_map_count(map) == (c->ok ? 1 : 0),
	    "case \"%s\": got %zu rules, want %d", c->name, ovr_map_count(map),
	    c->ok);
	ck_assert_msg((diag_errors(dl) == 0) == c->ok,
	    "case \"%s\": got %lu errors", c->name, diag_errors(dl));
	if (c->ok) {
		r = ovr_map_rule(map, 0);
		ck_assert_msg(r->priority == c->priority && r->end == c->end,
		    "case \"%s\": got priority %u end %d, want %u %d", c->name,
		    r->priority, r->end, c->priority, c->end);
		ck_assert_msg(r->has_tls == (c->tls >= 0) &&
		        (c->tls < 0 || (int)r->tls == c->tls),
		    "case \"%s\": got tls %d/%d, want %d", c->name, r->has_tls,
		    r->tls, c->tls);
		ck_assert_msg(r->nsize == c->nsize &&
		        (c->nsize == 0 ||
		            (r->size[0].op == c->size_op &&
		                r->size[0].n == c->size_n)),
		    "case \"%s\": got %zu size conditions (first %llu), "
		    "want %zu (%llu)",
		    c->name, r->nsize, r->nsize ? r->size[0].n : 0, c->nsize,
		    c->size_n);
		ck_assert_msg(r->nretries == c->nretries &&
		        (c->nretries == 0 ||
		            (r->retries[0].op == c->retries_op &&
		                r->retries[0].n == c->retries_n)),
		    "case \"%s\": got %zu retries conditions, want %zu",
		    c->name, r->nretries, c->nretries);
	}
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* Sizes as route -s takes them. */
static const struct size_case {
	const char *text;
	bool ok;
	unsigned long long want;
} size_cases[] = {
    {"0", true, 0},
    {"10", true, 10},
    {"1k", true, 1024},
    {"1K", true, 1024},
    {"3m", true, 3145728},
    {"2G", true, 2147483648ULL},
    {"18446744073709551615", true, 18446744073709551615ULL},
    {"17179869183G", true, 17179869183ULL * 1073741824ULL},
    {"18446744073709551616", false, 0},
    {"17179869184G", false, 0},
    {"", false, 0},
    {"K", false, 0},
    {"10KB", false, 0},
    {"-1", false, 0},
    {"1.5M", false, 0},
    {" 1", false, 0},
};

START_TEST(test_ovr_size_parse_table)
{
	const struct size_case *c = &size_cases[_i];
	unsigned long long v = 0;
	bool ok = ovr_size_parse(c->text, &v);

	ck_assert_msg(ok == c->ok && (!ok || v == c->want),
	    "case \"%s\": got %d %llu, want %d %llu", c->text, ok, v, c->ok,
	    c->want);
}
END_TEST

/* Rules written back: password hidden, defaults left out. */
static const struct format_case {
	const char *line;
	const char *want;
} format_cases[] = {
    {"A.Example.ORG. relay", "a.example.org relay"},
    {"*.demon.co.uk fred:Passw0rd@smtp.myisp.com:587 $priority:5",
        "*.demon.co.uk fred:********@smtp.myisp.com:587 $priority:5"},
    {"x u%3Aa%40b:p@[::1]:2525 $end $size>10M $retries<>2 $tls:dane",
        "x u%3Aa%40b:********@[::1]:2525 $size>10M $retries<>2 $tls:dane "
        "$end"},
    {"x h $size<=1536 $size>=0 $priority:10", "x h $size<=1536 $size>=0"},
    {"x h $size\xe2\x87\x90"
     "1G",
        "x h $size<=1G"},
};

START_TEST(test_ovr_rule_format_table)
{
	const struct format_case *c = &format_cases[_i];
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(c->line, dl);
	struct sbuf sb;

	ck_assert_msg(
	    ovr_map_count(map) == 1, "case \"%s\": did not parse", c->line);
	sbuf_init(&sb);
	ovr_rule_format(ovr_map_rule(map, 0), &sb);
	ck_assert_msg(strcmp(sbuf_str(&sb), c->want) == 0,
	    "case \"%s\": got %s, want %s", c->line, sbuf_str(&sb), c->want);
	sbuf_fini(&sb);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_parse_lines_and_comments)
{
	static const char text[] = "# comment\n"
	                           "\n"
	                           "   \t \n"
	                           "a.com h1 # trailing comment\r\n"
	                           "\xef\xbb\xbf"
	                           "b.com h2\n"
	                           "  c.com\th3\t$end\r\n"
	                           "d.com h4";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(text, dl);

	/* The BOM is only skipped at the start of the file. */
	ck_assert_uint_eq(diag_errors(dl), 1);
	ck_assert_uint_eq(diag_get(dl, 0)->line, 5);
	ck_assert_uint_eq(ovr_map_count(map), 3);
	ck_assert_uint_eq(ovr_map_rule(map, 0)->line, 4);
	ck_assert_str_eq(ovr_map_rule(map, 0)->target.host, "h1");
	ck_assert_uint_eq(ovr_map_rule(map, 1)->line, 6);
	ck_assert(ovr_map_rule(map, 1)->end);
	ck_assert_uint_eq(ovr_map_rule(map, 2)->line, 7);
	ck_assert_str_eq(ovr_map_rule(map, 2)->pattern, "d.com");
	ck_assert_str_eq(ovr_map_name(map), "t.map");
	ck_assert_ptr_null(ovr_map_rule(map, 3));
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_parse_bom_at_start)
{
	static const char text[] = "\xef\xbb\xbf"
	                           "a.com h1 $foo\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(text, dl);

	/* Columns stay byte columns: the BOM counts. */
	ck_assert_uint_eq(diag_errors(dl), 1);
	ck_assert_uint_eq(diag_get(dl, 0)->column, 13);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_parse_collects_every_error)
{
	static const char text[] = "a.com\n"
	                           "b.com h:0 $foo $size > 1\n"
	                           "c.com h\n"
	                           "d.com h $priority:x\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(text, dl);

	ck_assert_uint_eq(diag_errors(dl), 5);
	ck_assert_uint_eq(ovr_map_count(map), 1);
	ck_assert_str_eq(ovr_map_rule(map, 0)->pattern, "c.com");
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_ovr_map_parse_shares_hosts)
{
	static const char text[] = "a.com relay.example\n"
	                           "b.com RELAY.example\n"
	                           "c.com other.example\n";
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text(text, dl);

	ck_assert_uint_eq(ovr_map_count(map), 3);
	ck_assert_ptr_eq(ovr_map_rule(map, 0)->target.host,
	    ovr_map_rule(map, 1)->target.host);
	ck_assert_ptr_ne(ovr_map_rule(map, 0)->target.host,
	    ovr_map_rule(map, 2)->target.host);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* Tokens quoted in messages: printable, bounded, passwords hidden. */
static const struct quote_case {
	const char *name;
	const char *in;
	const char *want;
} quote_cases[] = {
    {"plain", "abc", "abc"},
    {"unprintable",
        "a\x01"
        "b\xff",
        "a?b?"},
    {"long",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."},
    {"password", "u:secret@h", "u:********@h"},
    {"empty password", "u:@h", "u:********@h"},
    {"at in password", "u:a@b@h", "u:********@h"},
    {"no colon", "u@h", "u@h"},
    {"colon after at", "u@h:25", "u@h:25"},
    {"bare", ":@", ":********@"},
    {"long user",
        "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu:p@h",
        "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu:"
        "********..."},
};

START_TEST(test_ovr_lex_quote_table)
{
	const struct quote_case *c = &quote_cases[_i];
	char buf[OVR_QUOTE_SIZE];

	ovr_lex_quote(buf, sizeof(buf), c->in, strlen(c->in));
	ck_assert_msg(strcmp(buf, c->want) == 0, "case \"%s\": got %s, want %s",
	    c->name, buf, c->want);
}
END_TEST

START_TEST(test_ovr_ctype_table_matches_classes)
{
	bool space, pattern, label;
	int c;

	for (c = 0; c < 256; c++) {
		space = c == ' ' || c == '\t' || c == '\r' || c == '\v' ||
		    c == '\f';
		label = c < 128 && (isalnum(c) || c == '-');
		pattern = label || c == '.' || c == '_' || c == '*' || c == '?';
		ck_assert_msg(ovr_ctype_is((char)c, OVR_C_SPACE) == space &&
		        ovr_ctype_is((char)c, OVR_C_PATTERN) == pattern &&
		        ovr_ctype_is((char)c, OVR_C_LABEL) == label,
		    "case \"0x%02x\": got class %d, want %d/%d/%d", c,
		    ovr_ctype[c], space, pattern, label);
	}
}
END_TEST

START_TEST(test_ovr_names_round_trip)
{
	static const enum cfg_tls tls[] = {CFG_TLS_NONE, CFG_TLS_MAY,
	    CFG_TLS_ENCRYPT, CFG_TLS_VERIFY, CFG_TLS_DANE};
	static const enum ovr_op ops[] = {
	    OVR_OP_LT, OVR_OP_LE, OVR_OP_EQ, OVR_OP_NE, OVR_OP_GE, OVR_OP_GT};
	const char *name;
	enum cfg_tls t;
	enum ovr_op op;
	bool arrow, bad;
	size_t i;

	for (i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
		name = ovr_tls_name(tls[i]);
		ck_assert_msg(
		    ovr_tls_parse(name, strlen(name), &t) && t == tls[i],
		    "case \"%s\": got %d, want %d", name, t, tls[i]);
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		name = ovr_op_name(ops[i]);
		ck_assert_msg(ovr_lex_op(name, strlen(name), &op, &arrow,
		                  &bad) == strlen(name) &&
		        op == ops[i] && !bad && !arrow,
		    "case \"%s\": got %d, want %d", name, op, ops[i]);
	}
}
END_TEST

START_TEST(test_ovr_map_parse_port_465_is_implicit)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_map *map = parse_text("a.test relay.test:465\n"
	                                 "b.test relay.test:465 $tls:encrypt\n"
	                                 "c.test relay.test:587\n",
	    dl);

	ck_assert_uint_eq(diag_errors(dl), 0);
	ck_assert(ovr_map_rule(map, 0)->has_tls);
	ck_assert_int_eq(ovr_map_rule(map, 0)->tls, CFG_TLS_IMPLICIT);
	ck_assert_int_eq(ovr_map_rule(map, 1)->tls, CFG_TLS_ENCRYPT);
	ck_assert(!ovr_map_rule(map, 2)->has_tls);
	ovr_map_free(map);
	diag_list_free(dl);
}
END_TEST

/* ovr_parse_suite - parser tests */
static Suite *
ovr_parse_suite(void)
{
	Suite *s = suite_create("ovr");
	TCase *tc;

	tc = tcase_create("target");
	tcase_add_loop_test(tc, test_ovr_map_parse_target_table, 0,
	    sizeof(target_cases) / sizeof(target_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("qualifier");
	tcase_add_loop_test(tc, test_ovr_map_parse_qualifier_table, 0,
	    sizeof(qual_cases) / sizeof(qual_cases[0]));
	tcase_add_test(tc, test_ovr_map_parse_port_465_is_implicit);
	tcase_add_loop_test(tc, test_ovr_size_parse_table, 0,
	    sizeof(size_cases) / sizeof(size_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_ovr_rule_format_table, 0,
	    sizeof(format_cases) / sizeof(format_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_add_test(tc, test_ovr_ctype_table_matches_classes);
	tcase_add_loop_test(tc, test_ovr_lex_quote_table, 0,
	    sizeof(quote_cases) / sizeof(quote_cases[0]));
	tcase_add_test(tc, test_ovr_names_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("lines");
	tcase_add_test(tc, test_ovr_map_parse_lines_and_comments);
	tcase_add_test(tc, test_ovr_map_parse_bom_at_start);
	tcase_add_test(tc, test_ovr_map_parse_collects_every_error);
	tcase_add_test(tc, test_ovr_map_parse_shares_hosts);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	return unit_run(ovr_parse_suite());
}
