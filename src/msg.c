/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The SignCert messages (MS-OTPCE 2.2.2, 2.2.3, 6) with libxml2, the only
 * module that uses it.
 *
 * The parser is hardened against hostile documents: no network
 * (XML_PARSE_NONET), no entity substitution, and a document with a DTD is
 * stopped as soon as its DOCTYPE is seen, before any entity declaration is
 * read (XXE, billion laughs); libxml2's default depth and size limits stay on
 * (no XML_PARSE_HUGE), and the body is already bounded by max_request_bytes.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "b64.h"
#include "log.h"
#include "msg.h"
#include "secret.h"
#include "utf8.h"

#define MSG_NS		"http://schemas.microsoft.com/otpcep/1.0/protocol"
#define MSG_XSI_NS	"http://www.w3.org/2001/XMLSchema-instance"

/* libxml2 takes const xmlChar *; BAD_CAST would drop the const. */
static const xmlChar *
msg_x(const char *s)
{
	return (const xmlChar *)s;
}

#define MSG_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
	XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS)

/* libxml2's free(): the block is wiped first (see msg_init). */
static void
msg_xml_free(void *p)
{
	if (p == NULL)
		return;
	secret_wipe(p, malloc_usable_size(p));
	free(p);
}

/* libxml2's realloc(): a copy, so that the old block is wiped, not left. */
static void *
msg_xml_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	if ((q = malloc(n)) == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	msg_xml_free(p);
	return q;
}

static char *
msg_xml_strdup(const char *s)
{
	return strdup(s);
}

void
msg_init(void)
{
	/*
	 * Issue 11: libxml2 copies the request body into its input buffer and
	 * the one-time password into the attribute's text node, and frees both
	 * without clearing them. Every block libxml2 frees or outgrows is
	 * wiped first (glibc's malloc_usable_size gives its size).
	 */
	xmlMemSetup(msg_xml_free, malloc, msg_xml_realloc, msg_xml_strdup);
	/* Once, before the workers start: libxml2's global state. */
	xmlInitParser();
}

void
msg_deinit(void)
{
	xmlCleanupParser();
}

/* SAX internalSubset: a DOCTYPE. Stops the parse before the DTD is read. */
static void
msg_refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name, (void)external_id, (void)system_id;
	ctxt->_private = (void *)"a DTD";
	xmlStopParser(ctxt);
}

/* SAX entityDecl and friends should never run; refuse them too. */
static void
msg_refuse_entity(void *ctx, const xmlChar *name, int type,
    const xmlChar *public_id, const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name, (void)type, (void)public_id, (void)system_id, (void)content;
	ctxt->_private = (void *)"an entity declaration";
	xmlStopParser(ctxt);
}

/*
 * "The message MUST be a Unicode XML 1.0 document" (2.2.2): UTF-8, or UTF-16
 * with its byte order mark. A declared encoding must say the same.
 */
static bool
msg_encoding_ok(const xmlDoc *doc)
{
	const char *enc = (const char *)doc->encoding;

	return enc == NULL || strcasecmp(enc, "UTF-8") == 0 ||
	    strcasecmp(enc, "UTF-16") == 0 || strcasecmp(enc, "UTF-16LE") == 0 ||
	    strcasecmp(enc, "UTF-16BE") == 0;
}

/*
 * Parses body into a document. Returns NULL, with the reason in a, when it is
 * not a well-formed XML document we accept.
 */
