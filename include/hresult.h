/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Names of what a certification authority answers (MS-ICPR 3.2.4.1.1,
 * MS-WCCE 2.2.2.8 and 3.2.1.4.2.1): the request's disposition and the
 * HRESULT behind a denial or error, for log lines and messages.
 */
#ifndef OTPCEP_HRESULT_H
#define OTPCEP_HRESULT_H

#include <stdint.h>

/* MS-WCCE 3.2.1.4.2.1: CertServerRequest's pdwDisposition. */
#define CR_DISP_INCOMPLETE		0
#define CR_DISP_ERROR			1
#define CR_DISP_DENIED			2
#define CR_DISP_ISSUED			3
#define CR_DISP_ISSUED_OUT_OF_BAND	4
#define CR_DISP_UNDER_SUBMISSION	5
#define CR_DISP_REVOKED			6

/* HRESULTs the tests and the stand-in CA use. */
#define HR_S_OK				0x00000000u
#define HR_E_ACCESSDENIED		0x80070005u
#define HR_E_INVALIDARG			0x80070057u
#define HR_ERROR_INVALID_DATA		0x8007000du
#define HR_CERTSRV_E_BAD_REQUESTSUBJECT	0x80094001u
#define HR_CERTSRV_E_NO_REQUEST		0x80094002u
#define HR_CERTSRV_E_ENROLL_DENIED	0x80094011u
#define HR_CERTSRV_E_TEMPLATE_DENIED	0x80094012u
#define HR_CERTSRV_E_UNSUPPORTED_CERT_TYPE 0x80094800u
#define HR_CERTSRV_E_NO_CERT_TYPE	0x80094801u
#define HR_CERTSRV_E_SIGNATURE_POLICY_REQUIRED 0x80094809u
#define HR_CERTSRV_E_SIGNATURE_REJECTED	0x8009480bu
#define HR_CERTSRV_E_SUBJECT_UPN_REQUIRED 0x8009480du
#define HR_CERT_E_EXPIRED		0x800b0101u
#define HR_CERT_E_UNTRUSTEDROOT		0x800b0109u
#define HR_CERT_E_WRONG_USAGE		0x800b0110u
#define HR_NTE_BAD_SIGNATURE		0x80090006u

/* "CR_DISP_ISSUED", ...; "CR_DISP_?" for an unknown value. */
const char *hresult_disposition_name(uint32_t disposition);

/* "CERTSRV_E_TEMPLATE_DENIED", "E_ACCESSDENIED", ...; NULL when unknown. */
const char *hresult_name(uint32_t hr);

/* hresult_name(), else "0x%08x" in buf (at least 11 bytes). */
const char *hresult_format(uint32_t hr, char *buf, unsigned buf_len);

#endif
