# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# A throw-away PKI for tests: sourced after lib.sh, never run. Uses certtool
# (gnutls-bin) and, for pki_softhsm, softhsm2-util and p11tool.
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_pki.sh"
#   pki_standard          # everything below, in $PKI (= $T/pki)
#
# Files pki_standard makes (all PEM unless the name says otherwise):
#   ca.key ca.pem               root CA "otpcep test root CA", 30 days
#   sign-rsa.key sign-rsa.pem   RSA 2048 signing key and certificate: EKU and
#                               application policies 1.3.6.1.4.1.311.81.1.1,
#                               key usage digitalSignature, valid 2 days
#   sign-rsa.key.der            the same key, DER (PKCS#8)
#   sign-rsa.p12 sign-rsa.p12.pass  the same key and certificate as PKCS#12,
#                               and its password (file mode 0600)
#   sign-ec.key sign-ec.pem     the same with a P-256 key
#   sign-rsa2.key sign-rsa2.pem a second RSA pair (a "renewed" certificate)
#   sign-expired.pem            key sign-rsa.key, valid 3 days ago to 1 day ago
#   sign-future.pem             key sign-rsa.key, valid from tomorrow
#   sign-noeku.pem              key sign-rsa.key, EKU serverAuth only and no
#                               application policies
#   sign-apppol.pem             key sign-rsa.key, 1.3.6.1.4.1.311.81.1.1 only in
#                               application policies (no EKU extension)
#   other-rsa.key               an RSA key no certificate belongs to (pair it
#                               with sign-rsa.pem for "key does not match")
#
# Building blocks, for tests that need more:
#   pki_init                       the root CA
#   pki_key NAME rsa|ec|ed25519    $PKI/NAME.key
#   pki_issue NAME KEY [opts...]   $PKI/NAME.pem for $PKI/KEY.key, signed by the
#       root; opts: noeku (EKU serverAuth instead), noapppol, apponly (no EKU
#       extension), seconds=N (valid from now for N seconds), days=N (default
#       2), from=SECONDS to=SECONDS (validity relative to now, may be negative)
#   pki_p12 NAME                   $PKI/NAME.p12 and NAME.p12.pass from NAME.key/.pem
#   pki_softhsm NAME               a SoftHSM2 token "otpcep-test" in
#       $PKI/softhsm holding $PKI/NAME.key and NAME.pem as object NAME; exports
#       SOFTHSM2_CONF and sets $PKI_P11_URI (with module-path) and
#       $PKI_P11_PIN_FILE
#
# Dates are UTC; certtool is run with TZ=UTC.
PKI="$T/pki"
PKI_EKU=1.3.6.1.4.1.311.81.1.1
# Application policies (1.3.6.1.4.1.311.21.10) holding PKI_EKU, as DER:
# SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.311.81.1.1 } }, as in MS-OTPCE 4.1.
PKI_APPPOL_HEX=300e300c060a2b060104018237510101
PKI_SOFTHSM_MODULE=${PKI_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

pki_init() {
	mkdir -p "$PKI"
	chmod 700 "$PKI"
	pki_key ca rsa
	cat >"$PKI/ca.tmpl" <<-EOF
	cn = "otpcep test root CA"
	serial = 1
	ca
	cert_signing_key
	crl_signing_key
	expiration_days = 30
	EOF
	TZ=UTC certtool --generate-self-signed --no-text --load-privkey "$PKI/ca.key" \
	    --template "$PKI/ca.tmpl" --outfile "$PKI/ca.pem" >/dev/null 2>&1 ||
	    { echo "pki_init: certtool failed" >&2; return 1; }
}

pki_key() { # NAME rsa|ec|ed25519
	case "$2" in
	rsa) set -- "$1" --key-type rsa --bits 2048 ;;
	ec) set -- "$1" --key-type ecdsa --curve secp256r1 ;;
	ed25519) set -- "$1" --key-type ed25519 ;;
	*) echo "pki_key: unknown type $2" >&2; return 1 ;;
	esac
	name=$1
	shift
	certtool --generate-privkey --no-text "$@" --outfile "$PKI/$name.key" >/dev/null 2>&1 ||
	    { echo "pki_key: certtool failed for $name" >&2; return 1; }
	chmod 600 "$PKI/$name.key"
}

pki_date() { # SECONDS-FROM-NOW
	date -u -d "@$(( $(date -u +%s) + $1 ))" '+%Y-%m-%d %H:%M:%S'
}

