/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * The SignCert messages: every spec example, hostile and malformed documents,
 * and the schema validity (section 6, schema/otpcep.xsd) of every response.
 * The schema check uses libxml2 directly: the test is not a module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "msg.h"
#include "testutil.h"

#define NS "http://schemas.microsoft.com/otpcep/1.0/protocol"
#define SPEC "tests/data/spec/"

static xmlSchemaPtr schema;

static int
setup(void **state)
{
	xmlSchemaParserCtxtPtr pc;

	(void)state;
	msg_init();
	pc = xmlSchemaNewParserCtxt("schema/otpcep.xsd");
	schema = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	return schema == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	xmlSchemaFree(schema);
	msg_deinit();
	return 0;
}

/* Whether the document in xml is valid against the section 6 schema. */
static int
schema_valid(const char *xml, size_t len)
{
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr doc;
	int rc = -1;

	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return 0;
	if ((vc = xmlSchemaNewValidCtxt(schema)) != NULL) {
		rc = xmlSchemaValidateDoc(vc, doc);
		xmlSchemaFreeValidCtxt(vc);
	}
	xmlFreeDoc(doc);
	return rc == 0;
}

static enum msg_result
parse(const char *xml, struct sign_cert_request *req, struct audit *a)
{
	memset(a, 0, sizeof(*a));
	return msg_parse_request(xml, strlen(xml), req, a);
}

static enum msg_result
parse_only(const char *xml)
{
	struct sign_cert_request req;
	struct audit a;
	enum msg_result r = parse(xml, &req, &a);

	if (r != MSG_OK)
		assert_true(a.reason[0] != '\0');	/* every refusal says why */
	msg_request_free(&req);
	return r;
}

#define GOOD_ATTRS "username=\"D\\u\" oneTimePassword=\"123456\" certRequest=\"Zm9vYmFy\""

static void
test_example_4_1(void **state)
{
	struct sign_cert_request req;
	struct audit a;
	char *xml, *der;
	size_t xml_len = 0, der_len = 0;

	(void)state;
	xml = tu_read_file(SPEC "4.1-accepted-request.xml", &xml_len);
	der = tu_read_file(SPEC "4.1-certRequest.der", &der_len);
	assert_non_null(xml);
	assert_non_null(der);
	memset(&a, 0, sizeof(a));
	assert_int_equal(msg_parse_request(xml, xml_len, &req, &a), MSG_OK);
	assert_string_equal(req.username, "DOMAIN1\\user1");
	assert_string_equal(req.one_time_password, "Pa$$word1");
	assert_int_equal(req.one_time_password_len, 9);
	/* base64 over several lines decodes to the PKCS#10, byte for byte. */
	assert_int_equal(req.cert_request_len, der_len);
	assert_memory_equal(req.cert_request, der, der_len);
	msg_request_free(&req);
	assert_null(req.one_time_password);
	free(xml);
	free(der);
}

/* 4.2's published certRequest is cut short but is still a request. */
static void
test_example_4_2(void **state)
{
	char *xml;
	size_t len = 0;
	struct sign_cert_request req;
	struct audit a = { 0 };
	enum msg_result r;

	(void)state;
	xml = tu_read_file(SPEC "4.2-invalid-credentials-request.xml", &len);
	assert_non_null(xml);
	r = msg_parse_request(xml, len, &req, &a);
	assert_true(r == MSG_OK || r == MSG_INVALID);
	msg_request_free(&req);
	free(xml);
}

/* 4.4: certRequest="asdf", extra namespace declarations, any attribute order. */
static void
test_example_4_4(void **state)
{
	struct sign_cert_request req;
	struct audit a;
	char *xml;
	size_t len = 0;

	(void)state;
	xml = tu_read_file(SPEC "4.4-invalid-request.xml", &len);
	assert_non_null(xml);
	memset(&a, 0, sizeof(a));
	assert_int_equal(msg_parse_request(xml, len, &req, &a), MSG_OK);
	assert_string_equal(req.username, "domain1\\user1");
	assert_int_equal(req.cert_request_len, 3);	/* "asdf" is base64 */
	msg_request_free(&req);
	free(xml);
}