static xmlDocPtr
msg_read(const void *body, size_t body_len, struct audit *a)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;

	if (body_len > (size_t)INT32_MAX) {
		audit_reason(a, "body too large for the parser");
		return NULL;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		audit_reason(a, "out of memory for the XML parser");
		return NULL;
	}
	ctxt->sax->internalSubset = msg_refuse_dtd;
	ctxt->sax->externalSubset = msg_refuse_dtd;
	ctxt->sax->entityDecl = msg_refuse_entity;
	doc = xmlCtxtReadMemory(ctxt, body, (int)body_len, NULL, NULL,
	    MSG_PARSE_OPTIONS);
	if (ctxt->_private != NULL) {
		audit_reason(a, "XML with %s refused", (const char *)ctxt->_private);
		goto fail;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);

		audit_reason(a, "not well-formed XML (line %d: libxml2 error %d)",
		    e ? e->line : 0, e ? e->code : 0);
		goto fail;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		audit_reason(a, "XML with a DTD refused");
		goto fail;
	}
	if (!msg_encoding_ok(doc)) {
		audit_reason(a, "XML encoding is not UTF-8 or UTF-16 (MS-OTPCE 2.2.2)");
		goto fail;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

/* Any child but white space, comments and processing instructions. */
static bool
msg_has_content(const xmlNode *root)
{
	const xmlNode *n;

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			continue;
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n))
			continue;
		return true;
	}
	return false;
}

/* Copies an xmlChar string into malloc'd memory and frees the original. */
static char *
msg_take(xmlChar *s, size_t *len)
{
	char *out;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen((const char *)s);
	if ((out = malloc(n + 1)) != NULL) {
		memcpy(out, s, n + 1);
		if (len != NULL)
			*len = n;
	}
	secret_wipe(s, n);
	xmlFree(s);
	return out;
}

/*
 * Reads the three attributes of 2.2.2, in any order. Unqualified attributes
 * the schema does not declare are invalid; xsi: attributes are allowed, as
 * any schema-aware reader allows them. Namespace declarations (as the
 * examples carry) are not attributes here.
 */
static enum msg_result
msg_read_attrs(const xmlNode *root, struct sign_cert_request *out,
    char **cert_b64, size_t *cert_b64_len, struct audit *a)
{
	const xmlAttr *p;
	char **slot;
	size_t *slot_len;

	for (p = root->properties; p != NULL; p = p->next) {
		const char *name = (const char *)p->name;

		if (p->ns != NULL) {
			if (xmlStrEqual(p->ns->href, msg_x(MSG_XSI_NS)))
				continue;
			audit_reason(a, "attribute from another namespace");
			return MSG_INVALID;
		}
		slot_len = NULL;
		if (strcmp(name, "username") == 0) {
			slot = &out->username;
		} else if (strcmp(name, "oneTimePassword") == 0) {
			slot = &out->one_time_password;
			slot_len = &out->one_time_password_len;
		} else if (strcmp(name, "certRequest") == 0) {
			slot = cert_b64;
			slot_len = cert_b64_len;
		} else {
			audit_reason(a, "unknown attribute in signCertRequest");
			return MSG_INVALID;
		}
		if ((*slot = msg_take(xmlNodeListGetString(p->doc, p->children,
		    1), slot_len)) == NULL) {
			audit_reason(a, "out of memory reading an attribute");
			return MSG_NOMEM;
		}
	}
	if (out->username == NULL || out->one_time_password == NULL ||
	    *cert_b64 == NULL) {
		audit_reason(a, "signCertRequest lacks a required attribute (MS-OTPCE 2.2.2)");
		return MSG_INVALID;
	}
	if (out->username[0] == '\0') {
		audit_reason(a, "empty username");
		return MSG_INVALID;
	}
	/* 2.2.2: "The one-time credentials MUST contain ... (OTP) part." */
	if (out->one_time_password_len == 0) {
		audit_reason(a, "empty oneTimePassword");
		return MSG_INVALID;
	}
	return MSG_OK;
}

