# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# The signing certificate and key (issue 5): start-up checks through the real
# responder (otpcep --check-config), signatures verified with the
# certificate's public key (drv_signer) for PEM, DER, PKCS#12 and SoftHSM2
# keys, RSA and P-256, and renewal while running (file change, SIGHUP, a bad
# renewal, a certificate that expires while the responder runs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pki.sh"

DRV="$TOP/build/tests/drv_signer"
pki_standard || { t_fail "throw-away PKI (certtool)"; t_done; }
P=$PKI

# conf NAME CERT KEY [extra lines...]: $T/NAME.conf
conf() {
	name=$1 cert=$2 key=$3
	shift 3
	{
		printf 'template = T\nca = h\\CA\n'
		printf 'signing_cert = %s\nsigning_key = %s\n' "$cert" "$key"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$T/$name.conf"
}

# refused NAME EXPECTED-TEXT: --check-config must fail and say EXPECTED-TEXT.
refused() {
	out=$("$OTPCEP" --check-config -c "$T/$1.conf" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qF -- "$2"; then
		t_pass "start-up refused: $1"
	else
		t_fail "start-up refused: $1 (exit $rc, wanted '$2'): $out"
	fi
}

# signs NAME EXPECTED-TEXT: drv_signer signs, the signature verifies with the
# certificate's key, and the answer contains EXPECTED-TEXT.
signs() {
	out=$(printf 'sign\nsign\n' | "$DRV" "$T/$1.conf" 2>"$T/$1.log")
	n=$(printf '%s\n' "$out" | grep -c "^OK .*$2")
	if [ "$n" -eq 2 ]; then
		t_pass "signs and verifies: $1"
	else
		t_fail "signs and verifies: $1 (wanted '$2'): $out $(cat "$T/$1.log")"
	fi
}

# --- start-up through the responder ---------------------------------------
conf good "$P/sign-rsa.pem" "$P/sign-rsa.key"
"$OTPCEP" --check-config -c "$T/good.conf" >"$T/good.out" 2>&1
t_check "a good RSA pair passes --check-config" [ $? -eq 0 ]

conf expired "$P/sign-expired.pem" "$P/sign-rsa.key"
refused expired "signing_cert $P/sign-expired.pem"
refused expired "has expired: not after"
conf future "$P/sign-future.pem" "$P/sign-rsa.key"
refused future "is not valid yet"
conf noeku "$P/sign-noeku.pem" "$P/sign-rsa.key"
refused noeku "carries $PKI_EKU neither in its extended key usage nor in its application policies"
conf othereku "$P/sign-rsa.pem" "$P/sign-rsa.key" "signing_eku = 1.3.6.1.4.1.311.20.2.1"
refused othereku "carries 1.3.6.1.4.1.311.20.2.1 neither"
conf mismatch "$P/sign-rsa.pem" "$P/other-rsa.key"
refused mismatch "signing_key does not match signing_cert $P/sign-rsa.pem"
conf ecmismatch "$P/sign-rsa.pem" "$P/sign-ec.key"
refused ecmismatch "does not match"
conf nocert "$P/missing.pem" "$P/sign-rsa.key"
refused nocert "signing_cert $P/missing.pem: cannot read"
head -c 300 /dev/urandom >"$P/garbage.key"
chmod 600 "$P/garbage.key"
conf garbagekey "$P/sign-rsa.pem" "$P/garbage.key"
refused garbagekey "signing_key $P/garbage.key: neither a private key nor a PKCS#12 file"
conf garbagecert "$P/garbage.key" "$P/sign-rsa.key"
refused garbagecert "signing_cert $P/garbage.key: not a PEM or DER certificate"
cat "$P/sign-rsa.pem" "$P/ca.pem" >"$P/two.pem"
conf twocerts "$P/two.pem" "$P/sign-rsa.key"
refused twocerts "holds 2 certificates"
conf badchain "$P/sign-rsa.pem" "$P/sign-rsa.key" "signing_chain = $P/sign-rsa.key"
refused badchain "signing_chain $P/sign-rsa.key: no PEM certificates"
printf 'wrong password\n' >"$P/wrong.pass"
chmod 600 "$P/wrong.pass"
conf p12wrong "$P/sign-rsa.pem" "$P/sign-rsa.p12" "signing_key_password_file = $P/wrong.pass"
refused p12wrong "PKCS#12 integrity check failed"
cp "$P/sign-rsa.p12.pass" "$P/open.pass"
chmod 644 "$P/open.pass"
conf p12open "$P/sign-rsa.pem" "$P/sign-rsa.p12" "signing_key_password_file = $P/open.pass"
refused p12open "signing_key_password_file $P/open.pass"
conf p12nopass "$P/sign-rsa.pem" "$P/sign-rsa.p12"
refused p12nopass "no signing_key_password_file set"
pki_key sign-ed ed25519 && pki_issue sign-ed sign-ed
conf ed25519 "$P/sign-ed.pem" "$P/sign-ed.key"
refused ed25519 "only RSA and ECDSA keys can sign"
out=$("$OTPCEP" --check-config -c "$T/mismatch.conf" 2>&1)
case "$out" in *"BEGIN"*|*"PRIVATE"*) t_fail "no key material in the log: $out" ;;
	*) t_pass "no key material in the log" ;; esac