static void
test_spec_responses_against_schema(void **state)
{
	static const char *const files[] = {
		SPEC "4.1-accepted-response.xml",
		SPEC "4.2-invalid-credentials-response.xml",
		SPEC "4.3-challenged-response.xml",
	};
	size_t i, len = 0;
	char *xml;

	(void)state;
	for (i = 0; i < 3; i++) {
		xml = tu_read_file(files[i], &len);
		assert_non_null(xml);
		assert_true(schema_valid(xml, len));
		free(xml);
	}
	/* The README notes 4.4's undeclared attribute: the check can fail. */
	xml = tu_read_file(SPEC "4.4-invalid-response.xml", &len);
	assert_false(schema_valid(xml, len));
	free(xml);
}

static void
test_attribute_order_and_namespaces(void **state)
{
	(void)state;
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "certRequest=\"Zm9v\" oneTimePassword=\"1\" username=\"D\\u\"/>"), MSG_OK);
	assert_int_equal(parse_only("<?xml version=\"1.0\"?>\n<signCertRequest "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"" NS "\" "
	    GOOD_ATTRS " xsi:type=\"SignCertRequest\"></signCertRequest>\n\r\n "), MSG_OK);
	/* The same element with a prefix is the same element. */
	assert_int_equal(parse_only("<o:signCertRequest xmlns:o=\"" NS "\" "
	    GOOD_ATTRS "/>"), MSG_OK);
}

static void
test_not_signcert(void **state)
{
	(void)state;
	assert_int_equal(parse_only(""), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("hello"), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("{\"username\":\"x\"}"), MSG_NOT_SIGNCERT);
	/* No namespace, another namespace, another element. */
	assert_int_equal(parse_only("<signCertRequest " GOOD_ATTRS "/>"),
	    MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"urn:other\" "
	    GOOD_ATTRS "/>"), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("<signCertResponse xmlns=\"" NS "\" "
	    "statusCode=\"Success\"/>"), MSG_NOT_SIGNCERT);
	/* 2.2.2: nothing before or after the document but trailing white space. */
	assert_int_equal(parse_only("x<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS "/>"), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS "/>x"), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS "/><signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS "/>"),
	    MSG_NOT_SIGNCERT);
	/* Not well-formed: unclosed, duplicate attribute. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS ">"), MSG_NOT_SIGNCERT);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS " username=\"x\"/>"), MSG_NOT_SIGNCERT);
}

static void
test_invalid_requests(void **state)
{
	(void)state;
	/* Missing each required attribute in turn. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "oneTimePassword=\"1\" certRequest=\"Zm9v\"/>"), MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"D\\u\" certRequest=\"Zm9v\"/>"), MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"D\\u\" oneTimePassword=\"1\"/>"), MSG_INVALID);
	/* An attribute the schema does not declare, or from another namespace. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS " extra=\"1\"/>"), MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "xmlns:z=\"urn:z\" " GOOD_ATTRS " z:x=\"1\"/>"), MSG_INVALID);
	/* Content: an extra element, text. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS "><IssuingCA>x</IssuingCA></signCertRequest>"), MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS ">text</signCertRequest>"), MSG_INVALID);
	/* Values: bad base64, empty user name, empty one-time password. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"D\\u\" oneTimePassword=\"1\" certRequest=\"Zm9v!\"/>"),
	    MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"D\\u\" oneTimePassword=\"1\" certRequest=\"\"/>"),
	    MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"\" oneTimePassword=\"1\" certRequest=\"Zm9v\"/>"),
	    MSG_INVALID);
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"D\\u\" oneTimePassword=\"\" certRequest=\"Zm9v\"/>"),
	    MSG_INVALID);
}

/* Base64 with spaces and &#xA; character references, as clients send it. */
static void
test_base64_line_breaks(void **state)
{
	struct sign_cert_request req;
	struct audit a;

	(void)state;
	assert_int_equal(parse("<signCertRequest xmlns=\"" NS "\" username=\"D\\u\" "
	    "oneTimePassword=\"1\" certRequest=\"Zm9v&#xA;YmFy&#xD;&#xA; \"/>",
	    &req, &a), MSG_OK);
	assert_int_equal(req.cert_request_len, 6);
	assert_memory_equal(req.cert_request, "foobar", 6);
	msg_request_free(&req);
}

