/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside the step 1 module (src/csr.c, src/csr_dn.c): distinguished names as
 * RFC 4514 strings, parsed and compared the way step 1 compares a request's
 * names with the directory's (docs/protocol.md, "Step 1"), and small string
 * helpers. Not for other modules; they use include/csr.h.
 */
#ifndef OTPCEP_CSR_DN_H
#define OTPCEP_CSR_DN_H

#include <stdbool.h>
#include <stddef.h>

#include "csr.h"

#define OID_EMAIL_ADDRESS	"1.2.840.113549.1.9.1"	/* RFC 2985 5.2.1 */

/* A list of strings. */
struct csr_strs {
	char **v;
	size_t n;
};

/*
 * A distinguished name, RDN by RDN in the order of its RFC 4514 string; each
 * AVA has its type as an OID (or an upper-cased name GnuTLS and this file
 * both do not map) and its value normalised: unescaped, leading and trailing
 * spaces dropped, inner runs of spaces made one, ASCII letters lower-cased.
 * The AVAs of a multi-valued RDN are sorted.
 */
struct csr_ava {
	char *type;
	char *value;
	bool hex;	/* value was #hexstring (BER, not a string) */
};

struct csr_rdn {
	struct csr_ava *ava;
	size_t n;
};

struct csr_dn {
	struct csr_rdn *rdn;
	size_t n;
};

/* ASCII case-insensitive equality; false when either is NULL. */
bool csr_ascii_eq(const char *a, const char *b);
bool csr_is_digit(char c);

/* Appends a copy of s (len bytes); false when out of memory. */
bool csr_strs_add(struct csr_strs *l, const char *s, size_t len);
void csr_strs_free(struct csr_strs *l);

/*
 * Parses an RFC 4514 string into *dn (also accepts spaces around the
 * separators, as people write DNs). Returns CSR_OK, CSR_MALFORMED or
 * CSR_NOMEM.
 */
enum csr_result csr_dn_parse(const char *s, struct csr_dn *dn);
/* True when a and b are the same name, RDN by RDN. */
bool csr_dn_equal(const struct csr_dn *a, const struct csr_dn *b);
/* Moves every emailAddress AVA of dn into emails (see csr_dn.c). */
enum csr_result csr_dn_take_emails(struct csr_dn *dn, struct csr_strs *emails);
void csr_dn_free(struct csr_dn *dn);

#endif