static enum msg_result
msg_read_request(const xmlDoc *doc, struct sign_cert_request *out,
    struct audit *a)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	char *cert_b64 = NULL;
	size_t cert_b64_len = 0;
	enum msg_result ret;

	/* 2.2.2: the default namespace, and a signCertRequest element. */
	if (root == NULL || root->ns == NULL ||
	    !xmlStrEqual(root->ns->href, msg_x(MSG_NS)) ||
	    !xmlStrEqual(root->name, msg_x("signCertRequest"))) {
		audit_reason(a, "not a signCertRequest in the MS-OTPCE namespace");
		return MSG_NOT_SIGNCERT;
	}
	if (msg_has_content(root)) {
		audit_reason(a, "signCertRequest has content (the schema allows none)");
		return MSG_INVALID;
	}
	ret = msg_read_attrs(root, out, &cert_b64, &cert_b64_len, a);
	if (ret != MSG_OK)
		goto done;
	switch (b64_decode(cert_b64, cert_b64_len, &out->cert_request,
	    &out->cert_request_len)) {
	case B64_OK:
		break;
	case B64_INVALID:
		audit_reason(a, "certRequest is not base64");
		ret = MSG_INVALID;
		break;
	default:
		audit_reason(a, "out of memory decoding certRequest");
		ret = MSG_NOMEM;
		break;
	}
done:
	free(cert_b64);
	return ret;
}

enum msg_result
msg_parse_request(const void *body, size_t body_len,
    struct sign_cert_request *out, struct audit *a)
{
	xmlDocPtr doc;
	enum msg_result ret;

	memset(out, 0, sizeof(*out));
	if ((doc = msg_read(body, body_len, a)) == NULL)
		return MSG_NOT_SIGNCERT;
	ret = msg_read_request(doc, out, a);
	/* The tree holds the one-time password too. */
	xmlFreeDoc(doc);
	if (ret != MSG_OK)
		msg_request_free(out);
	return ret;
}

void
msg_request_free(struct sign_cert_request *req)
{
	if (req->one_time_password != NULL) {
		secret_wipe(req->one_time_password, req->one_time_password_len);
		free(req->one_time_password);
	}
	free(req->username);
	free(req->cert_request);
	memset(req, 0, sizeof(*req));
}

/* 2.2.3: statusCode, then on Success SignedCertRequest and the IssuingCA list. */
static int
msg_write_body(xmlTextWriterPtr w, const struct sign_cert_response *resp)
{
	const bool success = resp->status == OTPCEP_SUCCESS;
	char *b64 = NULL;
	size_t i;
	int ret = -1;

	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, msg_x("signCertResponse")) < 0 ||
	    /* The default namespace first, as the examples of section 4 have it. */
	    xmlTextWriterWriteAttribute(w, msg_x("xmlns"), msg_x(MSG_NS)) < 0 ||
	    xmlTextWriterWriteAttribute(w, msg_x("statusCode"),
	    msg_x(otpcep_status_name(resp->status))) < 0)
		goto cleanup;
	if (success) {
		/* One line: xs:base64Binary needs no line breaks. */
		if ((b64 = b64_encode(resp->signed_cert_request,
		    resp->signed_cert_request_len)) == NULL)
			goto cleanup;
		if (xmlTextWriterWriteAttribute(w, msg_x("SignedCertRequest"),
		    msg_x(b64)) < 0)
			goto cleanup;
		for (i = 0; i < resp->issuing_ca_count; i++)
			if (xmlTextWriterWriteElement(w, msg_x("IssuingCA"),
			    msg_x(resp->issuing_ca[i])) < 0)
				goto cleanup;
	}
	if (xmlTextWriterEndDocument(w) < 0)
		goto cleanup;
	ret = 0;
cleanup:
	free(b64);
	return ret;
}