/* Character and predefined entity references in values are plain XML. */
static void
test_references_in_values(void **state)
{
	struct sign_cert_request req;
	struct audit a;

	(void)state;
	assert_int_equal(parse("<signCertRequest xmlns=\"" NS "\" username=\"D&#x5C;u&amp;\" "
	    "oneTimePassword=\"&lt;1&quot;\" certRequest=\"Zm9v\"/>", &req, &a), MSG_OK);
	assert_string_equal(req.username, "D\\u&");
	assert_string_equal(req.one_time_password, "<1\"");
	msg_request_free(&req);
}

static void
test_xxe_refused(void **state)
{
	struct sign_cert_request req;
	struct audit a;

	(void)state;
	assert_int_equal(parse("<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE signCertRequest [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	    "<signCertRequest xmlns=\"" NS "\" username=\"&x;\" oneTimePassword=\"1\" "
	    "certRequest=\"Zm9v\"/>", &req, &a), MSG_NOT_SIGNCERT);
	assert_non_null(strstr(a.reason, "DTD"));
	assert_null(req.username);
	/* An external DTD, even without entities, is refused as well. */
	assert_int_equal(parse("<!DOCTYPE signCertRequest SYSTEM \"http://127.0.0.1:1/x.dtd\">"
	    "<signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS "/>", &req, &a),
	    MSG_NOT_SIGNCERT);
	assert_non_null(strstr(a.reason, "DTD"));
}

static void
test_billion_laughs_refused(void **state)
{
	static const char doc[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    "<!ENTITY lol \"lol\">\n"
	    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n<signCertRequest xmlns=\"" NS "\" username=\"&lol9;\" "
	    "oneTimePassword=\"1\" certRequest=\"Zm9v\"/>";

	(void)state;
	assert_int_equal(parse_only(doc), MSG_NOT_SIGNCERT);
}

/* An undeclared entity is not well-formed; no DTD means none is declared. */
static void
test_undeclared_entity(void **state)
{
	(void)state;
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"&x;\" oneTimePassword=\"1\" certRequest=\"Zm9v\"/>"),
	    MSG_NOT_SIGNCERT);
}

static char *
nested(size_t depth)
{
	static const char head[] = "<signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS ">";
	static const char tail[] = "</signCertRequest>";
	char *doc = malloc(sizeof(head) + sizeof(tail) + depth * 7 + 1), *p;
	size_t i;

	if (doc == NULL)
		abort();
	p = doc + sprintf(doc, "%s", head);
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "%s", tail);
	return doc;
}

static void
test_deep_nesting(void **state)
{
	char *doc;

	(void)state;
	/* Beyond libxml2's depth limit: not well-formed for us. */
	doc = nested(100000);
	assert_int_equal(parse_only(doc), MSG_NOT_SIGNCERT);
	free(doc);
	/* Shallow nesting is well-formed, but no signCertRequest has content. */
	doc = nested(10);
	assert_int_equal(parse_only(doc), MSG_INVALID);
	free(doc);
}

/* A value beyond libxml2's own limit (no XML_PARSE_HUGE) is refused. */
static void
test_oversized_value(void **state)
{
	static const char head[] = "<signCertRequest xmlns=\"" NS "\" "
	    "oneTimePassword=\"1\" certRequest=\"Zm9v\" username=\"";
	size_t n = 11 * 1000 * 1000, hl = strlen(head);
	char *doc = malloc(hl + n + 8);

	(void)state;
	assert_non_null(doc);
	memcpy(doc, head, hl);
	memset(doc + hl, 'a', n);
	memcpy(doc + hl + n, "\"/>", 4);
	assert_int_equal(parse_only(doc), MSG_NOT_SIGNCERT);
	free(doc);
}