# --- signing, verified with the certificate's public key ------------------
conf rsa "$P/sign-rsa.pem" "$P/sign-rsa.key"
signs rsa "oid=1.2.840.113549.1.1.1 certs=1 digest=SHA256"
conf ec "$P/sign-ec.pem" "$P/sign-ec.key"
signs ec "oid=1.2.840.10045.4.3.2 certs=1 digest=SHA256"
conf ec384 "$P/sign-ec.pem" "$P/sign-ec.key" "signing_digest = sha384"
signs ec384 "oid=1.2.840.10045.4.3.3 certs=1 digest=SHA384"
conf ec1 "$P/sign-ec.pem" "$P/sign-ec.key" "signing_digest = sha1"
signs ec1 "oid=1.2.840.10045.4.1 certs=1 digest=SHA1"
conf rsa1 "$P/sign-rsa.pem" "$P/sign-rsa.key" "signing_digest = sha1"
signs rsa1 "oid=1.2.840.113549.1.1.1 certs=1 digest=SHA1"
conf rsa512 "$P/sign-rsa.pem" "$P/sign-rsa.key" "signing_digest = sha512"
signs rsa512 "digest=SHA512"
conf der "$P/sign-rsa.pem" "$P/sign-rsa.key.der"
signs der "oid=1.2.840.113549.1.1.1"
conf p12 "$P/sign-rsa.pem" "$P/sign-rsa.p12" \
    "signing_key_password_file = $P/sign-rsa.p12.pass" "signing_chain = $P/ca.pem"
signs p12 "oid=1.2.840.113549.1.1.1 certs=2"
conf apppol "$P/sign-apppol.pem" "$P/sign-rsa.key"
signs apppol "oid=1.2.840.113549.1.1.1"
t_check "application-policies-only certificate: warned" \
    grep -q "only in its application policies" "$T/apppol.log"

# --- SoftHSM2 through PKCS#11 ---------------------------------------------
if pki_softhsm sign-ec; then
	conf hsm "$P/sign-ec.pem" "$PKI_P11_URI" "signing_key_password_file = $PKI_P11_PIN_FILE"
	signs hsm "oid=1.2.840.10045.4.3.2"
	t_check "PKCS#11 key reported as in a token" grep -q "in a PKCS#11 token" "$T/hsm.log"
	conf hsmpin "$P/sign-ec.pem" \
	    "pkcs11:token=otpcep-test;object=sign-ec;type=private;pin-value=4711"
	signs hsmpin "oid=1.2.840.10045.4.3.2"
	conf hsmnopin "$P/sign-ec.pem" "$PKI_P11_URI"
	refused hsmnopin "wants a PIN: set signing_key_password_file"
	conf hsmwrong "$P/sign-ec.pem" "$PKI_P11_URI" "signing_key_password_file = $P/wrong.pass"
	refused hsmwrong "refused the PIN"
	conf hsmwrongv "$P/sign-ec.pem" \
	    "pkcs11:token=otpcep-test;object=sign-ec;type=private;pin-value=9999"
	refused hsmwrongv "pin-value=(censored)"
	out=$("$OTPCEP" --check-config -c "$T/hsmwrongv.conf" 2>&1)
	case "$out" in *9999*) t_fail "PIN from the URI not logged: $out" ;;
		*) t_pass "PIN from the URI not logged" ;; esac
	conf hsmmismatch "$P/sign-rsa.pem" "$PKI_P11_URI" "signing_key_password_file = $PKI_P11_PIN_FILE"
	refused hsmmismatch "does not match"
	conf hsmnokey "$P/sign-ec.pem" \
	    "pkcs11:token=otpcep-test;object=nothing;type=private?module-path=$PKI_SOFTHSM_MODULE" \
	    "signing_key_password_file = $PKI_P11_PIN_FILE"
	refused hsmnokey "cannot use the token's key"
