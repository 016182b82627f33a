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
 * A distinguished name (struct dir_dn, parsed by libldap through the
 * directory module) as step 1 compares it: each AVA's type an OID (or an
 * upper-cased name this file does not map), each string value with
 * insignificant spaces removed, case folded and NFKC (RFC 4518), the AVAs
 * of a multi-valued RDN sorted.
 */
struct dir_dn;

bool csr_is_digit(char c);

/* Appends a copy of s (len bytes); false when out of memory. */
bool csr_strs_add(struct csr_strs *l, const char *s, size_t len);
void csr_strs_free(struct csr_strs *l);

/*
 * Parses an RFC 4514 string into *dn (libldap's ldap_str2dn, which also
 * takes spaces around the separators, as people write DNs) and normalises
 * it for comparison. Returns CSR_OK, CSR_MALFORMED (not a DN, or a value
 * that is not UTF-8) or CSR_NOMEM.
 */
enum csr_result csr_dn_parse(const char *s, struct dir_dn *dn);
/* True when a and b are the same name, RDN by RDN. */
bool csr_dn_equal(const struct dir_dn *a, const struct dir_dn *b);
/* Moves every emailAddress AVA of dn into emails (see csr_dn.c). */
enum csr_result csr_dn_take_emails(struct dir_dn *dn, struct csr_strs *emails);
void csr_dn_free(struct dir_dn *dn);

#endif
