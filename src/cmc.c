/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * MS-OTPCE 3.2.5.1 step 4: "sign the certificate request ... with the signing
 * certificate". The result has the exact shape of the SignedCertRequest a
 * Windows OTPCEP server produces (MS-OTPCE 4.1; docs/protocol.md, "Step 4"):
 *
 *   ContentInfo { signedData, SignedData v3 {
 *     digestAlgorithms { digest },
 *     encapContentInfo { id-cct-PKIData, PKIData {
 *       controlSequence { TaggedAttribute { 2, szOID_CMC_ADD_ATTRIBUTES,
 *         { CmcAddAttributesInfo { 0, { 1 }, { ClientInfo attribute } } } } },
 *       reqSequence { tcr { 1, the client's PKCS#10 byte for byte } },
 *       cmsSequence {}, otherMsgSequence {} } },
 *     certificates { signing certificate, chain },
 *     signerInfos { Dummy Signer (id-alg-noSignature), signing certificate } } }
 *
 * What is the same for every request (the ClientInfo control, the
 * certificates, both SignerInfos but for their attributes and signatures)
 * is made once per signer snapshot by src/cmc_tmpl.c (libtasn1 for the inner
 * structures); each request wraps its PKCS#10, digests and signatures around
 * that template with the small DER writer (issue 10: the CPU of a request is
 * its signature and checks, not re-encoding constants). Digests and the
 * signature come from GnuTLS (the key itself only through signer_sign()).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cmc.h"
#include "cmc_internal.h"
#include "config.h"
#include "log.h"
#include "signer.h"

const char *
cmc_strerror(enum cmc_result r)
{
	switch (r) {
	case CMC_OK:
		return "ok";
	case CMC_NO_SIGNER:
		return "no valid signing certificate";
	case CMC_FAILED:
		return "encoding or signing the request failed";
	case CMC_BAD_REQUEST:
		return "the certificate request is not one DER element";
	}
	return "unknown error";
}

/* Appends the whole of src to d (and its failure). */
static void
der_put_der(struct der *d, const struct der *src)
{
	if (src->failed)
		d->failed = true;
	else
		der_put(d, src->p, src->len);
}

/*
 * The PKIData (RFC 5272 3.2.1): one control (bodyPartID 2, add attributes:
 * the template's), one request (TaggedRequest tcr [0] { bodyPartID 1, the
 * PKCS#10 as given }), cmsSequence and otherMsgSequence empty.
 */
static void
put_pki_data(struct der *pki, const struct cmc_template *t,
    const uint8_t *csr, size_t csr_len)
{
	static const uint8_t body_part_1[] = { DER_INTEGER, 0x01, 0x01 };
	static const uint8_t empty_seqs[] = { DER_SEQ, 0x00, DER_SEQ, 0x00 };
	struct der req = { 0 };

	der_put_der(pki, &t->control_seq);
	der_put(&req, body_part_1, sizeof(body_part_1));
	der_put(&req, csr, csr_len);
	der_wrap(&req, DER_CTX0);
	der_wrap(&req, DER_SEQ);
	der_put_der(pki, &req);
	der_free(&req);
	der_put(pki, empty_seqs, sizeof(empty_seqs));
	der_wrap(pki, DER_SEQ);
}

/*
 * The content of the signed attributes (RFC 5652 5.3, 11.1, 11.2):
 * contentType id-cct-PKIData and messageDigest, in DER SET OF order (the
 * contentType attribute is the shorter, so it always comes first).
 */
static void
put_signed_attrs(struct der *sa, const struct cmc_template *t,
    const uint8_t *digest, size_t digest_len)
{
	struct der md = { 0 }, value = { 0 };

	der_put_der(sa, &t->content_type_attr);
	/* Attribute { id-messageDigest, SET { OCTET STRING digest } } */
	der_put_tlv(&value, DER_OCTET, digest, digest_len);
	der_wrap(&value, DER_SET);
	der_put_der(&md, &t->oid_message_digest);
	der_put_der(&md, &value);
	der_free(&value);
	der_wrap(&md, DER_SEQ);
	der_put_der(sa, &md);
	der_free(&md);
}

/*
 * One SignerInfo (RFC 5652 5.3): the template's head (version,
 * issuerAndSerialNumber, digestAlgorithm), signedAttrs [0] IMPLICIT, the
 * signatureAlgorithm, the signature; no unsigned attributes.
 */
static void
put_signer_info(struct der *si, const struct der *head,
    const struct der *sa_content, const struct der *sig_alg,
    const uint8_t *sig, size_t sig_len)
{
	der_put_der(si, head);
	der_put_tlv(si, DER_CTX0, sa_content->p, sa_content->len);
	der_put_der(si, sig_alg);
	der_put_tlv(si, DER_OCTET, sig, sig_len);
	der_wrap(si, DER_SEQ);
}

/*
 * Everything of one request around the template t: returns CMC_OK with
 * *out new, else CMC_FAILED after logging and setting the audit reason.
 */
static enum cmc_result
cmc_assemble(const struct cmc_template *t, const struct cmc_key *key,
    const uint8_t *csr, size_t csr_len, uint8_t **out, size_t *out_len,
    struct audit *a)
{
	static const uint8_t version3[] = { DER_INTEGER, 0x01, 0x03 };
	enum cmc_result ret = CMC_FAILED;
	struct der pki = { 0 }, sac = { 0 }, sa = { 0 }, dummy = { 0 };
	struct der real = { 0 }, sis = { 0 }, encap = { 0 }, sd = { 0 };
	struct der ci = { 0 };
	uint8_t digest[64], sa_digest[64], *sig = NULL;
	size_t sig_len = 0;
	unsigned hash_len = gnutls_hash_get_len(t->digest);

	/* RFC 5652 5.4: messageDigest is the digest of the eContent octets. */
	put_pki_data(&pki, t, csr, csr_len);
	if (pki.failed || gnutls_hash_fast(t->digest, pki.p, pki.len,
	    digest) < 0)
		goto fail;
	/*
	 * RFC 5652 5.4: the signature (and the Dummy Signer's digest) covers
	 * the DER of the signed attributes with the SET OF tag.
	 */
	put_signed_attrs(&sac, t, digest, hash_len);
	der_put_tlv(&sa, DER_SET, sac.p, sac.len);
	if (sac.failed || sa.failed ||
	    gnutls_hash_fast(t->digest, sa.p, sa.len, sa_digest) < 0)
		goto fail;
	if (key->sign(key->ctx, sa.p, sa.len, &sig, &sig_len) != 0) {
		log_err("step 4: the signing key refused to sign");
		audit_reason(a, "step 4: signing failed");
		goto cleanup;
	}
	/* RFC 2797 3.3.3.1 (RFC 5272 3.2.1.1): no-signature = the digest itself. */
	put_signer_info(&dummy, &t->dummy_head, &sac, &t->dummy_sig_alg,
	    sa_digest, hash_len);
	put_signer_info(&real, &t->real_head, &sac, &t->real_sig_alg, sig,
	    sig_len);
	/*
	 * MS-WCCE 3.1.1.4.3.1.3: the null-signed primary first, then the RA,
	 * in this order whatever their lengths (src/asn/cms.asn, SignedData).
	 */
	der_put_der(&sis, &dummy);
	der_put_der(&sis, &real);
	der_wrap(&sis, DER_SET);

	/* RFC 5652 5.2: encapContentInfo { id-cct-PKIData, [0] { OCTET STRING } } */
	der_put_der(&encap, &t->oid_pkidata);
	{
		struct der content = { 0 };

		der_put_tlv(&content, DER_OCTET, pki.p, pki.len);
		der_wrap(&content, DER_CTX0);
		der_put_der(&encap, &content);
		der_free(&content);
	}
	der_wrap(&encap, DER_SEQ);

	/* RFC 5652 5.1: version 3, because eContentType is not id-data; no crls. */
	der_put(&sd, version3, sizeof(version3));
	der_put_der(&sd, &t->digest_algs);
	der_put_der(&sd, &encap);
	der_put_der(&sd, &t->certificates);
	der_put_der(&sd, &sis);
	der_wrap(&sd, DER_SEQ);

	/* RFC 5652 3: ContentInfo { id-signedData, [0] SignedData } */
	der_put_der(&ci, &t->oid_signed_data);
	der_wrap(&sd, DER_CTX0);
	der_put_der(&ci, &sd);
	der_wrap(&ci, DER_SEQ);
	if (ci.failed)
		goto fail;
	*out = ci.p;
	*out_len = ci.len;
	ci.p = NULL;
	ret = CMC_OK;
	goto cleanup;
fail:
	log_err("step 4: encoding the SignedCertRequest failed (out of memory "
	    "or hashing)");
	audit_reason(a, "step 4: encoding failed");
cleanup:
	free(sig);
	der_free(&pki);
	der_free(&sac);
	der_free(&sa);
	der_free(&dummy);
	der_free(&real);
	der_free(&sis);
	der_free(&encap);
	der_free(&sd);
	der_free(&ci);
	return ret;
}

/*
 * cmc_encode() with the template t kept with the signer snapshot; NULL (or
 * one made for another ClientInfo or digest): one is made for this call.
 */
static enum cmc_result
cmc_encode_template(const struct cmc_key *key, const struct cmc_template *t,
    const struct cmc_client_info *ci, const uint8_t *csr_der,
    size_t csr_der_len, uint8_t **out, size_t *out_len, struct audit *a)
{
	struct cmc_template *own = NULL;
	unsigned hash_len;
	enum cmc_result ret;

	*out = NULL;
	*out_len = 0;
	/* Step 1 parsed it already; this guards the "byte for byte" copy. */
	if (!der_one_sequence(csr_der, csr_der_len)) {
		log_err("step 4: the certificate request is not one DER SEQUENCE");
		audit_reason(a, "step 4: certificate request is not one DER element");
		return CMC_BAD_REQUEST;
	}
	hash_len = gnutls_hash_get_len(key->digest);
	if (hash_len == 0 || hash_len > 64 ||
	    gnutls_digest_get_oid(key->digest) == NULL ||
	    key->cert_count == 0 || key->signature_oid == NULL) {
		log_err("step 4: the signing key is incomplete (digest, "
		    "certificate or signature algorithm missing)");
		audit_reason(a, "step 4: signing key incomplete");
		return CMC_FAILED;
	}
	if (t == NULL || t->digest != key->digest ||
	    !cmc_template_matches(t, ci)) {
		if ((own = cmc_template_new(key, ci, a)) == NULL)
			return CMC_FAILED;
		t = own;
	}
	ret = cmc_assemble(t, key, csr_der, csr_der_len, out, out_len, a);
	cmc_template_free(own);
	return ret;
}

enum cmc_result
cmc_encode(const struct cmc_key *key, const struct cmc_client_info *ci,
    const uint8_t *csr_der, size_t csr_der_len, uint8_t **out, size_t *out_len,
    struct audit *a)
{
	return cmc_encode_template(key, NULL, ci, csr_der, csr_der_len, out,
	    out_len, a);
}

/* Adapters from the signer snapshot (include/signer.h) to struct cmc_key. */
struct cmc_snapshot {
	struct signer_cert *snap;
	enum signer_result result;	/* of the last signature */
};

static void
snapshot_cert_der(const void *ctx, size_t i, const uint8_t **der,
    size_t *der_len)
{
	const struct cmc_snapshot *cs = ctx;

	signer_cert_der(cs->snap, i, der, der_len);
}

static int
snapshot_sign(const void *ctx, const uint8_t *data, size_t data_len,
    uint8_t **sig, size_t *sig_len)
{
	struct cmc_snapshot *cs = (struct cmc_snapshot *)(uintptr_t)ctx;

	cs->result = signer_sign(cs->snap, data, data_len, sig, sig_len);
	return cs->result == SIGNER_OK ? 0 : -1;
}

/*
 * The template of this snapshot (made on its first request, kept with it
 * until the snapshot goes), or NULL: then cmc_encode() makes one for the
 * call and the reason is logged there.
 */
static const struct cmc_template *
cmc_snapshot_template(const struct cmc_key *key, struct signer_cert *snap,
    const struct cmc_client_info *ci)
{
	struct cmc_template *t = signer_cert_aux(snap), *fresh;
	struct audit scratch;

	if (t != NULL)
		return t;
	memset(&scratch, 0, sizeof(scratch));
	if ((fresh = cmc_template_new(key, ci, &scratch)) == NULL)
		return NULL;
	return signer_cert_set_aux(snap, fresh, cmc_template_free);
}

enum cmc_result
cmc_sign_request(const struct config *cfg, struct signer *s,
    const uint8_t *csr_der, size_t csr_der_len, uint8_t **out,
    size_t *out_len, struct audit *a)
{
	struct cmc_snapshot cs;
	struct cmc_key key;
	struct cmc_client_info ci;
	struct audit tried;
	char host[HOST_NAME_MAX + 1];
	enum signer_result sr;
	enum cmc_result ret = CMC_FAILED;

	*out = NULL;
	*out_len = 0;

	/* MS-WCCE 2.2.2.7.4: the server's own ClientInfo. */
	ci.machine = cfg->signing_client_machine;
	if (ci.machine == NULL) {
		if (gethostname(host, sizeof(host)) != 0) {
			log_warn("step 4: gethostname");
			audit_reason(a, "step 4: no host name for ClientInfo");
			return CMC_FAILED;
		}
		host[sizeof(host) - 1] = '\0';
		ci.machine = host;
	}
	ci.user = cfg->signing_client_account != NULL ?
	    cfg->signing_client_account : "";
	ci.process = cfg->signing_client_process != NULL ?
	    cfg->signing_client_process : CMC_DEFAULT_PROCESS;

	/*
	 * One snapshot for the whole signature: certificate and key agree. The
	 * signer process refuses a snapshot it has replaced since (a renewal):
	 * then the request is built again once with the new one.
	 */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((sr = signer_acquire(s, &cs.snap)) != SIGNER_OK) {
			log_err("step 4: no signing certificate to sign with: %s",
			    signer_strerror(sr));
			audit_reason(a, "step 4: %s", signer_strerror(sr));
			return sr == SIGNER_NO_VALID_CERT ? CMC_NO_SIGNER :
			    CMC_FAILED;
		}
		cs.result = SIGNER_OK;
		key.ctx = &cs;
		key.cert_count = signer_cert_count(cs.snap);
		key.cert_der = snapshot_cert_der;
		key.digest = signer_digest(cs.snap);
		key.signature_oid = signer_signature_oid(cs.snap);
		key.sign = snapshot_sign;
		/*
		 * Each attempt writes its reasons in its own record: only the
		 * last attempt's outcome reaches the audit line, so a Success
		 * after a stale snapshot carries no failure reason.
		 */
		memset(&tried, 0, sizeof(tried));
		ret = cmc_encode_template(&key, cmc_snapshot_template(&key,
		    cs.snap, &ci), &ci, csr_der, csr_der_len, out, out_len,
		    &tried);
		signer_release(s, cs.snap);
		if (ret == CMC_OK || cs.result != SIGNER_STALE)
			break;
		log_info("step 4: the signing certificate was renewed meanwhile; "
		    "building the request again");
	}
	if (ret != CMC_OK && tried.reason[0] != '\0')
		audit_reason(a, "%s", tried.reason);
	return ret;
}
