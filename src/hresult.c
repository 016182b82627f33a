/* SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors. */
/*
 * Dispositions and HRESULTs by name (include/hresult.h). The values are
 * Windows' (winerror.h, certcli.h; MS-WCCE 2.2.2.8, MS-ERREF 2.1).
 */
#include <stdio.h>

#include "hresult.h"

const char *
hresult_disposition_name(uint32_t disposition)
{
	static const char *const names[] = {
		"CR_DISP_INCOMPLETE", "CR_DISP_ERROR", "CR_DISP_DENIED",
		"CR_DISP_ISSUED", "CR_DISP_ISSUED_OUT_OF_BAND",
		"CR_DISP_UNDER_SUBMISSION", "CR_DISP_REVOKED",
	};

	return disposition < sizeof(names) / sizeof(names[0]) ?
	    names[disposition] : "CR_DISP_?";
}

const char *
hresult_name(uint32_t hr)
{
	static const struct {
		uint32_t hr;
		const char *name;
	} names[] = {
		{ 0x00000000u, "S_OK" },
		{ 0x80004005u, "E_FAIL" },
		{ 0x8007000eu, "E_OUTOFMEMORY" },
		{ 0x80070005u, "E_ACCESSDENIED" },
		{ 0x80070057u, "E_INVALIDARG" },
		{ 0x8007000du, "ERROR_INVALID_DATA" },
		{ 0x800706bau, "RPC_S_SERVER_UNAVAILABLE" },
		{ 0x800706d9u, "EPT_S_NOT_REGISTERED" },
		{ 0x80090006u, "NTE_BAD_SIGNATURE" },
		{ 0x80092004u, "CRYPT_E_NOT_FOUND" },
		{ 0x80093100u, "CRYPT_E_ASN1_ERROR" },
		{ 0x80094001u, "CERTSRV_E_BAD_REQUESTSUBJECT" },
		{ 0x80094002u, "CERTSRV_E_NO_REQUEST" },
		{ 0x80094003u, "CERTSRV_E_BAD_REQUESTSTATUS" },
		{ 0x80094004u, "CERTSRV_E_PROPERTY_EMPTY" },
		{ 0x80094005u, "CERTSRV_E_INVALID_CA_CERTIFICATE" },
		{ 0x80094006u, "CERTSRV_E_SERVER_SUSPENDED" },
		{ 0x80094007u, "CERTSRV_E_ENCODING_LENGTH" },
		{ 0x80094011u, "CERTSRV_E_ENROLL_DENIED" },
		{ 0x80094012u, "CERTSRV_E_TEMPLATE_DENIED" },
		{ 0x80094014u, "CERTSRV_E_NO_POLICY_SERVER" },
		{ 0x80094800u, "CERTSRV_E_UNSUPPORTED_CERT_TYPE" },
		{ 0x80094801u, "CERTSRV_E_NO_CERT_TYPE" },
		{ 0x80094802u, "CERTSRV_E_TEMPLATE_CONFLICT" },
		{ 0x80094803u, "CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED" },
		{ 0x80094806u, "CERTSRV_E_BAD_RENEWAL_SUBJECT" },
		{ 0x80094807u, "CERTSRV_E_BAD_TEMPLATE_VERSION" },
		{ 0x80094808u, "CERTSRV_E_TEMPLATE_POLICY_REQUIRED" },
		{ 0x80094809u, "CERTSRV_E_SIGNATURE_POLICY_REQUIRED" },
		{ 0x8009480au, "CERTSRV_E_SIGNATURE_COUNT" },
		{ 0x8009480bu, "CERTSRV_E_SIGNATURE_REJECTED" },
		{ 0x8009480cu, "CERTSRV_E_ISSUANCE_POLICY_REQUIRED" },
		{ 0x8009480du, "CERTSRV_E_SUBJECT_UPN_REQUIRED" },
		{ 0x8009480fu, "CERTSRV_E_SUBJECT_DNS_REQUIRED" },
		{ 0x80094811u, "CERTSRV_E_KEY_LENGTH" },
		{ 0x80094813u, "CERTSRV_E_UNKNOWN_CERT_TYPE" },
		{ 0x800b0101u, "CERT_E_EXPIRED" },
		{ 0x800b0109u, "CERT_E_UNTRUSTEDROOT" },
		{ 0x800b0110u, "CERT_E_WRONG_USAGE" },
		/* DCE/RPC fault statuses (MS-RPCE 2.2.2.12, C706 appendix E)
		 * and ept_map's status, for the DCE/RPC library's logs. */
		{ 0x00000005u, "nca_s_fault_access_denied" },
		{ 0x000006b5u, "RPC_S_UNKNOWN_IF" },
		{ 0x000006d1u, "RPC_S_PROCNUM_OUT_OF_RANGE" },
		{ 0x000006f7u, "RPC_X_BAD_STUB_DATA" },
		{ 0x00000721u, "RPC_S_SEC_PKG_ERROR" },
		{ 0x1c000020u, "nca_s_fault_remote_no_memory" },
		{ 0x1c010002u, "nca_s_op_rng_error" },
		{ 0x1c010003u, "nca_s_unk_if" },
		{ 0x1c01000bu, "nca_s_proto_error" },
		{ 0x16c9a0d6u, "EPT_S_NOT_REGISTERED" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].hr == hr)
			return names[i].name;
	return NULL;
}

const char *
hresult_format(uint32_t hr, char *buf, unsigned buf_len)
{
	const char *n = hresult_name(hr);

	if (n != NULL)
		return n;
	snprintf(buf, buf_len, "0x%08x", (unsigned)hr);
	return buf;
}
