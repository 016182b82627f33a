/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The Microsoft certificate-request types (MS-WCCE 2.2.2.7) in DER, with
 * libtasn1 and the module src/asn/microsoft.asn. The only file that uses
 * libtasn1. Decoding is strict DER and refuses trailing bytes, embedded NULs
 * and text that is not valid UTF-16/UTF-8.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtasn1.h>

#include "msext.h"
#include "utf8.h"

extern const asn1_static_node microsoft_asn1_tab[];

/* Built once, read-only afterwards: libtasn1 only reads it to copy types. */
static asn1_node msext_defs;
static pthread_once_t msext_defs_once = PTHREAD_ONCE_INIT;

static void
msext_defs_init(void)
{
	if (asn1_array2tree(microsoft_asn1_tab, &msext_defs, NULL) != ASN1_SUCCESS)
		msext_defs = NULL;
}

/* A new empty element of type name ("Microsoft.X"), or NULL. */
static asn1_node
msext_element(const char *name)
{
	asn1_node node = NULL;

	if (pthread_once(&msext_defs_once, msext_defs_init) != 0 ||
	    msext_defs == NULL)
		return NULL;
	if (asn1_create_element(msext_defs, name, &node) != ASN1_SUCCESS)
		return NULL;
	return node;
}

/*
 * Decodes der as the type in node, strict DER, every byte used. Returns
 * MSEXT_OK or MSEXT_MALFORMED.
 */
static enum msext_result
msext_decode(asn1_node *node, const uint8_t *der, size_t der_len)
{
	int len;

	if (der == NULL || der_len == 0 || der_len > INT_MAX)
		return MSEXT_MALFORMED;
	len = (int)der_len;
	if (asn1_der_decoding2(node, der, &len, ASN1_DECODE_FLAG_STRICT_DER,
	    NULL) != ASN1_SUCCESS)
		return MSEXT_MALFORMED;
	if ((size_t)len != der_len)
		return MSEXT_MALFORMED;
	return MSEXT_OK;
}

/*
 * Reads element name of node into a new buffer of *len bytes plus a NUL.
 * Returns MSEXT_OK, MSEXT_MALFORMED when absent, MSEXT_NOMEM.
 */
