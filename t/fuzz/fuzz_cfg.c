/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the configuration parser (cfg.h). The input is a
 * configuration file. A result of CFG_OK must come with no error in
 * the diagnostics, anything else with at least one.
 */

#include <stdio.h>
#include <unistd.h>

#include "cfg.h"
#include "diag.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list *dl = diag_list_new();
	enum cfg_status st;
	struct cfg cfg;
	char path[64];
	int fd = fuzz_memfd(data, size);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	st = cfg_read(path, true, &cfg, dl);
	if ((st == CFG_OK) != (diag_errors(dl) == 0))
		fuzz_fail("cfg_read returned %d with %lu errors", (int)st,
		    diag_errors(dl));
	cfg_fini(&cfg);
	diag_list_free(dl);
	close(fd);
	return 0;
}
