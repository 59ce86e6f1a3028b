/* SPDX-License-Identifier: BSD-2-Clause */
/* Copyright (c) 2026 The smtpdirect authors */
/*
 * NAME
 *	mlt_cb - the libmilter callbacks and the per-connection context
 * DESCRIPTION
 *	mlt_cb_register() hands libmilter the callbacks of
 *	smtpdirect-milter. Per connection a context (smfi_setpriv) holds
 *	the message's recipients, its size (the bytes of header and body
 *	shown, as "Name: value" CRLF lines, the blank line and the body:
 *	Postfix sends no size macro) and its X-SMTPDirect-* headers. At
 *	end of message, with a reference to the current map: every
 *	X-SMTPDirect-* header that came with the message is deleted (all
 *	instances, by name and index); one X-SMTPDirect-Route header per
 *	recipient records its route (route_plan with the real size and
 *	$retries 0; no DNS); when an override applies to any recipient,
 *	one X-SMTPDirect-Transport header names the transport. With the
 *	RCPT check on (mlt_rcpt.h), the MTA is asked for a reply to every
 *	RCPT, and a recipient whose domain has a null MX or does not exist
 *	is rejected there (smfi_setreply, logged with the queue id) and
 *	not routed at end of message. No SMFICTX leaves milter/.
 * OWNERSHIP
 *	The store, transport and RCPT checker given to mlt_cb_register()
 *	are borrowed until smfi_main() returns. A connection's resolver
 *	is closed with its context (at close).
 * THREADS
 *	libmilter runs the callbacks of one connection on one thread at a
 *	time, connections on many: each context is its thread's (with its
 *	own resolver for the RCPT check), the map is shared read-only
 *	through mlt_map.h.
 * ERRORS
 *	mlt_cb_register() returns false when smfi_register() refuses.
 *	A message beyond MLT_CB_RCPT_MAX recipients or MLT_HDR_NAMES_MAX
 *	X-SMTPDirect-* names, or whose headers cannot be changed, is
 *	tempfailed (4.x): never passed on with forged headers.
 * SEE ALSO
 *	SPEC section 7; mlt_hdr.h; mlt_map.h; libmilter's mfapi.h.
 */
#ifndef SMTPDIRECT_MLT_CB_H
#define SMTPDIRECT_MLT_CB_H

#include <stdbool.h>

#include "mlt_map.h"
#include "mlt_rcpt.h"

#define MLT_CB_NAME "smtpdirect-milter" /* name given to libmilter */
#define MLT_CB_RCPT_MAX 10000 /* recipients of one message we route */

/*
 * Register the callbacks; store gives the map, transport is the
 * X-SMTPDirect-Transport value, mx_port the port of MX routes, rcpt
 * the check at RCPT (NULL: off).
 * Returns false when libmilter refuses.
 */
bool mlt_cb_register(struct mlt_store *store, const char *transport,
    unsigned mx_port, struct mlt_rcpt *rcpt);

#endif
