/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Inside step 4 (src/cmc.c, src/cmc_tmpl.c): a small DER writer and the
 * template of a SignedCertRequest, the DER that stays the same for one
 * signing certificate and one ClientInfo. The template is made once per
 * signer snapshot (issue 10: libtasn1 work done once, not per request);
 * each request then only wraps its own PKCS#10, digests and signatures
 * around it.
 */
#ifndef OTPCEP_CMC_INTERNAL_H
#define OTPCEP_CMC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "cmc.h"

/* A growing DER buffer; any failure sticks in `failed`. */
struct der {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

void der_put(struct der *d, const void *p, size_t n);
/* Appends tag, the DER length of n (X.690 8.1.3, definite form) and p. */
void der_put_tlv(struct der *d, uint8_t tag, const void *p, size_t n);
/* Turns the whole content of d into one element: tag, length, content. */
void der_wrap(struct der *d, uint8_t tag);
void der_free(struct der *d);
/* Whether der is exactly one DER SEQUENCE, nothing after it. */
bool der_one_sequence(const uint8_t *der, size_t der_len);
/* X.690 11.6: the order of a SET OF's elements (memcmp, shorter first). */
int der_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* X.690 tags used here. */
#define DER_INTEGER	0x02
#define DER_OCTET	0x04
#define DER_NULL	0x05
#define DER_OID		0x06
#define DER_SEQ		0x30
#define DER_SET		0x31
#define DER_CTX0	0xa0	/* [0], constructed */

/*
 * The constant parts of a SignedCertRequest (docs/protocol.md, "Step 4")
 * for one signing key and certificate chain and one ClientInfo.
 */
struct cmc_template {
	char *machine, *user, *process;	/* the ClientInfo it was made for */
	gnutls_digest_algorithm_t digest;
	struct der control_seq;		/* PKIData.controlSequence */
	struct der digest_algs;		/* SignedData.digestAlgorithms */
	struct der certificates;	/* [0] IMPLICIT SET OF Certificate */
	struct der dummy_head;		/* Dummy Signer: version, sid, digestAlgorithm */
	struct der dummy_sig_alg;	/* its signatureAlgorithm: id-alg-noSignature */
	struct der real_head;		/* the signing certificate's SignerInfo start */
	struct der real_sig_alg;	/* its signatureAlgorithm */
	struct der oid_pkidata;		/* DER of id-cct-PKIData */
	struct der oid_signed_data;	/* DER of id-signedData */
	struct der content_type_attr;	/* Attribute contentType = id-cct-PKIData */
	struct der oid_message_digest;	/* DER of id-messageDigest */
};

/*
 * Builds the template for key and ci (libtasn1 and GnuTLS: the certificate's
 * issuer and serial, the Dummy Signer's name, the ClientInfo). Returns a new
 * template, or NULL after logging and setting the audit reason.
 */
struct cmc_template *cmc_template_new(const struct cmc_key *key,
    const struct cmc_client_info *ci, struct audit *a);
void cmc_template_free(void *t);
/* Whether t was made for ci (the configuration and host name of now). */
bool cmc_template_matches(const struct cmc_template *t,
    const struct cmc_client_info *ci);

#endif