int
msg_write_response(const struct sign_cert_response *resp, char **xml,
    size_t *xml_len)
{
	xmlBufferPtr buf = NULL;
	xmlTextWriterPtr w = NULL;
	int ret = -1;

	*xml = NULL;
	*xml_len = 0;
	if ((buf = xmlBufferCreate()) == NULL ||
	    (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto cleanup;
	if (msg_write_body(w, resp) != 0)
		goto cleanup;
	xmlFreeTextWriter(w);	/* flushes into buf */
	w = NULL;
	if ((*xml = malloc((size_t)xmlBufferLength(buf) + 1)) == NULL)
		goto cleanup;
	memcpy(*xml, xmlBufferContent(buf), (size_t)xmlBufferLength(buf) + 1);
	*xml_len = (size_t)xmlBufferLength(buf);
	ret = 0;
cleanup:
	if (w != NULL)
		xmlFreeTextWriter(w);
	if (buf != NULL)
		xmlBufferFree(buf);
	return ret;
}

/* The status of a statusCode value; -1 when it is none of section 6's four. */
static int
msg_status_of(const char *v, enum otpcep_status *st)
{
	static const enum otpcep_status all[] = { OTPCEP_SUCCESS,
	    OTPCEP_AUTHENTICATION_ERROR, OTPCEP_CHALLENGE_RESPONSE_REQUIRED,
	    OTPCEP_OTHER_ERROR };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(v, otpcep_status_name(all[i])) == 0) {
			*st = all[i];
			return 0;
		}
	}
	return -1;
}

/* The IssuingCA children; anything else but blanks and comments is invalid. */
static enum msg_result
msg_read_issuing_ca(const xmlNode *root, struct sign_cert_reply *out,
    struct audit *a)
{
	const xmlNode *n;
	char **list;

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE ||
		    (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)))
			continue;
		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, msg_x(MSG_NS)) ||
		    !xmlStrEqual(n->name, msg_x("IssuingCA")) ||
		    (n->children != NULL && (n->children->next != NULL ||
		    n->children->type != XML_TEXT_NODE))) {
			audit_reason(a, "signCertResponse holds more than IssuingCA text elements");
			return MSG_INVALID;
		}
		if (out->issuing_ca_count >= MSG_REPLY_MAX_CA) {
			audit_reason(a, "more than %d IssuingCA elements", MSG_REPLY_MAX_CA);
			return MSG_INVALID;
		}
		list = realloc(out->issuing_ca, (out->issuing_ca_count + 1) *
		    sizeof(*list));
		if (list == NULL)
			return MSG_NOMEM;
		out->issuing_ca = list;
		if ((list[out->issuing_ca_count] = msg_take(xmlNodeGetContent(n),
		    NULL)) == NULL)
			return MSG_NOMEM;
		out->issuing_ca_count++;
	}
	return MSG_OK;
}

static enum msg_result
msg_read_reply(const xmlDoc *doc, struct sign_cert_reply *out, struct audit *a)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	char *status = NULL, *scr = NULL;
	enum msg_result ret = MSG_INVALID;

	if (root == NULL || root->ns == NULL ||
	    !xmlStrEqual(root->ns->href, msg_x(MSG_NS)) ||
	    !xmlStrEqual(root->name, msg_x("signCertResponse"))) {
		audit_reason(a, "not a signCertResponse in the MS-OTPCE namespace");
		return MSG_NOT_SIGNCERT;
	}
	status = msg_take(xmlGetNoNsProp(root, msg_x("statusCode")), NULL);
	scr = msg_take(xmlGetNoNsProp(root, msg_x("SignedCertRequest")), NULL);
	if (status == NULL || msg_status_of(status, &out->status) != 0) {
		audit_reason(a, "statusCode missing or not one of section 6's four");
		goto cleanup;
	}
	if (out->status == OTPCEP_SUCCESS) {
		if (scr == NULL || b64_decode(scr, strlen(scr),
		    &out->signed_cert_request, &out->signed_cert_request_len) !=
		    B64_OK) {
			audit_reason(a, "Success without a base64 SignedCertRequest");
			goto cleanup;
		}
	} else if (scr != NULL && scr[0] != '\0') {
		/* 2.2.3: "Otherwise, this field MUST be empty." */
		audit_reason(a, "a SignedCertRequest with a status other than Success");
		goto cleanup;
	}
	ret = msg_read_issuing_ca(root, out, a);
	if (ret == MSG_OK && out->status != OTPCEP_SUCCESS &&
	    out->issuing_ca_count > 0) {
		audit_reason(a, "IssuingCA with a status other than Success");
		ret = MSG_INVALID;
	}
