#!/usr/bin/python3
# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# An independent MS-ICPR client for the tests (tests/integration/enroll.sh):
# impacket (Debian python3-impacket), not our code, asks the stand-in CA's
# endpoint mapper for the ICPR port, binds with Kerberos (SPNEGO, DCE style,
# the service ticket from the credential cache in $KRB5CCNAME) at the given
# authentication level, and calls CertServerRequest (MS-ICPR 3.2.4.1.1). So
# our server-side framing, sealing and NDR are checked by someone else's
# implementation. Prints the request stub impacket sent and the answer, one
# "key: value" per line; exit 0 when a CertServerRequest answer arrived.
#
# usage: icpr_impacket.py HOST-NAME ADDRESS EPM-PORT REALM USER LEVEL CA-NAME
#            ATTRIBUTES [REQUEST-FILE]
#   LEVEL: privacy, integrity, connect (Kerberos, no per-message protection)
#   or none (an unauthenticated bind)
import binascii
import sys

from impacket.dcerpc.v5 import epm, transport
from impacket.krb5 import kerberosv5
from impacket.spnego import SPNEGO_NegTokenInit
from impacket.dcerpc.v5.dtypes import DWORD, LPWSTR, NULL, PBYTE, ULONG
from impacket.dcerpc.v5.ndr import NDRCALL, NDRSTRUCT
from impacket.dcerpc.v5.rpcrt import (MSRPCBind, RPC_C_AUTHN_GSS_NEGOTIATE,
                                      RPC_C_AUTHN_LEVEL_CONNECT,
                                      RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
from impacket.uuid import uuidtup_to_bin

# MS-ICPR 1.9: the ICertPassage interface.
ICPR_UUID = uuidtup_to_bin(("91ae6020-9e3c-11cf-8d7c-00aa00c091be", "0.0"))


class CERTTRANSBLOB(NDRSTRUCT):
    # MS-WCCE 2.2.2.2
    structure = (("cb", ULONG), ("pb", PBYTE))


class CertServerRequest(NDRCALL):
    # MS-ICPR 3.2.4.1.1
    opnum = 0
    structure = (
        ("dwFlags", DWORD),
        ("pwszAuthority", LPWSTR),
        ("pdwRequestId", DWORD),
        ("pctbAttribs", CERTTRANSBLOB),
        ("pctbRequest", CERTTRANSBLOB),
    )


class CertServerRequestResponse(NDRCALL):
    structure = (
        ("pdwRequestId", DWORD),
        ("pdwDisposition", ULONG),
        ("pctbCert", CERTTRANSBLOB),
        ("pctbEncodedCert", CERTTRANSBLOB),
        ("pctbDispositionMessage", CERTTRANSBLOB),
        ("ErrorCode", ULONG),
    )


# Windows sends the raw AP-REQ in a DCE-style bind (tests/fixtures/dcerpc,
# krb_10_bind.bin); impacket 0.10 frames it as a GSS InitialContextToken
# (RFC 2743 3.1), which MIT's acceptor refuses together with the DCE-style
# flag. Send what Windows sends: the same AP-REQ without the framing.
_impacket_type1 = kerberosv5.getKerberosType1


def _der_len(b, i):
    if b[i] < 0x80:
        return b[i], i + 1
    n = b[i] & 0x7f
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def _raw_ap_req_type1(*args, **kwargs):
    cipher, key, data = _impacket_type1(*args, **kwargs)
    blob = SPNEGO_NegTokenInit(data)
    tok = blob["MechToken"]
    if tok[0] == 0x60:
        _, i = _der_len(tok, 1)          # [APPLICATION 0] length
        oid_len, i = _der_len(tok, i + 1)  # OID tag, length
        tok = tok[i + oid_len + 2:]      # the OID, TOK_ID 01 00
        blob["MechToken"] = tok
    return cipher, key, blob.getData()


kerberosv5.getKerberosType1 = _raw_ap_req_type1

# impacket 0.10's MSRPCBind.getData() appends the context list again on every
# call, so the alter_context that carries the AP-REP (made from the same bind)
# lists one context but carries two: 44 stray bytes before the sec_trailer,
# which our decoder refuses. Encode the list once per call.
_impacket_bind_data = MSRPCBind.getData


def _bind_data_once(self):
    self["ctx_items"] = b""
    return _impacket_bind_data(self)


MSRPCBind.getData = _bind_data_once


def blob(data):
    b = CERTTRANSBLOB()
    b["cb"] = len(data)
    b["pb"] = data if data else NULL
    return b


def blob_bytes(b):
    return b"".join(b["pb"]) if b["cb"] else b""


def main():
    (host, address, epm_port, realm, user, level, ca_name,
     attributes) = sys.argv[1:9]
    request = open(sys.argv[9], "rb").read() if len(sys.argv) > 9 else b""

    # The endpoint mapper, unauthenticated, on its own port.
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:%s[%s]" % (host, epm_port))
    t.setRemoteHost(address)
    dce = t.get_dce_rpc()
    dce.connect()
    binding = epm.hept_map(host, ICPR_UUID, protocol="ncacn_ip_tcp", dce=dce)
    dce.disconnect()
    port = binding.split("[")[1].rstrip("]")
    print("ept_map: %s" % binding)

    # ICPR, Kerberos from the ccache (impacket asks for host/<host>).
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:%s[%s]" % (host, port))
    t.setRemoteHost(address)
    if level != "none":
        t.set_credentials(user, "", realm, "", "", None)
        t.set_kerberos(True, kdcHost=address)
    dce = t.get_dce_rpc()
    if level != "none":
        dce.set_auth_type(RPC_C_AUTHN_GSS_NEGOTIATE)
        dce.set_auth_level({"privacy": RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                            "integrity": RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                            "connect": RPC_C_AUTHN_LEVEL_CONNECT}[level])
    dce.connect()
    dce.bind(ICPR_UUID)

    req = CertServerRequest()
    req["dwFlags"] = 2  # CR_IN_BINARY | CR_IN_FORMATANY
    req["pwszAuthority"] = ca_name + "\x00"
    req["pdwRequestId"] = 0
    req["pctbAttribs"] = blob((attributes + "\x00").encode("utf-16le")
                              if attributes else b"")
    req["pctbRequest"] = blob(request)
    print("request_stub: %s" % binascii.hexlify(req.getData()).decode())
    dce.call(req.opnum, req)
    raw = dce.recv()
    resp = CertServerRequestResponse(raw)
    msg = blob_bytes(resp["pctbDispositionMessage"]).decode("utf-16le").rstrip("\x00")
    print("request_id: %d" % resp["pdwRequestId"])
    print("disposition: %d" % resp["pdwDisposition"])
    print("status: 0x%08x" % resp["ErrorCode"])
    print("message: %s" % msg)
    cert = blob_bytes(resp["pctbEncodedCert"])
    print("cert_len: %d" % len(cert))
    if cert and len(sys.argv) > 10:
        open(sys.argv[10], "wb").write(cert)
    dce.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
