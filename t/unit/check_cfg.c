/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* Unit tests of the configuration module: table, values, files. */

#include "unit.h"

#include "cfg.h"
#include "cfg_unit.h"
#include "diag.h"

static char *tmpdir; /* per-test directory, made by the fixture */
static char conf_path[512]; /* the file cfg_test_read() wrote */

/* cfg_test_setup - a private directory for each test */
static void
cfg_test_setup(void)
{
	tmpdir = unit_tmpdir();
	snprintf(conf_path, sizeof(conf_path), "%s/smtpdirect.conf", tmpdir);
}

/* cfg_test_teardown - remove the directory */
static void
cfg_test_teardown(void)
{
	unit_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

/* cfg_test_read - write text as the config file and read it */
static enum cfg_status
cfg_test_read(const char *text, struct cfg *cfg, struct diag_list *dl)
{
	free(unit_write_file(tmpdir, "smtpdirect.conf", text, strlen(text)));
	return cfg_read(conf_path, true, cfg, dl);
}

START_TEST(test_cfg_table_sorted_strictly)
{
	const struct cfg_param *tab;
	size_t i, n;

	tab = cfg_table_get(&n);
	ck_assert_uint_gt(n, 0);
	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(tab[i - 1].name, tab[i].name) < 0,
		    "table not sorted: \"%s\" before \"%s\"", tab[i - 1].name,
		    tab[i].name);
}
END_TEST

START_TEST(test_cfg_table_find_every_key)
{
	const struct cfg_param *tab;
	size_t i, n;

	tab = cfg_table_get(&n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(cfg_table_find(tab[i].name), &tab[i]);
		ck_assert_msg(tab[i].description[0] != '\0',
		    "%s: no description", tab[i].name);
		ck_assert_ptr_nonnull(tab[i].def);
	}
	ck_assert_ptr_null(cfg_table_find("no_such_key"));
	ck_assert_ptr_null(cfg_table_find(""));
	ck_assert_ptr_null(cfg_table_find("aaa"));
	ck_assert_ptr_null(cfg_table_find("zzz"));
}
END_TEST

START_TEST(test_cfg_table_has_spec_keys)
{
	static const char *const keys[] = {"dns_servers", "dns_overrides",
	    "dns_cache_size", "max_concurrent", "state_dir", "helo_name",
	    "mx_port", "tls_policy", "tls_ca_file", "auth_requires_tls",
	    "connect_timeout", "command_timeout", "data_timeout",
	    "deliver_time_limit", "dns_timeout", "dns_tries",
	    "dns_address_family", "dns_address_preference", "log_file",
	    "retry_max_age", "tls_min_version", "session_cache_time",
	    "worker_idle_time", "milter_transport", "downgrade_8bit",
	    "milter_reject_null_mx", "milter_dns_time_limit",
	    "greeting_521_bounces", "smtp_chunking", "smtp_limits",
	    "smtp_recipient_limit", "mta_sts", "mta_sts_fetch_timeout",
	    "tlsrpt", "tlsrpt_contact", "tlsrpt_organization",
	    "tlsrpt_sendmail", "tls_required_header"};
	size_t i, n;

	cfg_table_get(&n);
	ck_assert_uint_eq(n, sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < n; i++)
		ck_assert_msg(
		    cfg_table_find(keys[i]) != NULL, "missing %s", keys[i]);
}
END_TEST