static enum msext_result
msext_read(asn1_node node, const char *name, uint8_t **out, size_t *out_len)
{
	uint8_t *buf;
	int len = 0, rc;

	*out = NULL;
	*out_len = 0;
	rc = asn1_read_value(node, name, NULL, &len);
	if (rc != ASN1_MEM_ERROR && rc != ASN1_SUCCESS)
		return MSEXT_MALFORMED;
	if (len < 0 || len == INT_MAX)
		return MSEXT_MALFORMED;
	if ((buf = malloc((size_t)len + 1)) == NULL)
		return MSEXT_NOMEM;
	if (len > 0 && asn1_read_value(node, name, buf, &len) != ASN1_SUCCESS) {
		free(buf);
		return MSEXT_MALFORMED;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = (size_t)len;
	return MSEXT_OK;
}

/* Reads a UTF8String element as a new NUL-terminated string. */
static enum msext_result
msext_read_utf8(asn1_node node, const char *name, char **out)
{
	uint8_t *buf;
	size_t len;
	enum msext_result r;

	*out = NULL;
	if ((r = msext_read(node, name, &buf, &len)) != MSEXT_OK)
		return r;
	if (!utf8_valid(buf, len, UTF8_NO_NUL)) {
		free(buf);
		return MSEXT_MALFORMED;
	}
	*out = (char *)buf;
	return MSEXT_OK;
}

/*
 * Reads an INTEGER element into *out. Returns MSEXT_OK, MSEXT_MALFORMED when
 * outside the range of long, or when absent unless *absent is given (then it
 * is set and *out is -1).
 */
static enum msext_result
msext_read_long(asn1_node node, const char *name, long *out, bool *absent)
{
	uint8_t buf[sizeof(long)];
	int len = (int)sizeof(buf), i, rc;
	unsigned long v;

	rc = asn1_read_value(node, name, buf, &len);
	if (rc == ASN1_ELEMENT_NOT_FOUND && absent != NULL) {
		*absent = true;
		*out = -1;
		return MSEXT_OK;
	}
	if (rc != ASN1_SUCCESS || len < 1)
		return MSEXT_MALFORMED;
	/* two's complement, big-endian (X.690 8.3) */
	v = (buf[0] & 0x80) ? ULONG_MAX : 0;
	for (i = 0; i < len; i++)
		v = (v << 8) | buf[i];
	*out = (long)v;
	return MSEXT_OK;
}

/*
 * Writes node as DER into a new buffer. Returns MSEXT_OK, MSEXT_MALFORMED
 * when a value did not fit the type, MSEXT_NOMEM.
 */
static enum msext_result
msext_encode(asn1_node node, uint8_t **der, size_t *der_len)
{
	uint8_t *buf;
	int len = 0, rc;

	rc = asn1_der_coding(node, "", NULL, &len, NULL);
	if (rc != ASN1_MEM_ERROR || len <= 0)
		return MSEXT_MALFORMED;
	if ((buf = malloc((size_t)len)) == NULL)
		return MSEXT_NOMEM;
	if (asn1_der_coding(node, "", buf, &len, NULL) != ASN1_SUCCESS) {
		free(buf);
		return MSEXT_MALFORMED;
	}
	*der = buf;
	*der_len = (size_t)len;
	return MSEXT_OK;
}

static enum msext_result
msext_write_long(asn1_node node, const char *name, long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", v);
	/* len 0: libtasn1 reads a decimal string */
	return asn1_write_value(node, name, num, 0) == ASN1_SUCCESS ?
	    MSEXT_OK : MSEXT_MALFORMED;
}

static enum msext_result
msext_write_utf8(asn1_node node, const char *name, const char *s)
{
	size_t len;

	if (s == NULL)
		return MSEXT_MALFORMED;
	len = strlen(s);
	if (len > INT_MAX || !utf8_valid((const uint8_t *)s, len, UTF8_NO_NUL))
		return MSEXT_MALFORMED;
	return asn1_write_value(node, name, s, (int)len) == ASN1_SUCCESS ?
	    MSEXT_OK : MSEXT_MALFORMED;
}

enum msext_result
msext_client_info_decode(const uint8_t *der, size_t der_len,
    struct msext_client_info *out)
{
	asn1_node node;
	enum msext_result r;

	memset(out, 0, sizeof(*out));
	if ((node = msext_element("Microsoft.ClientInfo")) == NULL)
		return MSEXT_NOMEM;
	if ((r = msext_decode(&node, der, der_len)) != MSEXT_OK)
		goto cleanup;
	if ((r = msext_read_long(node, "clientId", &out->client_id, NULL)) != MSEXT_OK)
		goto cleanup;
	if ((r = msext_read_utf8(node, "machineName", &out->machine)) != MSEXT_OK)
		goto cleanup;
	if ((r = msext_read_utf8(node, "userName", &out->user)) != MSEXT_OK)
		goto cleanup;
	r = msext_read_utf8(node, "processName", &out->process);
cleanup:
	asn1_delete_structure(&node);
	if (r != MSEXT_OK)
		msext_client_info_free(out);
	return r;
}

enum msext_result
msext_client_info_encode(const struct msext_client_info *ci, uint8_t **der,
    size_t *der_len)
{
	asn1_node node;
	enum msext_result r;

	*der = NULL;
	*der_len = 0;
	if ((node = msext_element("Microsoft.ClientInfo")) == NULL)
		return MSEXT_NOMEM;
	if ((r = msext_write_long(node, "clientId", ci->client_id)) != MSEXT_OK ||
	    (r = msext_write_utf8(node, "machineName", ci->machine)) != MSEXT_OK ||
	    (r = msext_write_utf8(node, "userName", ci->user)) != MSEXT_OK ||
	    (r = msext_write_utf8(node, "processName", ci->process)) != MSEXT_OK)
		goto cleanup;
	r = msext_encode(node, der, der_len);
cleanup:
	asn1_delete_structure(&node);
	return r;
}

void
msext_client_info_free(struct msext_client_info *ci)
{
	if (ci == NULL)
		return;
	free(ci->machine);
	free(ci->user);
	free(ci->process);
	ci->machine = ci->user = ci->process = NULL;
}

enum msext_result
msext_template_v2_decode(const uint8_t *der, size_t der_len, char **oid,
    long *major, long *minor)
{
	asn1_node node;
	uint8_t *buf = NULL;
	size_t len;
	bool no_major = false, no_minor = false;
	uint8_t *again = NULL;
	size_t again_len = 0;
	enum msext_result r;

	*oid = NULL;
	*major = *minor = -1;
	if ((node = msext_element("Microsoft.CertificateTemplateOID")) == NULL)
		return MSEXT_NOMEM;
	if ((r = msext_decode(&node, der, der_len)) != MSEXT_OK)
		goto cleanup;
	if ((r = msext_read(node, "templateID", &buf, &len)) != MSEXT_OK)
		goto cleanup;
	/* libtasn1 gives the dotted form, NUL included */
	if (strlen((char *)buf) == 0) {
		r = MSEXT_MALFORMED;
		goto cleanup;
	}
	/* OPTIONAL: absent is -1; a version is never negative */
	if ((r = msext_read_long(node, "templateMajorVersion", major,
	    &no_major)) != MSEXT_OK ||
	    (r = msext_read_long(node, "templateMinorVersion", minor,
	    &no_minor)) != MSEXT_OK)
		goto cleanup;
	if ((!no_major && *major < 0) || (!no_minor && *minor < 0)) {
		r = MSEXT_MALFORMED;
		goto cleanup;
	}
	/*
	 * libtasn1 turns an arc too large for a long into a negative number:
	 * accept only what encodes back to the very same bytes, so that no two
	 * encodings give one string (the CA reads the bytes).
	 */
	if ((r = msext_template_v2_encode((char *)buf, *major, *minor, &again,
	    &again_len)) != MSEXT_OK) {
		if (r != MSEXT_NOMEM)
			r = MSEXT_MALFORMED;
		goto cleanup;
	}
	if (again_len != der_len || memcmp(again, der, der_len) != 0) {
		r = MSEXT_MALFORMED;
		goto cleanup;
	}
	*oid = (char *)buf;
	buf = NULL;
cleanup:
	free(again);
	free(buf);
	asn1_delete_structure(&node);
	if (r != MSEXT_OK)
		*major = *minor = -1;
	return r;
}

enum msext_result
msext_template_v2_encode(const char *oid, long major, long minor,
    uint8_t **der, size_t *der_len)
{
	asn1_node node;
	enum msext_result r = MSEXT_MALFORMED;

	*der = NULL;
	*der_len = 0;
	if (oid == NULL || *oid == '\0' || strspn(oid, "0123456789.") != strlen(oid))
		return MSEXT_MALFORMED;
	if ((node = msext_element("Microsoft.CertificateTemplateOID")) == NULL)
		return MSEXT_NOMEM;
	if (asn1_write_value(node, "templateID", oid, 1) != ASN1_SUCCESS)
		goto cleanup;
	if (major >= 0) {
		if ((r = msext_write_long(node, "templateMajorVersion", major)) != MSEXT_OK)
			goto cleanup;
	} else if (asn1_write_value(node, "templateMajorVersion", NULL, 0) != ASN1_SUCCESS) {
		r = MSEXT_MALFORMED;
		goto cleanup;
	}
	if (minor >= 0) {
		if ((r = msext_write_long(node, "templateMinorVersion", minor)) != MSEXT_OK)
			goto cleanup;
	} else if (asn1_write_value(node, "templateMinorVersion", NULL, 0) != ASN1_SUCCESS) {
		r = MSEXT_MALFORMED;
		goto cleanup;
	}
	r = msext_encode(node, der, der_len);
cleanup:
	asn1_delete_structure(&node);
	return r;
}

/*
 * BMPString content (UTF-16BE; surrogate pairs accepted, as Windows writes
 * them) to a new UTF-8 string. NUL and unpaired surrogates are malformed.
 */
static enum msext_result
msext_bmp_to_utf8(const uint8_t *in, size_t in_len, char **out)
{
	uint8_t *buf, *p;
	size_t i;
	uint32_t cp, lo;

	*out = NULL;
	if (in_len % 2 != 0 || in_len / 2 > (SIZE_MAX - 1) / 3)
		return MSEXT_MALFORMED;
	/* each 2-byte unit gives at most 3 bytes; a pair (4 bytes) gives 4 */
	if ((buf = malloc(in_len / 2 * 3 + 1)) == NULL)
		return MSEXT_NOMEM;
	p = buf;
	for (i = 0; i < in_len; i += 2) {
		cp = (uint32_t)in[i] << 8 | in[i + 1];
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (in_len - i < 4)
				goto bad;
			lo = (uint32_t)in[i + 2] << 8 | in[i + 3];
			if (lo < 0xdc00 || lo > 0xdfff)
				goto bad;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
			goto bad;
		}
		if (cp < 0x80) {
			*p++ = (uint8_t)cp;
		} else if (cp < 0x800) {
			*p++ = (uint8_t)(0xc0 | cp >> 6);
			*p++ = (uint8_t)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*p++ = (uint8_t)(0xe0 | cp >> 12);
			*p++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			*p++ = (uint8_t)(0x80 | (cp & 0x3f));
		} else {
			*p++ = (uint8_t)(0xf0 | cp >> 18);
			*p++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			*p++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			*p++ = (uint8_t)(0x80 | (cp & 0x3f));
		}
	}
	*p = '\0';
	*out = (char *)buf;
	return MSEXT_OK;
bad:
	free(buf);
	return MSEXT_MALFORMED;
}