cleanup:
	free(status);
	free(scr);
	return ret;
}

enum msg_result
msg_parse_response(const void *body, size_t body_len,
    struct sign_cert_reply *out, struct audit *a)
{
	xmlDocPtr doc;
	enum msg_result ret;

	memset(out, 0, sizeof(*out));
	if ((doc = msg_read(body, body_len, a)) == NULL)
		return MSG_NOT_SIGNCERT;
	ret = msg_read_reply(doc, out, a);
	xmlFreeDoc(doc);
	if (ret != MSG_OK)
		msg_reply_free(out);
	return ret;
}

void
msg_reply_free(struct sign_cert_reply *r)
{
	size_t i;

	for (i = 0; i < r->issuing_ca_count; i++)
		free(r->issuing_ca[i]);
	free(r->issuing_ca);
	free(r->signed_cert_request);
	memset(r, 0, sizeof(*r));
}

/* UTF-8 without the C0 controls XML 1.0 (section 2.2, Char) cannot carry. */
static bool
msg_xml_text(const char *s, size_t len)
{
	size_t i;

	if (!utf8_valid((const uint8_t *)s, len, UTF8_NO_NUL))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return false;
	return true;
}

/* Frees an xmlBuffer after wiping what it holds (a one-time password). */
static void
msg_buffer_free_wiped(xmlBufferPtr buf)
{
	xmlChar *left = xmlBufferDetach(buf);

	if (left != NULL) {
		secret_wipe(left, strlen((const char *)left));
		xmlFree(left);
	}
	xmlBufferFree(buf);
}

int
msg_write_request(const struct sign_cert_request *req, char **xml,
    size_t *xml_len)
{
	xmlBufferPtr buf = NULL;
	xmlTextWriterPtr w = NULL;
	char *b64 = NULL;
	xmlChar *doc = NULL;
	size_t len;
	int ret = -1;

	*xml = NULL;
	*xml_len = 0;
	if (!msg_xml_text(req->username, strlen(req->username)) ||
	    !msg_xml_text(req->one_time_password, req->one_time_password_len))
		return -2;
	if ((b64 = b64_encode(req->cert_request, req->cert_request_len)) == NULL ||
	    (buf = xmlBufferCreate()) == NULL ||
	    (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto cleanup;
	/* The writer escapes &, <, ", and TAB/LF/CR as character references. */
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, msg_x("signCertRequest")) < 0 ||
	    xmlTextWriterWriteAttribute(w, msg_x("xmlns"), msg_x(MSG_NS)) < 0 ||
	    xmlTextWriterWriteAttribute(w, msg_x("username"),
	    msg_x(req->username)) < 0 ||
	    xmlTextWriterWriteAttribute(w, msg_x("oneTimePassword"),
	    msg_x(req->one_time_password)) < 0 ||
	    xmlTextWriterWriteAttribute(w, msg_x("certRequest"), msg_x(b64)) < 0 ||
	    xmlTextWriterEndDocument(w) < 0)
		goto cleanup;
	xmlFreeTextWriter(w);	/* flushes into buf */
	w = NULL;
	len = (size_t)xmlBufferLength(buf);
	doc = xmlBufferDetach(buf);
	if (doc == NULL || (*xml = malloc(len + 1)) == NULL)
		goto cleanup;
	memcpy(*xml, doc, len + 1);
	*xml_len = len;
	ret = 0;
cleanup:
	if (w != NULL)
		xmlFreeTextWriter(w);
	if (buf != NULL)
		msg_buffer_free_wiped(buf);
	if (doc != NULL) {
		secret_wipe(doc, len);
		xmlFree(doc);
	}
	free(b64);
	return ret;
}