START_TEST(test_cfg_defaults_match_spec)
{
	struct cfg cfg;

	cfg_defaults(&cfg);
	ck_assert_ptr_null(cfg.path);
	ck_assert_uint_eq(cfg.dns_servers_n, 0);
	ck_assert_str_eq(
	    cfg.dns_overrides, SMTPDIRECT_SYSCONFDIR "/smtpdirect/overrides");
	ck_assert_uint_eq(cfg.dns_cache_size, 1000);
	ck_assert_uint_eq(cfg.max_concurrent, 10);
	ck_assert_str_eq(cfg.state_dir, SMTPDIRECT_STATEDIR);
	ck_assert_str_eq(cfg.helo_name, "");
	ck_assert_uint_eq(cfg.mx_port, 25);
	ck_assert_int_eq(cfg.tls_policy, CFG_TLS_MAY);
	ck_assert_str_eq(cfg.tls_ca_file, "");
	ck_assert_str_eq(cfg.tls_min_version, "TLSv1.2");
	ck_assert(cfg.auth_requires_tls);
	ck_assert_uint_eq(cfg.connect_timeout, 30);
	ck_assert_uint_eq(cfg.command_timeout, 300);
	ck_assert_uint_eq(cfg.data_timeout, 600);
	ck_assert_uint_eq(cfg.deliver_time_limit, 900);
	ck_assert_uint_eq(cfg.dns_timeout, 5);
	ck_assert_uint_eq(cfg.dns_tries, 2);
	ck_assert_int_eq(cfg.dns_address_family, CFG_FAMILY_ANY);
	ck_assert_int_eq(cfg.dns_address_preference, CFG_FAMILY_ANY);
	ck_assert_str_eq(cfg.log_file, "");
	ck_assert_uint_eq(cfg.retry_max_age, 7 * 86400);
	ck_assert_uint_eq(cfg.session_cache_time, 2);
	cfg_fini(&cfg);
	cfg_fini(&cfg);
	cfg_fini(NULL);
}
END_TEST

/* Durations: text, whether it parses, seconds. */
static const struct {
	const char *s;
	bool ok;
	unsigned long want;
} duration_cases[] = {
    {"90", true, 90},
    {"0", true, 0},
    {"30s", true, 30},
    {"5m", true, 300},
    {"2h", true, 7200},
    {"3d", true, 259200},
    {"007s", true, 7},
    {"18446744073709551615", true, 18446744073709551615UL},
    {"213503982334601d", true, 213503982334601UL * 86400},
    {"18446744073709551616", false, 0},
    {"213503982334602d", false, 0},
    {"307445734561825861m", false, 0},
    {"5124095576030432h", false, 0},
    {"99999999999999999999999999999999s", false, 0},
    {"", false, 0},
    {"s", false, 0},
    {"5x", false, 0},
    {"5 s", false, 0},
    {" 5", false, 0},
    {"5 ", false, 0},
    {"-1", false, 0},
    {"+5", false, 0},
    {"5ss", false, 0},
    {"1.5h", false, 0},
    {"5S", false, 0},
    {"0x10", false, 0},
};

START_TEST(test_cfg_parse_duration_table)
{
	unsigned long got = 12345;
	bool ok = cfg_parse_duration(duration_cases[_i].s, &got);

	ck_assert_msg(ok == duration_cases[_i].ok,
	    "case \"%s\": got %d, want %d", duration_cases[_i].s, ok,
	    duration_cases[_i].ok);
	if (ok)
		ck_assert_msg(got == duration_cases[_i].want,
		    "case \"%s\": got %lu, want %lu", duration_cases[_i].s, got,
		    duration_cases[_i].want);
	else
		ck_assert_uint_eq(got, 12345);
}
END_TEST

START_TEST(test_cfg_tls_parse_round_trip)
{
	static const char *const names[] = {
	    "none", "may", "encrypt", "verify", "dane"};
	enum cfg_tls t;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert(cfg_tls_parse(names[i], &t));
		ck_assert_int_eq(t, (int)i);
		ck_assert_str_eq(cfg_tls_name(t), names[i]);
	}
	ck_assert(!cfg_tls_parse("maybe", &t));
	ck_assert(!cfg_tls_parse("MAY", &t));
	ck_assert(!cfg_tls_parse("", &t));
}
END_TEST

START_TEST(test_cfg_tls_name_bad_value_panics)
{
	cfg_tls_name((enum cfg_tls)42);
}
END_TEST

/*
 * One line files: the key, the value as cfg_test_show() renders it, or
 * NULL when the line is an error at column col of line 1.
 */
