/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The messages between the request-serving process and the signer process
 * (docs/design.md, "Processes"): a few fixed types over one SOCK_SEQPACKET
 * socketpair, so each message arrives whole or not at all. Both ends are the
 * same binary on the same machine: fields are in host byte order.
 *
 *   serving -> signer   SIGNER_MSG_GET     the current public snapshot
 *   signer -> serving   SIGNER_MSG_SNAPSHOT  struct signer_msg_snapshot, then
 *                                          cert_count x { uint32 len, DER }
 *   serving -> signer   SIGNER_MSG_SIGN    generation + the bytes to sign
 *   signer -> serving   SIGNER_MSG_SIGNATURE  the signature
 *   signer -> serving   SIGNER_MSG_ERROR   status says why (stale, expired...)
 *
 * Every reply echoes the request's id; a reply to a request that already
 * timed out is recognised by its id and dropped.
 */
#ifndef OTPCEP_SIGNER_MSG_H
#define OTPCEP_SIGNER_MSG_H

#include <stdint.h>

/* The largest message either way (a snapshot with its chain). */
#define SIGNER_MSG_MAX		(128 * 1024)
/*
 * The largest SIGN payload: the DER of CMS SignedAttributes (RFC 5652 5.4)
 * is about 100 bytes; anything near this bound is not ours.
 */
#define SIGNER_SIGN_DATA_MAX	4096

enum signer_msg_type {
	SIGNER_MSG_GET = 1,
	SIGNER_MSG_SIGN = 2,
	SIGNER_MSG_SNAPSHOT = 3,
	SIGNER_MSG_SIGNATURE = 4,
	SIGNER_MSG_ERROR = 5,
};

/* SIGNER_MSG_GET flags. */
#define SIGNER_MSG_F_RELOAD	1u	/* SIGHUP reached the serving process */

/* SIGNER_MSG_ERROR status. */
enum signer_msg_status {
	SIGNER_MSG_ST_STALE = 1,	/* the snapshot named is not the current one: rebuild */
	SIGNER_MSG_ST_NO_VALID_CERT = 2,
	SIGNER_MSG_ST_FAILED = 3,
	SIGNER_MSG_ST_BAD_REQUEST = 4,	/* refused: not a well-formed sign request */
};

struct signer_msg_hdr {
	uint32_t type;			/* enum signer_msg_type */
	uint32_t flags;			/* GET: SIGNER_MSG_F_*; ERROR: enum signer_msg_status */
	uint64_t id;			/* chosen by the serving process, echoed */
	uint64_t generation;		/* SIGN: the snapshot the data was built for */
	uint32_t len;			/* payload bytes after the header */
	uint32_t reserved;		/* 0 */
};

struct signer_msg_snapshot {
	int32_t digest;			/* gnutls_digest_algorithm_t */
	uint32_t cert_count;		/* >= 1 */
	int64_t not_before;
	int64_t not_after;
	char sig_oid[64];		/* NUL-terminated */
	char serial[64];		/* NUL-terminated */
};

#endif
