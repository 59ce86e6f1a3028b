/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/* fileid: a file's identity, to see whether it changed (fileid.h). */

#include <sys/stat.h>

#include <string.h>

#include "fileid.h"

/* fileid_get - stat path */
void
fileid_get(const char *path, struct fileid *id)
{
	struct stat sb;

	memset(id, 0, sizeof(*id));
	if (stat(path, &sb) < 0)
		return;
	id->dev = sb.st_dev;
	id->ino = sb.st_ino;
	id->size = sb.st_size;
	id->mtime = sb.st_mtim;
	id->ctime = sb.st_ctim;
	id->known = true;
}

/* fileid_same - unchanged since *id was taken */
bool
fileid_same(const char *path, struct fileid *id)
{
	struct fileid now;
	bool same;

	fileid_get(path, &now);
	same = id->known && now.known && id->dev == now.dev &&
	    id->ino == now.ino && id->size == now.size &&
	    id->mtime.tv_sec == now.mtime.tv_sec &&
	    id->mtime.tv_nsec == now.mtime.tv_nsec &&
	    id->ctime.tv_sec == now.ctime.tv_sec &&
	    id->ctime.tv_nsec == now.ctime.tv_nsec;
	*id = now;
	return same;
}