/* Converts ASCII XML to UTF-16 with a byte order mark. */
static char *
utf16(const char *ascii, int big_endian, size_t *len)
{
	size_t n = strlen(ascii), i;
	char *out = malloc(2 * n + 2);

	assert_non_null(out);
	out[0] = big_endian ? (char)0xfe : (char)0xff;
	out[1] = big_endian ? (char)0xff : (char)0xfe;
	for (i = 0; i < n; i++) {
		out[2 + 2 * i + (big_endian ? 1 : 0)] = ascii[i];
		out[2 + 2 * i + (big_endian ? 0 : 1)] = 0;
	}
	*len = 2 * n + 2;
	return out;
}

static void
test_utf16_with_bom(void **state)
{
	static const char doc[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
	    "<signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS "/>";
	struct sign_cert_request req;
	struct audit a;
	size_t len = 0;
	char *u;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		u = utf16(doc, be, &len);
		memset(&a, 0, sizeof(a));
		assert_int_equal(msg_parse_request(u, len, &req, &a), MSG_OK);
		assert_string_equal(req.username, "D\\u");
		assert_memory_equal(req.cert_request, "foo", 3);
		msg_request_free(&req);
		free(u);
	}
	/* A UTF-8 byte order mark is fine too. */
	assert_int_equal(parse_only("\xef\xbb\xbf<signCertRequest xmlns=\"" NS "\" "
	    GOOD_ATTRS "/>"), MSG_OK);
}

static void
test_non_unicode_encoding_refused(void **state)
{
	(void)state;
	assert_int_equal(parse_only("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	    "<signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS "/>"), MSG_NOT_SIGNCERT);
	/* Invalid UTF-8 is not well-formed. */
	assert_int_equal(parse_only("<signCertRequest xmlns=\"" NS "\" "
	    "username=\"\xff\xfe\" oneTimePassword=\"1\" certRequest=\"Zm9v\"/>"),
	    MSG_NOT_SIGNCERT);
}

static char *
write_ok(const struct sign_cert_response *resp, size_t *len)
{
	char *xml = NULL;

	assert_int_equal(msg_write_response(resp, &xml, len), 0);
	assert_non_null(xml);
	assert_int_equal(strlen(xml), *len);
	assert_true(schema_valid(xml, *len));
	return xml;
}

static void
test_write_success(void **state)
{
	static const char *const cas[] = { "ca1.example.com\\Issuing CA 1",
	    "ca2.example.com\\Issuing <&> CA" };
	uint8_t der[200];
	struct sign_cert_response resp = { 0 };
	struct sign_cert_request back;
	struct audit a;
	size_t len, i;
	char *xml;

	(void)state;
	for (i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)i;
	resp.status = OTPCEP_SUCCESS;
	resp.signed_cert_request = der;
	resp.signed_cert_request_len = sizeof(der);
	resp.issuing_ca = cas;
	resp.issuing_ca_count = 2;
	xml = write_ok(&resp, &len);
	assert_non_null(strstr(xml, "statusCode=\"Success\""));
	assert_non_null(strstr(xml, "<IssuingCA>ca1.example.com\\Issuing CA 1</IssuingCA>"));
	assert_non_null(strstr(xml, "<IssuingCA>ca2.example.com\\Issuing &lt;&amp;&gt; CA</IssuingCA>"));
	assert_true(strstr(xml, "IssuingCA>ca1") < strstr(xml, "IssuingCA>ca2"));
	assert_non_null(strstr(xml, "xmlns=\"" NS "\""));
	/* The signed request reads back through the request parser's base64. */
	{
		const char *p = strstr(xml, "SignedCertRequest=\"") + 19;
		char *req_xml;
		size_t n = strcspn(p, "\"");

		if ((req_xml = malloc(n + 200)) == NULL)
			abort();
		sprintf(req_xml, "<signCertRequest xmlns=\"" NS "\" username=\"u\" "
		    "oneTimePassword=\"1\" certRequest=\"%.*s\"/>", (int)n, p);
		memset(&a, 0, sizeof(a));
		assert_int_equal(msg_parse_request(req_xml, strlen(req_xml), &back, &a), MSG_OK);
		assert_int_equal(back.cert_request_len, sizeof(der));
		assert_memory_equal(back.cert_request, der, sizeof(der));
		msg_request_free(&back);
		free(req_xml);
	}
	free(xml);
}