static const struct {
	const char *line;
	const char *key;
	const char *want;
	unsigned long col;
} value_cases[] = {
    /* Unsigned integers. */
    {"dns_cache_size = 0", "dns_cache_size", "0", 0},
    {"dns_address_family = ipv6", "dns_address_family", "ipv6", 0},
    {"dns_address_preference = ipv4", "dns_address_preference", "ipv4", 0},
    {"dns_address_family = inet", "dns_address_family", NULL, 22},
    {"dns_tries = 0", "dns_tries", NULL, 13},
    {"dns_timeout = 61", "dns_timeout", NULL, 15},
    {"retry_max_age = 30m", "retry_max_age", NULL, 17},
    {"dns_cache_size = 1000000", "dns_cache_size", "1000000", 0},
    {"dns_cache_size = 1000001", "dns_cache_size", NULL, 18},
    {"dns_cache_size = 99999999999999999999999", "dns_cache_size", NULL, 18},
    {"max_concurrent = 0", "max_concurrent", NULL, 18},
    {"max_concurrent = -1", "max_concurrent", NULL, 18},
    {"max_concurrent = 5x", "max_concurrent", NULL, 18},
    {"max_concurrent =", "max_concurrent", NULL, 17},
    /* Ports. */
    {"mx_port = 587", "mx_port", "587", 0},
    {"mx_port = 65535", "mx_port", "65535", 0},
    {"mx_port = 0", "mx_port", NULL, 11},
    {"mx_port = 65536", "mx_port", NULL, 11},
    {"mx_port = smtp", "mx_port", NULL, 11},
    /* Booleans. */
    {"auth_requires_tls = no", "auth_requires_tls", "no", 0},
    {"auth_requires_tls = false", "auth_requires_tls", "no", 0},
    {"auth_requires_tls = off", "auth_requires_tls", "no", 0},
    {"auth_requires_tls = 0", "auth_requires_tls", "no", 0},
    {"auth_requires_tls = yes", "auth_requires_tls", "yes", 0},
    {"auth_requires_tls = true", "auth_requires_tls", "yes", 0},
    {"auth_requires_tls = on", "auth_requires_tls", "yes", 0},
    {"auth_requires_tls = 1", "auth_requires_tls", "yes", 0},
    {"auth_requires_tls = maybe", "auth_requires_tls", NULL, 21},
    {"auth_requires_tls = 2", "auth_requires_tls", NULL, 21},
    /* Durations, with every unit, and the range. */
    {"connect_timeout = 45", "connect_timeout", "45", 0},
    {"connect_timeout = 45s", "connect_timeout", "45", 0},
    {"command_timeout = 5m", "command_timeout", "300", 0},
    {"data_timeout = 1h", "data_timeout", "3600", 0},
    {"deliver_time_limit = 1d", "deliver_time_limit", "86400", 0},
    {"deliver_time_limit = 2d", "deliver_time_limit", NULL, 22},
    {"connect_timeout = 0s", "connect_timeout", NULL, 19},
    {"connect_timeout = 10x", "connect_timeout", NULL, 19},
    {"connect_timeout = 99999999999999999999d", "connect_timeout", NULL, 19},
    {"connect_timeout = 213503982334602d", "connect_timeout", NULL, 19},
    /* TLS policies. */
    {"tls_policy = none", "tls_policy", "none", 0},
    {"tls_policy = encrypt", "tls_policy", "encrypt", 0},
    {"tls_policy = verify", "tls_policy", "verify", 0},
    {"tls_policy = dane", "tls_policy", "dane", 0},
    {"tls_policy = may", "tls_policy", "may", 0},
    {"tls_policy = maybe", "tls_policy", NULL, 14},
    /* Strings and paths. */
    {"helo_name = mx.example.com", "helo_name", "mx.example.com", 0},
    {"helo_name =", "helo_name", "", 0},
    {"helo_name = a b", "helo_name", NULL, 14},
    {"dns_overrides = /etc/x", "dns_overrides", "/etc/x", 0},
    {"dns_overrides =", "dns_overrides", "", 0},
    {"dns_overrides = etc/x", "dns_overrides", NULL, 17},
    {"state_dir = /srv/state dir", "state_dir", "/srv/state dir", 0},
    {"state_dir =", "state_dir", NULL, 12},
    /* Lexical details: comments, blanks, CRLF. */
    {"helo_name = mx.example.com # ours", "helo_name", "mx.example.com", 0},
    {"helo_name = # none", "helo_name", "", 0},
    {"tls_ca_file = /etc/ca#1.pem", "tls_ca_file", "/etc/ca#1.pem", 0},
    {"helo_name = mx.example.com \t ", "helo_name", "mx.example.com", 0},
    {"mx_port=2525", "mx_port", "2525", 0},
    {"\t  mx_port = 2525\r", "mx_port", "2525", 0},
    /* DNS server lists. */
    {"dns_servers =", "dns_servers", "", 0},
    {"dns_servers = 127.0.0.1", "dns_servers", "127.0.0.1:53", 0},
    {"dns_servers = 127.0.0.1:5353", "dns_servers", "127.0.0.1:5353", 0},
    {"dns_servers = [::1]:53", "dns_servers", "[::1]:53", 0},
    {"dns_servers = [::1]", "dns_servers", "[::1]:53", 0},
    {"dns_servers = ::1", "dns_servers", "[::1]:53", 0},
    {"dns_servers = 2001:DB8:0::1", "dns_servers", "[2001:db8::1]:53", 0},
    {"dns_servers = 127.0.0.1 , 127.0.0.2:54,[::1]:5353", "dns_servers",
        "127.0.0.1:53,127.0.0.2:54,[::1]:5353", 0},
    {"dns_servers = 1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,"
     "1.0.0.7,1.0.0.8",
        "dns_servers",
        "1.0.0.1:53,1.0.0.2:53,1.0.0.3:53,1.0.0.4:53,1.0.0.5:53,1.0.0.6:53,"
        "1.0.0.7:53,1.0.0.8:53",
        0},
    {"dns_servers = 1.0.0.1,1.0.0.2,1.0.0.3,1.0.0.4,1.0.0.5,1.0.0.6,"
     "1.0.0.7,1.0.0.8,1.0.0.9",
        "dns_servers", NULL, 79},
    {"dns_servers = localhost", "dns_servers", NULL, 15},
    {"dns_servers = 256.1.1.1", "dns_servers", NULL, 15},
    {"dns_servers = 127.0.0.1:0", "dns_servers", NULL, 25},
    {"dns_servers = 127.0.0.1:65536", "dns_servers", NULL, 25},
    {"dns_servers = 127.0.0.1:", "dns_servers", NULL, 25},
    {"dns_servers = 127.0.0.1:x53", "dns_servers", NULL, 25},
    {"dns_servers = [::1", "dns_servers", NULL, 15},
    {"dns_servers = [::1]53", "dns_servers", NULL, 20},
    {"dns_servers = [::1]:", "dns_servers", NULL, 21},
    {"dns_servers = [127.0.0.1]:53", "dns_servers", NULL, 16},
    {"dns_servers = []:53", "dns_servers", NULL, 16},
    {"dns_servers = 127.0.0.1,,127.0.0.2", "dns_servers", NULL, 25},
    {"dns_servers = 127.0.0.1, ", "dns_servers", NULL, 25},
    {"dns_servers = 127.0.0.1 ,  bad", "dns_servers", NULL, 28},
    {"dns_servers = fe80::1%eth0", "dns_servers", NULL, 15},
    {"dns_servers = 1.2.3.4:53:1", "dns_servers", NULL, 15},
};