/* A valid UTF-8 string to UTF-16BE in a new buffer. */
static enum msext_result
msext_utf8_to_bmp(const char *s, uint8_t **out, size_t *out_len)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t len = strlen(s), i = 0, n = 0;
	uint8_t *buf;
	uint32_t cp;

	*out = NULL;
	*out_len = 0;
	if (!utf8_valid(u, len, UTF8_NO_NUL) || len > INT_MAX / 4)
		return MSEXT_MALFORMED;
	/* each byte gives at most 2 bytes of UTF-16 (4 bytes -> a pair) */
	if ((buf = malloc(len * 2 + 1)) == NULL)
		return MSEXT_NOMEM;
	while (i < len) {
		if (u[i] < 0x80) {
			cp = u[i++];
		} else if (u[i] < 0xe0) {
			cp = (uint32_t)(u[i] & 0x1f) << 6 | (u[i + 1] & 0x3f);
			i += 2;
		} else if (u[i] < 0xf0) {
			cp = (uint32_t)(u[i] & 0x0f) << 12 |
			    (uint32_t)(u[i + 1] & 0x3f) << 6 | (u[i + 2] & 0x3f);
			i += 3;
		} else {
			cp = (uint32_t)(u[i] & 0x07) << 18 |
			    (uint32_t)(u[i + 1] & 0x3f) << 12 |
			    (uint32_t)(u[i + 2] & 0x3f) << 6 | (u[i + 3] & 0x3f);
			i += 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf[n++] = (uint8_t)((0xd800 | cp >> 10) >> 8);
			buf[n++] = (uint8_t)((0xd800 | cp >> 10) & 0xff);
			buf[n++] = (uint8_t)((0xdc00 | (cp & 0x3ff)) >> 8);
			buf[n++] = (uint8_t)((0xdc00 | (cp & 0x3ff)) & 0xff);
		} else {
			buf[n++] = (uint8_t)(cp >> 8);
			buf[n++] = (uint8_t)(cp & 0xff);
		}
	}
	*out = buf;
	*out_len = n;
	return MSEXT_OK;
}

