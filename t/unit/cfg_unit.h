/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	cfg_unit - helpers shared by the cfg unit tests
 * DESCRIPTION
 *	cfg_test_show() renders one field of a struct cfg as text, chosen
 *	by its table row, so tests compare values without knowing types.
 * OWNERSHIP
 *	The caller provides the buffer.
 * THREADS
 *	Not thread-safe.
 * ERRORS
 *	Fails the current test on an unknown key.
 * SEE ALSO
 *	check_cfg.c, check_cfg_doc.c.
 */
#ifndef SMTPDIRECT_CFG_UNIT_H
#define SMTPDIRECT_CFG_UNIT_H

#include "unit.h"

#include "cfg.h"

/* cfg_test_show - one field of cfg as text, chosen by its table row */
static inline void
cfg_test_show(const struct cfg *cfg, const char *key, char *buf, size_t size)
{
	const struct cfg_param *p = cfg_table_find(key);
	const void *f;
	size_t i, len = 0;

	ck_assert_msg(p != NULL, "no key %s", key);
	f = (const char *)cfg + p->offset;
	buf[0] = '\0';
	switch (p->type) {
	case CFG_T_STRING:
	case CFG_T_PATH:
		snprintf(buf, size, "%s", *(char *const *)f);
		break;
	case CFG_T_UINT:
	case CFG_T_DURATION:
		snprintf(buf, size, "%lu", *(const unsigned long *)f);
		break;
	case CFG_T_PORT:
		snprintf(buf, size, "%u", *(const unsigned *)f);
		break;
	case CFG_T_BOOL:
		snprintf(buf, size, "%s", *(const bool *)f ? "yes" : "no");
		break;
	case CFG_T_TLS:
		snprintf(
		    buf, size, "%s", cfg_tls_name(*(const enum cfg_tls *)f));
		break;
	case CFG_T_FAMILY:
		snprintf(buf, size, "%s",
		    cfg_family_name(*(const enum cfg_family *)f));
		break;
	case CFG_T_SERVERS:
		for (i = 0; i < cfg->dns_servers_n && len < size; i++) {
			const struct cfg_server *s = &cfg->dns_servers[i];

			len += (size_t)snprintf(buf + len, size - len,
			    s->is_ip6 ? "%s[%s]:%u" : "%s%s:%u", i ? "," : "",
			    s->addr, s->port);
		}
		break;
	}
}

#endif
