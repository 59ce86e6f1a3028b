/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * Fuzz target: the reader of the compiled override map (ovr.h,
 * ovr_cmap_read.c), a file in state_dir that every process maps: a
 * damaged or hostile one must be refused or rebuilt, never read out of
 * bounds. Once per process a small map is written and compiled into a
 * private directory; each input is a list of 3-byte patches (offset,
 * little endian, then the new byte) applied to a copy of that good
 * file, which then stands in for it, its identity intact unless a
 * patch changes it. The map is loaded through it and every pattern
 * looked up. Checked: no crash and no sanitizer report (a patch in the
 * rules' bytes may change answers: the file has no body checksum).
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fuzz.h"
#include "ovr.h"

static const char fuzz_cmap_text[] =
    "example.org big.relay.example.net $size>10M $end\n"
    "*.example.org fred:s3cret@192.0.2.1:587 $priority:5\n"
    "*.*.test [2001:db8::1] $retries>=4 $retries<9 $tls:verify\n"
    "a?.test relay.test:465\n"
    "* fallback.isp.example $retries>4 $priority:1\n";

static const char *const fuzz_cmap_domains[] = {"example.org", "a.example.org",
    "x.y.test", "ab.test", "other.example", "q"};

static char fuzz_cmap_dir[64], fuzz_cmap_map[128], fuzz_cmap_file[128];
static unsigned char *fuzz_cmap_good;
static size_t fuzz_cmap_len;

/* fuzz_cmap_write - write a whole file */
static void
fuzz_cmap_write(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0)
		fuzz_fail("cannot write %s", path);
}

/* fuzz_cmap_rm - nftw callback: remove one entry */
static int
fuzz_cmap_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

/* fuzz_cmap_cleanup - the private directory goes at exit */
static void
fuzz_cmap_cleanup(void)
{
	(void)nftw(fuzz_cmap_dir, fuzz_cmap_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* fuzz_cmap_setup - the map, compiled once */
static void
fuzz_cmap_setup(void)
{
	struct diag_list *dl = diag_list_new();
	struct ovr_compile_info info;
	struct stat st;
	FILE *fp;

	snprintf(fuzz_cmap_dir, sizeof(fuzz_cmap_dir), "/tmp/fuzz-cmap.XXXXXX");
	if (mkdtemp(fuzz_cmap_dir) == NULL)
		fuzz_fail("mkdtemp failed");
	atexit(fuzz_cmap_cleanup);
	snprintf(fuzz_cmap_map, sizeof(fuzz_cmap_map), "%s/map", fuzz_cmap_dir);
	snprintf(fuzz_cmap_file, sizeof(fuzz_cmap_file), "%s/%s", fuzz_cmap_dir,
	    OVR_CMAP_NAME);
	fuzz_cmap_write(
	    fuzz_cmap_map, fuzz_cmap_text, sizeof(fuzz_cmap_text) - 1);
	chmod(fuzz_cmap_map, 0600);
	if (ovr_map_compile(fuzz_cmap_map, fuzz_cmap_dir, &info, dl) !=
	    OVR_OK) {
		diag_print(dl, stderr);
		fuzz_fail("the map does not compile");
	}
	diag_list_free(dl);
	if (stat(fuzz_cmap_file, &st) != 0 ||
	    (fp = fopen(fuzz_cmap_file, "rb")) == NULL)
		fuzz_fail("no %s", fuzz_cmap_file);
	fuzz_cmap_len = (size_t)st.st_size;
	fuzz_cmap_good = malloc(fuzz_cmap_len);
	if (fuzz_cmap_good == NULL ||
	    fread(fuzz_cmap_good, 1, fuzz_cmap_len, fp) != fuzz_cmap_len)
		fuzz_fail("cannot read %s", fuzz_cmap_file);
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list *dl;
	struct ovr_map *map = NULL;
	struct ovr_match m;
	unsigned char *bad;
	size_t i, off;
	char tmp[160];

	if (fuzz_cmap_good == NULL)
		fuzz_cmap_setup();
	bad = malloc(fuzz_cmap_len);
	if (bad == NULL)
		fuzz_fail("out of memory");
	memcpy(bad, fuzz_cmap_good, fuzz_cmap_len);
	for (i = 0; i + 3 <= size; i += 3) {
		off = ((size_t)data[i] | (size_t)data[i + 1] << 8) %
		    fuzz_cmap_len;
		bad[off] = data[i + 2];
	}
	/* As the builder does: a new file renamed over the old one. */
	snprintf(tmp, sizeof(tmp), "%s.fuzz", fuzz_cmap_file);
	fuzz_cmap_write(tmp, bad, fuzz_cmap_len);
	chmod(tmp, 0600);
	if (rename(tmp, fuzz_cmap_file) != 0)
		fuzz_fail("rename failed");
	free(bad);
	dl = diag_list_new();
	if (ovr_map_load_conf(fuzz_cmap_map, false, false, fuzz_cmap_dir, &map,
	        dl) == OVR_OK &&
	    map != NULL) {
		for (i = 0;
		     i < sizeof(fuzz_cmap_domains) / sizeof(*fuzz_cmap_domains);
		     i++) {
			(void)ovr_map_match(
			    map, fuzz_cmap_domains[i], 20000000, 5, NULL, &m);
			ovr_match_fini(&m);
		}
		ovr_map_free(map);
	}
	diag_list_free(dl);
	return 0;
}