enum msext_result
msext_template_name_decode(const uint8_t *der, size_t der_len, char **name)
{
	asn1_node node = NULL;
	uint8_t *buf = NULL;
	size_t len;
	enum msext_result r;

	*name = NULL;
	if (der == NULL || der_len == 0)
		return MSEXT_MALFORMED;
	if (der[0] == 0x1e) {
		/* Windows: a bare BMPString */
		if ((node = msext_element("Microsoft.CertificateTemplateNameBMP")) == NULL)
			return MSEXT_NOMEM;
		if ((r = msext_decode(&node, der, der_len)) != MSEXT_OK)
			goto cleanup;
		if ((r = msext_read(node, "", &buf, &len)) != MSEXT_OK)
			goto cleanup;
		r = msext_bmp_to_utf8(buf, len, name);
	} else if (der[0] == 0x30) {
		/* MS-WCCE 2.2.2.7.7.1: SEQUENCE { UTF8String } */
		if ((node = msext_element("Microsoft.CertificateTemplateNameSeq")) == NULL)
			return MSEXT_NOMEM;
		if ((r = msext_decode(&node, der, der_len)) != MSEXT_OK)
			goto cleanup;
		r = msext_read_utf8(node, "name", name);
	} else {
		return MSEXT_MALFORMED;
	}
cleanup:
	free(buf);
	asn1_delete_structure(&node);
	return r;
}