START_TEST(test_cfg_read_value_table)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	enum cfg_status st;
	const struct diag *d;
	char got[512];

	st = cfg_test_read(value_cases[_i].line, &cfg, dl);
	if (value_cases[_i].want != NULL) {
		d = diag_first_error(dl);
		ck_assert_msg(st == CFG_OK && diag_count(dl) == 0,
		    "case \"%s\": got status %d (%s), want OK",
		    value_cases[_i].line, st, d ? d->text : "");
		cfg_test_show(&cfg, value_cases[_i].key, got, sizeof(got));
		ck_assert_msg(strcmp(got, value_cases[_i].want) == 0,
		    "case \"%s\": got \"%s\", want \"%s\"",
		    value_cases[_i].line, got, value_cases[_i].want);
	} else {
		ck_assert_msg(st == CFG_INVALID && diag_errors(dl) == 1,
		    "case \"%s\": got status %d with %lu errors, want INVALID",
		    value_cases[_i].line, st, diag_errors(dl));
		d = diag_first_error(dl);
		ck_assert_uint_eq(d->line, 1);
		ck_assert_msg(d->column == value_cases[_i].col,
		    "case \"%s\": got column %lu, want %lu (%s)",
		    value_cases[_i].line, d->column, value_cases[_i].col,
		    d->text);
	}
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_unknown_key_names_file_line_column)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char got[1024], want[1024];

	ck_assert_int_eq(
	    cfg_test_read("\n# comment\n  bogus = 1\n", &cfg, dl), CFG_INVALID);
	ck_assert_uint_eq(diag_count(dl), 1);
	diag_format(diag_first_error(dl), got, sizeof(got));
	snprintf(want, sizeof(want),
	    "%s:3:3: error: unknown parameter "
	    "\"bogus\"",
	    conf_path);
	ck_assert_str_eq(got, want);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_bad_value_names_file_line_column)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char got[1024], want[1024];

	ck_assert_int_eq(
	    cfg_test_read("mx_port = 25\nconnect_timeout = 3x\n", &cfg, dl),
	    CFG_INVALID);
	diag_format(diag_first_error(dl), got, sizeof(got));
	snprintf(want, sizeof(want),
	    "%s:2:19: error: bad duration \"3x\" "
	    "for connect_timeout: want a number with an optional unit "
	    "s, m, h or d",
	    conf_path);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(cfg.connect_timeout, 30);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_collects_every_error)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char buf[4096], want[4096];
	FILE *fp;
	size_t n;

	ck_assert_int_eq(cfg_test_read("# several problems\n"
	                               "mx_port = 0\n"
	                               "bogus = 1\n"
	                               "connect_timeout = 5m\n"
	                               "tls_policy maybe\n"
	                               "  = 5\n"
	                               "helo_name = ok.example\n"
	                               "dns_servers = 127.0.0.1:99999\n",
	                     &cfg, dl),
	    CFG_INVALID);
	ck_assert_uint_eq(diag_errors(dl), 5);
	ck_assert_uint_eq(cfg.connect_timeout, 300);
	ck_assert_str_eq(cfg.helo_name, "ok.example");
	ck_assert_uint_eq(cfg.mx_port, 25);
	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	diag_print(dl, fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	snprintf(want, sizeof(want),
	    "%1$s:2:11: error: mx_port = 0 is out of range 1-65535\n"
	    "%1$s:3:1: error: unknown parameter \"bogus\"\n"
	    "%1$s:5:12: error: expected '=' after \"tls_policy\"\n"
	    "%1$s:6:3: error: missing parameter name before '='\n"
	    "%1$s:8:25: error: dns_servers: bad port \"99999\": want "
	    "1-65535\n",
	    conf_path);
	ck_assert_str_eq(buf, want);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_duplicate_key_later_wins_with_warning)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	const struct diag *d;

	ck_assert_int_eq(
	    cfg_test_read("mx_port = 26\n\nmx_port = 27\n", &cfg, dl), CFG_OK);
	ck_assert_uint_eq(diag_errors(dl), 0);
	ck_assert_uint_eq(diag_warnings(dl), 1);
	ck_assert_uint_eq(cfg.mx_port, 27);
	d = diag_get(dl, 0);
	ck_assert_int_eq(d->severity, DIAG_WARNING);
	ck_assert_uint_eq(d->line, 3);
	ck_assert_uint_eq(d->column, 1);
	ck_assert_str_eq(d->text,
	    "mx_port is also set on line 1; the later "
	    "value wins");
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_long_line_is_error_and_parsing_goes_on)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	const struct diag *d;
	char *text = malloc(3 * CFG_LINE_MAX);
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	/* A comment of exactly CFG_LINE_MAX bytes is fine. */
	text[n++] = '#';
	memset(text + n, 'c', CFG_LINE_MAX - 1);
	n += CFG_LINE_MAX - 1;
	text[n++] = '\n';
	memset(text + n, 'x', CFG_LINE_MAX + 1);
	n += CFG_LINE_MAX + 1;
	strcpy(text + n, "\nmx_port = 26\n");
	ck_assert_int_eq(cfg_test_read(text, &cfg, dl), CFG_INVALID);
	ck_assert_uint_eq(diag_errors(dl), 1);
	d = diag_first_error(dl);
	ck_assert_uint_eq(d->line, 2);
	ck_assert_uint_eq(d->column, CFG_LINE_MAX + 1);
	ck_assert_uint_eq(cfg.mx_port, 26);
	free(text);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_nul_byte_is_error)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	const struct diag *d;
	char *path;

	path =
	    unit_write_file(tmpdir, "smtpdirect.conf", "mx_port = 2\0 5\n", 15);
	ck_assert_int_eq(cfg_read(path, true, &cfg, dl), CFG_INVALID);
	d = diag_first_error(dl);
	ck_assert_uint_eq(d->line, 1);
	ck_assert_uint_eq(d->column, 12);
	free(path);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_missing_explicit_file_is_nofile)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char path[600];

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	ck_assert_int_eq(cfg_read(path, true, &cfg, dl), CFG_NOFILE);
	ck_assert_uint_eq(diag_errors(dl), 1);
	ck_assert_str_eq(diag_first_error(dl)->file, path);
	ck_assert_ptr_nonnull(
	    strstr(diag_first_error(dl)->text, "cannot open"));
	ck_assert_uint_eq(cfg.mx_port, 25);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_missing_default_file_gives_defaults)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;
	char path[600];

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	ck_assert_int_eq(cfg_read(path, false, &cfg, dl), CFG_OK);
	ck_assert_uint_eq(diag_count(dl), 0);
	ck_assert_ptr_null(cfg.path);
	ck_assert_uint_eq(cfg.connect_timeout, 30);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

