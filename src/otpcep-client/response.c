/*
 * The SignCert Response (MS-OTPCE 2.2.3, schema in section 6), read strictly:
 * no DTD, no entities, no network; root signCertResponse in the protocol
 * namespace; statusCode one of the four values; SignedCertRequest base64
 * (only with Success, and then required); IssuingCA elements of text only.
 * Unqualified attributes the schema does not declare are ignored, because a
 * Windows server sends certificate="" (example 4.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "b64.h"
#include "client.h"

#define RESPONSE_NS "http://schemas.microsoft.com/otpcep/1.0/protocol"
#define RESPONSE_MAX_CA 64

static const xmlChar *
response_x(const char *s)
{
	return (const xmlChar *)s;
}

static void
response_refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name, (void)external_id, (void)system_id;
	ctxt->_private = (void *)"a DTD";
	xmlStopParser(ctxt);
}

static void
response_refuse_entity(void *ctx, const xmlChar *name, int type,
    const xmlChar *public_id, const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name, (void)type, (void)public_id, (void)system_id, (void)content;
	ctxt->_private = (void *)"an entity declaration";
	xmlStopParser(ctxt);
}

const char *
response_status_name(enum response_status s)
{
	switch (s) {
	case RESPONSE_SUCCESS: return "Success";
	case RESPONSE_AUTHENTICATION_ERROR: return "AuthenticationError";
	case RESPONSE_CHALLENGE: return "ChallengeResponseRequired";
	case RESPONSE_OTHER_ERROR: return "OtherError";
	}
	return "?";
}

static int
response_bad(const char *why)
{
	fprintf(stderr, "otpcep-client: the server's answer is not a valid "
	    "signCertResponse (MS-OTPCE 2.2.3): %s\n", why);
	return -1;
}

static int
response_status(const char *v, enum response_status *s)
{
	static const enum response_status all[] = { RESPONSE_SUCCESS,
	    RESPONSE_AUTHENTICATION_ERROR, RESPONSE_CHALLENGE, RESPONSE_OTHER_ERROR };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(v, response_status_name(all[i])) == 0) {
			*s = all[i];
			return 0;
		}
	}
	return -1;
}

/* Reads the IssuingCA children; anything else but blanks and comments is bad. */
static int
response_children(const xmlNode *root, struct response *out)
{
	const xmlNode *n;
	char **list;
	xmlChar *text;

	for (n = root->children; n != NULL; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE ||
		    (n->type == XML_TEXT_NODE && xmlIsBlankNode(n)))
			continue;
		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, response_x(RESPONSE_NS)) ||
		    !xmlStrEqual(n->name, response_x("IssuingCA")))
			return response_bad("unexpected content (only IssuingCA "
			    "elements are allowed)");
		if (n->children != NULL && (n->children->next != NULL ||
		    n->children->type != XML_TEXT_NODE))
			return response_bad("IssuingCA holds more than text");
		if (out->issuing_ca_count >= RESPONSE_MAX_CA)
			return response_bad("too many IssuingCA elements");
		if ((text = xmlNodeGetContent(n)) == NULL)
			return response_bad("out of memory");
		list = realloc(out->issuing_ca,
		    (out->issuing_ca_count + 1) * sizeof(*list));
		if (list == NULL || (list[out->issuing_ca_count] =
		    strdup((const char *)text)) == NULL) {
			if (list != NULL)
				out->issuing_ca = list;
			xmlFree(text);
			return response_bad("out of memory");
		}
		out->issuing_ca = list;
		out->issuing_ca_count++;
		xmlFree(text);
	}
	return 0;
}

static int
response_read(const xmlDoc *doc, struct response *out)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	xmlChar *status = NULL, *scr = NULL;
	int ret = -1;

	if (root == NULL || root->ns == NULL ||
	    !xmlStrEqual(root->ns->href, response_x(RESPONSE_NS)) ||
	    !xmlStrEqual(root->name, response_x("signCertResponse")))
		return response_bad("the root is not signCertResponse in the "
		    "MS-OTPCE namespace");
	if ((status = xmlGetNoNsProp(root, response_x("statusCode"))) == NULL) {
		response_bad("no statusCode");
		goto cleanup;
	}
	if (response_status((const char *)status, &out->status) != 0) {
		response_bad("statusCode is not one of Success, AuthenticationError, "
		    "ChallengeResponseRequired, OtherError");
		goto cleanup;
	}
	scr = xmlGetNoNsProp(root, response_x("SignedCertRequest"));
	if (out->status == RESPONSE_SUCCESS) {
		if (scr == NULL || scr[0] == '\0') {
			response_bad("Success without a SignedCertRequest");
			goto cleanup;
		}
		if (b64_decode((const char *)scr, strlen((const char *)scr),
		    &out->signed_cert_request, &out->signed_cert_request_len) != B64_OK ||
		    out->signed_cert_request_len == 0) {
			response_bad("SignedCertRequest is not base64");
			goto cleanup;
		}
	} else if (scr != NULL && scr[0] != '\0') {
		/* 2.2.3: "Otherwise, this field MUST be empty." */
		response_bad("a SignedCertRequest with a status other than Success");
		goto cleanup;
	}
	if (response_children(root, out) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	xmlFree(status);
	xmlFree(scr);
	return ret;
}

int
response_parse(const uint8_t *body, size_t body_len, struct response *out)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (body_len == 0)
		return response_bad("the body is empty");
	if (body_len > 1024 * 1024)
		return response_bad("the body is too large");
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		return response_bad("out of memory");
	ctxt->sax->internalSubset = response_refuse_dtd;
	ctxt->sax->externalSubset = response_refuse_dtd;
	ctxt->sax->entityDecl = response_refuse_entity;
	doc = xmlCtxtReadMemory(ctxt, (const char *)body, (int)body_len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (ctxt->_private != NULL) {
		fprintf(stderr, "otpcep-client: the server's answer holds %s; refused\n",
		    (const char *)ctxt->_private);
		goto cleanup;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		response_bad("not well-formed XML");
		goto cleanup;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		response_bad("it has a DTD");
		goto cleanup;
	}
	if (doc->encoding != NULL && strcasecmp((const char *)doc->encoding, "UTF-8") != 0 &&
	    strncasecmp((const char *)doc->encoding, "UTF-16", 6) != 0) {
		response_bad("its encoding is not UTF-8 or UTF-16");
		goto cleanup;
	}
	ret = response_read(doc, out);
cleanup:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (ret != 0)
		response_free(out);
	return ret;
}

void
response_free(struct response *r)
{
	size_t i;

	for (i = 0; i < r->issuing_ca_count; i++)
		free(r->issuing_ca[i]);
	free(r->issuing_ca);
	free(r->signed_cert_request);
	memset(r, 0, sizeof(*r));
}