enum msext_result
msext_template_name_encode(const char *name, uint8_t **der, size_t *der_len)
{
	asn1_node node;
	uint8_t *bmp = NULL;
	size_t bmp_len;
	enum msext_result r;

	*der = NULL;
	*der_len = 0;
	if (name == NULL || *name == '\0')
		return MSEXT_MALFORMED;
	if ((r = msext_utf8_to_bmp(name, &bmp, &bmp_len)) != MSEXT_OK)
		return r;
	if ((node = msext_element("Microsoft.CertificateTemplateNameBMP")) == NULL) {
		free(bmp);
		return MSEXT_NOMEM;
	}
	if (asn1_write_value(node, "", bmp, (int)bmp_len) != ASN1_SUCCESS)
		r = MSEXT_MALFORMED;
	else
		r = msext_encode(node, der, der_len);
	free(bmp);
	asn1_delete_structure(&node);
	return r;
}

void
msext_extensions_free(struct msext_extensions *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i].value);
	free(e->v);
	e->v = NULL;
	e->n = 0;
	e->more = false;
}

/*
 * RFC 2985 5.4.2, RFC 5280 4.1. One libtasn1 decode for the whole attribute:
 * GnuTLS's gnutls_x509_crq_get_extension_info() decodes it again for every
 * index, which made reading n extensions cost n decodes.
 */
enum msext_result
msext_extensions_decode(const uint8_t *der, size_t der_len, size_t max,
    struct msext_extensions *out)
{
	asn1_node node;
	struct msext_extension *x;
	char name[48];
	int count = 0;
	size_t i;
	int len;
	enum msext_result r;

	memset(out, 0, sizeof(*out));
	if ((node = msext_element("Microsoft.ExtensionRequest")) == NULL)
		return MSEXT_NOMEM;
	if ((r = msext_decode(&node, der, der_len)) != MSEXT_OK)
		goto cleanup;
	r = MSEXT_MALFORMED;
	if (asn1_number_of_elements(node, "", &count) != ASN1_SUCCESS ||
	    count < 0)
		goto cleanup;
	if ((size_t)count > max) {
		out->more = true;
		count = (int)max;
	}
	if (count > 0 && (out->v = calloc((size_t)count, sizeof(*out->v))) == NULL) {
		r = MSEXT_NOMEM;
		goto cleanup;
	}
	for (i = 0; i < (size_t)count; i++) {
		x = &out->v[out->n];
		snprintf(name, sizeof(name), "?%zu.extnID", i + 1);
		len = (int)sizeof(x->oid);
		if (asn1_read_value(node, name, x->oid, &len) != ASN1_SUCCESS ||
		    len <= 0 || len >= (int)sizeof(x->oid) ||
		    strlen(x->oid) + 1 != (size_t)len)
			goto cleanup;
		snprintf(name, sizeof(name), "?%zu.extnValue", i + 1);
		if ((r = msext_read(node, name, &x->value, &x->value_len)) !=
		    MSEXT_OK)
			goto cleanup;
		out->n++;
		r = MSEXT_MALFORMED;
	}
	r = MSEXT_OK;
cleanup:
	asn1_delete_structure(&node);
	if (r != MSEXT_OK)
		msext_extensions_free(out);
	return r;
}