START_TEST(test_cfg_read_directory_is_nofile)
{
	struct diag_list *dl = diag_list_new();
	struct cfg cfg;

	ck_assert_int_eq(cfg_read(tmpdir, false, &cfg, dl), CFG_NOFILE);
	ck_assert_uint_eq(diag_errors(dl), 1);
	cfg_fini(&cfg);
	diag_list_free(dl);
}
END_TEST

/* cfg_suite - table, values, files */
static Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_test(tc, test_cfg_table_sorted_strictly);
	tcase_add_test(tc, test_cfg_table_find_every_key);
	tcase_add_test(tc, test_cfg_table_has_spec_keys);
	tcase_add_test(tc, test_cfg_defaults_match_spec);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, cfg_test_setup, cfg_test_teardown);
	tcase_add_loop_test(tc, test_cfg_parse_duration_table, 0,
	    sizeof(duration_cases) / sizeof(duration_cases[0]));
	tcase_add_test(tc, test_cfg_tls_parse_round_trip);
	tcase_add_exit_test(tc, test_cfg_tls_name_bad_value_panics, 75);
	tcase_add_loop_test(tc, test_cfg_read_value_table, 0,
	    sizeof(value_cases) / sizeof(value_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, cfg_test_setup, cfg_test_teardown);
	tcase_add_test(tc, test_cfg_read_unknown_key_names_file_line_column);
	tcase_add_test(tc, test_cfg_read_bad_value_names_file_line_column);
	tcase_add_test(tc, test_cfg_read_collects_every_error);
	tcase_add_test(tc, test_cfg_read_duplicate_key_later_wins_with_warning);
	tcase_add_test(
	    tc, test_cfg_read_long_line_is_error_and_parsing_goes_on);
	tcase_add_test(tc, test_cfg_read_nul_byte_is_error);
	tcase_add_test(tc, test_cfg_read_missing_explicit_file_is_nofile);
	tcase_add_test(tc, test_cfg_read_missing_default_file_gives_defaults);
	tcase_add_test(tc, test_cfg_read_directory_is_nofile);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return unit_run(cfg_suite());
}