/* 2.2.3: on anything but Success, no SignedCertRequest and no IssuingCA. */
static void
test_write_failures(void **state)
{
	static const char *const cas[] = { "ca\\x" };
	static const enum otpcep_status st[] = { OTPCEP_AUTHENTICATION_ERROR,
	    OTPCEP_CHALLENGE_RESPONSE_REQUIRED, OTPCEP_OTHER_ERROR };
	static const char *const names[] = { "AuthenticationError",
	    "ChallengeResponseRequired", "OtherError" };
	uint8_t der[3] = { 1, 2, 3 };
	struct sign_cert_response resp = { 0 };
	char want[64];
	size_t i, len = 0;
	char *xml;

	(void)state;
	for (i = 0; i < 3; i++) {
		resp.status = st[i];
		resp.signed_cert_request = der;
		resp.signed_cert_request_len = 3;
		resp.issuing_ca = cas;
		resp.issuing_ca_count = 1;
		xml = write_ok(&resp, &len);
		snprintf(want, sizeof(want), "statusCode=\"%s\"", names[i]);
		assert_non_null(strstr(xml, want));
		assert_null(strstr(xml, "SignedCertRequest"));
		assert_null(strstr(xml, "IssuingCA"));
		free(xml);
	}
}

/* otpcep-client writes requests with msg_write_request: they read back. */
static void
test_write_request_round_trip(void **state)
{
	uint8_t der[100];
	struct sign_cert_request req = { 0 }, back;
	struct audit a;
	char *xml = NULL;
	size_t len = 0, i;

	(void)state;
	for (i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(255 - i);
	req.username = "DOMAIN1\\us\"er<&>";
	req.one_time_password = "12 34\t\"&<5";
	req.one_time_password_len = strlen(req.one_time_password);
	req.cert_request = der;
	req.cert_request_len = sizeof(der);
	assert_int_equal(msg_write_request(&req, &xml, &len), 0);
	assert_true(schema_valid(xml, len));
	memset(&a, 0, sizeof(a));
	assert_int_equal(msg_parse_request(xml, len, &back, &a), MSG_OK);
	assert_string_equal(back.username, req.username);
	assert_string_equal(back.one_time_password, req.one_time_password);
	assert_int_equal(back.cert_request_len, sizeof(der));
	assert_memory_equal(back.cert_request, der, sizeof(der));
	msg_request_free(&back);
	free(xml);
	/* A control character XML 1.0 cannot carry, or bad UTF-8: refused. */
	req.one_time_password = "12\x01";
	req.one_time_password_len = 3;
	assert_int_equal(msg_write_request(&req, &xml, &len), -2);
	assert_null(xml);
	req.one_time_password = "1";
	req.one_time_password_len = 1;
	req.username = "\xc3\x28";
	assert_int_equal(msg_write_request(&req, &xml, &len), -2);
}

static enum msg_result
reply(const char *xml, struct sign_cert_reply *r)
{
	struct audit a = { 0 };
	enum msg_result m = msg_parse_response(xml, strlen(xml), r, &a);

	if (m != MSG_OK)
		assert_true(a.reason[0] != '\0');
	return m;
}

static void
test_parse_responses(void **state)
{
	struct sign_cert_reply r;
	char *xml, *der;
	size_t len = 0, der_len = 0;

	(void)state;
	/* 4.1: Success, the SignedCertRequest (base64 over lines), one CA. */
	xml = tu_read_file(SPEC "4.1-accepted-response.xml", &len);
	der = tu_read_file(SPEC "4.1-SignedCertRequest.der", &der_len);
	assert_int_equal(reply(xml, &r), MSG_OK);
	assert_int_equal(r.status, OTPCEP_SUCCESS);
	assert_int_equal(r.signed_cert_request_len, der_len);
	assert_memory_equal(r.signed_cert_request, der, der_len);
	assert_int_equal(r.issuing_ca_count, 1);
	assert_string_equal(r.issuing_ca[0], "DC1.domain1.corp.company.com\\RootCA-DC1");
	msg_reply_free(&r);
	free(xml);
	free(der);
	/* 4.4 with its undeclared certificate="": read as OtherError. */
	xml = tu_read_file(SPEC "4.4-invalid-response.xml", &len);
	assert_int_equal(reply(xml, &r), MSG_OK);
	assert_int_equal(r.status, OTPCEP_OTHER_ERROR);
	msg_reply_free(&r);
	free(xml);
	/* Broken ones. */
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\" statusCode=\"Success\"/>",
	    &r), MSG_INVALID);
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\" statusCode=\"Maybe\"/>",
	    &r), MSG_INVALID);
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\"/>", &r), MSG_INVALID);
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\" statusCode=\"OtherError\" "
	    "SignedCertRequest=\"Zm9v\"/>", &r), MSG_INVALID);
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\" statusCode=\"OtherError\">"
	    "<IssuingCA>a\\b</IssuingCA></signCertResponse>", &r), MSG_INVALID);
	assert_int_equal(reply("<signCertResponse xmlns=\"" NS "\" statusCode=\"Success\" "
	    "SignedCertRequest=\"Zm9v\"><x/></signCertResponse>", &r), MSG_INVALID);
	assert_int_equal(reply("<!DOCTYPE x [<!ENTITY e \"Success\">]><signCertResponse "
	    "xmlns=\"" NS "\" statusCode=\"&e;\"/>", &r), MSG_NOT_SIGNCERT);
	assert_int_equal(reply("<signCertRequest xmlns=\"" NS "\" " GOOD_ATTRS "/>", &r),
	    MSG_NOT_SIGNCERT);
}