else
	t_fail "SoftHSM2 token set up"
fi

# --- renewal while running --------------------------------------------------
serial_of() { certtool -i --infile "$1" | sed -n 's/^[[:space:]]*Serial Number (hex): //p'; }
S1=$(serial_of "$P/sign-rsa.pem")
S2=$(serial_of "$P/sign-rsa2.pem")
echo "serials: $S1 $S2"
cp "$P/sign-rsa.pem" "$T/live.pem"
cp "$P/sign-rsa.key" "$T/live.key"
conf live "$T/live.pem" "$T/live.key"

coproc DRVP { exec "$DRV" "$T/live.conf" 2>"$T/live.log"; }
live_pid=$DRVP_PID	# bash unsets DRVP_PID when the coprocess ends
T_PIDS="$T_PIDS $live_pid"
ask() { echo "$1" >&"${DRVP[1]}"; IFS= read -r -t 10 line <&"${DRVP[0]}"; echo "$line"; }
IFS= read -r -t 10 ready <&"${DRVP[0]}"
t_check "driver started" [ "$ready" = READY ]
a=$(ask sign)
t_check "first signature by the first certificate" [ "$a" != "${a#OK serial=$S1 }" ]
a=$(ask hold)
t_check "a worker holds the first pair" [ "$a" = "HELD serial=$S1" ]

# The PKI renews: new certificate and key, each replaced by a rename.
cp "$P/sign-rsa2.pem" "$T/live.pem.new" && mv "$T/live.pem.new" "$T/live.pem"
cp "$P/sign-rsa2.key" "$T/live.key.new" && mv "$T/live.key.new" "$T/live.key"
sleep 1.2
a=$(ask sign)
t_check "files changed: next signature by the renewed certificate" [ "$a" != "${a#OK serial=$S2 }" ]
a=$(ask held)
t_check "the held pair still signs with its own key (refcounted snapshot)" \
    [ "$a" != "${a#OK serial=$S1 }" ]

# A bad renewal (the key does not match) keeps the current pair.
cp "$P/other-rsa.key" "$T/live.key"
sleep 1.2
a=$(ask sign)
t_check "a failed reload keeps the current pair" [ "$a" != "${a#OK serial=$S2 }" ]
t_check "a failed reload is logged loudly" grep -q "RELOAD FAILED" "$T/live.log"
a=$(ask sign)
t_check "a failed reload is not retried while the files stay the same" \
    [ "$(grep -c "RELOAD FAILED" "$T/live.log")" -eq 1 ]

# SIGHUP: reload now, even with unchanged files.
cp "$P/sign-rsa.key" "$T/live.key"
cp "$P/sign-rsa.pem" "$T/live.pem"
kill -HUP "$live_pid"
i=0; while ! grep -q 'HUP taken' "$T/live.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
a=$(ask sign)
t_check "SIGHUP: next signature by the reloaded pair" [ "$a" != "${a#OK serial=$S1 }" ]
t_check "SIGHUP reload logged" grep -q "reload requested (SIGHUP)" "$T/live.log"
ask quit >/dev/null
wait "$live_pid" 2>/dev/null

# A certificate that expires while the responder runs; its renewal is bad too.
pki_issue short sign-rsa seconds=3
cp "$P/short.pem" "$T/short-live.pem"
conf short "$T/short-live.pem" "$P/sign-rsa.key" "signing_warn_hours = 1"
coproc DRVS { exec "$DRV" "$T/short.conf" 2>"$T/short.log"; }
short_pid=$DRVS_PID
T_PIDS="$T_PIDS $short_pid"
IFS= read -r -t 10 ready <&"${DRVS[0]}"
asks() { echo "$1" >&"${DRVS[1]}"; IFS= read -r -t 10 line <&"${DRVS[0]}"; echo "$line"; }
a=$(asks sign)
t_check "short-lived certificate signs while valid" [ "$a" != "${a#OK }" ]
t_check "near expiry warned (signing_warn_hours)" grep -q "expires soon" "$T/short.log"
cp "$P/sign-expired.pem" "$T/short-live.pem"
sleep 4
a=$(asks sign)
t_check "expired while running: SIGNER_NO_VALID_CERT" [ "$a" = "ERR no valid signing certificate" ]
t_check "an expired renewal is refused" grep -q "RELOAD FAILED" "$T/short.log"
t_check "refusal logged loudly" grep -q "REFUSING TO SIGN.*expired since" "$T/short.log"
asks quit >/dev/null
wait "$short_pid" 2>/dev/null
t_done
