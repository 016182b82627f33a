# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Logs an operator can use (issue 12): the audit line names the client
# certificate, the co-signed request's subject, UPN and key SHA-256; each
# outcome has its severity (journald "<N>" prefixes when stderr is the
# journal); the shipped fail2ban filter matches AuthenticationError lines and
# nothing else (fail2ban-regex on real lines); a failing start by hand says why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_golden.sh"

golden_start || t_done
golden_conf "$T/otpcep.conf" "require_https = no" \
	"radius_server = 127.0.0.1:$RADIUSD_PORT timeout_ms=300 retries=0"

# The body of example 4.1, and the same with another password.
t_http_body "$G/4.1-request.http" "$T/ok.xml"
sed 's/Pa\$\$word1/Pa$$word2/' "$T/ok.xml" >"$T/wrong.xml"

# cgi NAME BODY: one CGI request as lighttpd passes it, the client
# certificate's subject included; stderr is "the journal" (JOURNAL_STREAM
# names its device and inode, as systemd sets it).
: >"$T/journal"
JS="$(stat -c %d "$T/journal"):$(stat -c %i "$T/journal")"
cgi() {
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 OTPCEP_CONFIG="$T/otpcep.conf" \
		JOURNAL_STREAM="$JS" REQUEST_METHOD=POST CONTENT_TYPE=application/xml \
		HTTP_X_OTPCEP_VERSION=1.0 CONTENT_LENGTH="$(stat -c %s "$2")" \
		REMOTE_ADDR=192.0.2.7 HTTPS=on SSL_CLIENT_VERIFY=SUCCESS \
		SSL_CLIENT_S_DN='CN=DA-CLIENT1.domain1.corp.company.com,O=Te"st' \
		"$OTPCEP" <"$2" >"$T/$1.out" 2>>"$T/journal"
}
cgi ok "$T/ok.xml"
t_check_response "Success" "$T/ok.out" 200 Success
cgi wrong1 "$T/wrong.xml"
cgi wrong2 "$T/wrong.xml"
t_check_response "wrong password: AuthenticationError" "$T/wrong1.out" 200 AuthenticationError
cat "$T/journal"

# The co-signed request's key, as openssl sees it.
tr -d '\r\n' <"$T/ok.xml" | sed 's/.*certRequest="\([^"]*\)".*/\1/' | base64 -d >"$T/41.csr"
KEYSHA=$(openssl req -inform DER -in "$T/41.csr" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
SUBJ=$(openssl req -inform DER -in "$T/41.csr" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
echo "expected key_sha256=$KEYSHA subject=$SUBJ"
ok_line=$(grep ' status=Success ' "$T/journal")
t_check "Success at info (<6>)" sh -c "printf '%s\n' '$ok_line' | grep -q '^<6>request '"
t_check "the client certificate's subject, escaped" \
	sh -c "printf '%s\n' '$ok_line' | grep -qF 'client=\"CN=DA-CLIENT1.domain1.corp.company.com,O=Te\\x22st\"'"
t_check "the request's public-key SHA-256 (as openssl computes it)" \
	sh -c "[ -n '$KEYSHA' ] && printf '%s\n' '$ok_line' | grep -q 'key_sha256=$KEYSHA '"
t_check "the request's subject" sh -c "printf '%s\n' '$ok_line' | grep -qF 'subject=\"$SUBJ\"'"
t_check "the request's UPN" sh -c "printf '%s\n' '$ok_line' | grep -qF ' upn=\"user1@domain1.corp.company.com\" '"
t_check "AuthenticationError at notice (<5>)" grep -q '^<5>request .* status=AuthenticationError ' "$T/journal"

# RADIUS stopped: our trouble, at warning (<4>).
t_stop "$RADIUSD_PID"
cgi down "$T/ok.xml"
t_check_response "RADIUS down: OtherError" "$T/down.out" 200 OtherError
t_check "RADIUS unreachable at warning (<4>)" grep -q '^<4>request .* status=OtherError ' "$T/journal"
# Outside the journal: no prefix.
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 OTPCEP_CONFIG="$T/otpcep.conf" \
	REQUEST_METHOD=GET SSL_CLIENT_VERIFY=SUCCESS "$OTPCEP" >/dev/null 2>"$T/plain.log"
t_check "not the journal: plain lines" grep -q '^otpcep: request .* http=405 ' "$T/plain.log"

# fail2ban-regex on these real lines, written as syslog writes them.
mkdir -p "$T/f2b/filter.d"
cp "$TOP/etc/fail2ban/filter.d/otpcep.conf" "$T/f2b/filter.d/"
ln -s /etc/fail2ban/filter.d/common.conf "$T/f2b/filter.d/common.conf"
now=$(date '+%b %e %H:%M:%S')
sed "s/^<[0-7]>/$now da1 otpcep[4242]: /" "$T/journal" | grep ' request ' >"$T/syslog"
fail2ban-regex "$T/syslog" "$T/f2b/filter.d/otpcep.conf" >"$T/f2b.out" 2>&1
cat "$T/f2b.out" | sed -n '/^Failregex/,/^Lines/p'
t_check "fail2ban-regex: the two AuthenticationError lines match" \
	grep -Eq '^Failregex: 2 total' "$T/f2b.out"
grep -v 'status=AuthenticationError' "$T/syslog" >"$T/others"
t_check "there are Success and OtherError lines to try" \
	sh -c "grep -q 'status=Success ' '$T/others' && grep -q 'status=OtherError ' '$T/others'"
fail2ban-regex "$T/others" "$T/f2b/filter.d/otpcep.conf" >"$T/f2b2.out" 2>&1
t_check "fail2ban-regex: no Success or OtherError line matches" \
	grep -Eq '^Failregex: 0 total' "$T/f2b2.out"
t_check "fail2ban-regex: the banned address is REMOTE_ADDR" \
	sh -c "fail2ban-regex -o ip '$T/syslog' '$T/f2b/filter.d/otpcep.conf' 2>/dev/null | grep -qx '192.0.2.7'"
# A failing start by hand (a terminal, log = syslog): the reason is on the terminal.
sed -e 's/^log = stderr/log = syslog/' -e "s|^signing_key = .*|signing_key = $T/missing.key|" \
	"$T/otpcep.conf" >"$T/bad.conf"
script -qec "$OTPCEP -c $T/bad.conf" /dev/null >"$T/tty.out" 2>&1 </dev/null
cat "$T/tty.out"
t_check "a failing start by hand prints why" grep -q "missing.key" "$T/tty.out"
t_done