/* What the responder writes, a client reads back the same. */
static void
test_written_responses_read_back(void **state)
{
	static const char *const cas[] = { "ca1\\A", "ca2\\B" };
	uint8_t der[5] = { 0x30, 3, 2, 1, 0 };
	struct sign_cert_response resp = { 0 };
	struct sign_cert_reply r;
	size_t len = 0;
	char *xml;

	(void)state;
	resp.status = OTPCEP_SUCCESS;
	resp.signed_cert_request = der;
	resp.signed_cert_request_len = sizeof(der);
	resp.issuing_ca = cas;
	resp.issuing_ca_count = 2;
	xml = write_ok(&resp, &len);
	assert_int_equal(reply(xml, &r), MSG_OK);
	assert_int_equal(r.status, OTPCEP_SUCCESS);
	assert_memory_equal(r.signed_cert_request, der, sizeof(der));
	assert_int_equal(r.issuing_ca_count, 2);
	assert_string_equal(r.issuing_ca[1], "ca2\\B");
	msg_reply_free(&r);
	free(xml);
	resp.status = OTPCEP_CHALLENGE_RESPONSE_REQUIRED;
	xml = write_ok(&resp, &len);
	assert_int_equal(reply(xml, &r), MSG_OK);
	assert_int_equal(r.status, OTPCEP_CHALLENGE_RESPONSE_REQUIRED);
	assert_int_equal(r.issuing_ca_count, 0);
	msg_reply_free(&r);
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_4_1),
		cmocka_unit_test(test_example_4_2),
		cmocka_unit_test(test_example_4_4),
		cmocka_unit_test(test_spec_responses_against_schema),
		cmocka_unit_test(test_attribute_order_and_namespaces),
		cmocka_unit_test(test_not_signcert),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_base64_line_breaks),
		cmocka_unit_test(test_references_in_values),
		cmocka_unit_test(test_xxe_refused),
		cmocka_unit_test(test_billion_laughs_refused),
		cmocka_unit_test(test_undeclared_entity),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_oversized_value),
		cmocka_unit_test(test_utf16_with_bom),
		cmocka_unit_test(test_non_unicode_encoding_refused),
		cmocka_unit_test(test_write_success),
		cmocka_unit_test(test_write_failures),
		cmocka_unit_test(test_write_request_round_trip),
		cmocka_unit_test(test_parse_responses),
		cmocka_unit_test(test_written_responses_read_back),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