pki_issue() { # NAME KEY [opts]
	name=$1
	key=$2
	shift 2
	eku=yes apppol=yes from="" to="" days=2
	for o in "$@"; do
		case "$o" in
		noeku) eku=server ;;
		noapppol) apppol=no ;;
		apponly) eku=no ;;
		seconds=*) from=-1 to=${o#seconds=} ;;
		days=*) days=${o#days=} ;;
		from=*) from=${o#from=} ;;
		to=*) to=${o#to=} ;;
		*) echo "pki_issue: unknown option $o" >&2; return 1 ;;
		esac
	done
	[ "$eku" = server ] && apppol=no
	[ -n "$from" ] || from=-60
	[ -n "$to" ] || to=$((days * 86400))
	# certtool picks random serials; each certificate gets its own.
	{
		echo "dns_name = \"$name.signer.test\""
		echo "signing_key"
		case "$eku" in
		yes) echo "key_purpose_oid = $PKI_EKU" ;;
		server) echo "tls_www_server" ;;
		esac
		[ "$apppol" = yes ] &&
		    echo "add_extension = \"1.3.6.1.4.1.311.21.10 0x$PKI_APPPOL_HEX\""
		echo "activation_date = \"$(pki_date "$from")\""
		echo "expiration_date = \"$(pki_date "$to")\""
	} >"$PKI/$name.tmpl"
	TZ=UTC certtool --generate-certificate --no-text --load-privkey "$PKI/$key.key" \
	    --load-ca-certificate "$PKI/ca.pem" --load-ca-privkey "$PKI/ca.key" \
	    --template "$PKI/$name.tmpl" --outfile "$PKI/$name.pem" >/dev/null 2>&1 ||
	    { echo "pki_issue: certtool failed for $name" >&2; return 1; }
}

pki_p12() { # NAME
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PKI/$1.p12.pass"
	chmod 600 "$PKI/$1.p12.pass"
	certtool --to-p12 --load-privkey "$PKI/$1.key" --load-certificate "$PKI/$1.pem" \
	    --p12-name "$1" --password "$(cat "$PKI/$1.p12.pass")" --outder \
	    --outfile "$PKI/$1.p12" >/dev/null 2>&1 ||
	    { echo "pki_p12: certtool failed for $1" >&2; return 1; }
	# A key file: at most 0640 at start-up and at every load (issue 11).
	chmod 600 "$PKI/$1.p12"
}

pki_softhsm() { # NAME
	mkdir -p "$PKI/softhsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	    "$PKI/softhsm/tokens" >"$PKI/softhsm/softhsm2.conf"
	SOFTHSM2_CONF="$PKI/softhsm/softhsm2.conf"
	export SOFTHSM2_CONF
	printf '%s\n' 4711 >"$PKI/softhsm/pin"
	chmod 600 "$PKI/softhsm/pin"
	softhsm2-util --init-token --free --label otpcep-test --pin 4711 \
	    --so-pin 271828 >/dev/null 2>&1 ||
	    { echo "pki_softhsm: softhsm2-util failed" >&2; return 1; }
	GNUTLS_PIN=4711 p11tool --provider "$PKI_SOFTHSM_MODULE" --login --write \
	    --label "$1" --load-privkey "$PKI/$1.key" \
	    "pkcs11:token=otpcep-test" >/dev/null 2>&1 ||
	    { echo "pki_softhsm: p11tool could not import the key" >&2; return 1; }
	GNUTLS_PIN=4711 p11tool --provider "$PKI_SOFTHSM_MODULE" --login --write \
	    --label "$1" --load-certificate "$PKI/$1.pem" \
	    "pkcs11:token=otpcep-test" >/dev/null 2>&1 ||
	    { echo "pki_softhsm: p11tool could not import the certificate" >&2; return 1; }
	PKI_P11_URI="pkcs11:token=otpcep-test;object=$1;type=private?module-path=$PKI_SOFTHSM_MODULE"
	PKI_P11_PIN_FILE="$PKI/softhsm/pin"
}

pki_standard() {
	pki_init || return 1
	pki_key sign-rsa rsa && pki_issue sign-rsa sign-rsa || return 1
	certtool --key-info --load-privkey "$PKI/sign-rsa.key" --outder \
	    --outfile "$PKI/sign-rsa.key.der" >/dev/null 2>&1 || return 1
	chmod 600 "$PKI/sign-rsa.key.der"
	pki_p12 sign-rsa || return 1
	pki_key sign-ec ec && pki_issue sign-ec sign-ec || return 1
	pki_key sign-rsa2 rsa && pki_issue sign-rsa2 sign-rsa2 || return 1
	pki_issue sign-expired sign-rsa from=-259200 to=-86400 || return 1
	pki_issue sign-future sign-rsa from=86400 to=259200 || return 1
	pki_issue sign-noeku sign-rsa noeku || return 1
	pki_issue sign-apppol sign-rsa apponly || return 1
	pki_key other-rsa rsa
}
