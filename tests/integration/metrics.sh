# SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
# Metrics and health (issue 12) through the real stack: lighttpd, the
# responder with metrics_listen, slapd, FreeRADIUS, and a real Prometheus
# (own configuration, 127.0.0.1, scrape_interval 1s, storage in $T) that
# scrapes /metrics while requests run. Its HTTP API then returns the Success
# count that was sent, the RADIUS timeout counted while the server was
# stopped, and the signing certificate's notAfter; promtool accepts the
# exposition. /health turns 503 when RADIUS or LDAP is stopped or the
# certificate is inside signing_warn_hours, and back to 200.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_stack.sh"
DN="CN=User 1,CN=Users,DC=domain1,DC=corp,DC=company,DC=com"
UPN="user1@domain1.corp.company.com"
PY=/usr/bin/python3
WINDOW=3

mkdir -p "$STACK_DIR" && chmod 700 "$STACK_DIR"
STACK_WEB=lighttpd
{ stack_pki && SLAPD_TLS=yes slapd_start && freeradius_start; } >"$T/setup.out" 2>&1 ||
	{ t_fail "PKI, slapd or FreeRADIUS: $(tail -5 "$T/setup.out")"; t_done; }
MP=$(t_free_port)
stack_conf "$STACK_DIR/otpcep.conf" "$STACK_DIR/otpcep.sock" \
	"metrics_listen = 127.0.0.1:$MP" "health_window_s = $WINDOW" \
	"radius_timeout_ms = 400" "radius_retries = 0" "radius_status_server = yes"
if ! stack_responder main "$STACK_DIR/otpcep.conf" >"$T/resp.out" 2>&1 ||
	! stack_web web "$STACK_DIR/otpcep.sock" >>"$T/resp.out" 2>&1; then
	t_fail "responder or lighttpd: $(tail -5 "$T/resp.out")"
	t_done
fi
OTPCEP_PID=$STACK_RESPONDER_PID
URL=$STACK_WEB_URL
stack_csr u1 "$DN" "$UPN" || t_fail "CSR"
t_wait_port "$MP" 10 || t_fail "the metrics port is not open"

# Prometheus, scraping every second.
PP=$(t_free_port)
mkdir -p "$T/prom"
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: otpcep
    static_configs:
      - targets: ['127.0.0.1:$MP']
YML
t_start prometheus "$T/prometheus.log" prometheus --config.file="$T/prometheus.yml" \
	--storage.tsdb.path="$T/prom" --web.listen-address="127.0.0.1:$PP"
PROM_PID=$T_LAST_PID

health() { # OUT: the status code in $hc, the body in OUT
	hc=$(curl -s -o "$1" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$MP/health")
}
enroll() { # NAME: one request of user1 with the current code
	stack_enroll "$T/$1" "$URL" "$STACK_DIR/u1.csr.der"
}
successes=0
ok() { # NAME: a request that must succeed
	enroll "$1"
	if t_check_response "$1: Success" "$T/$1" 200 Success >/dev/null; then
		successes=$((successes + 1))
	else
		t_fail "$1: not Success: $(head -1 "$T/$1")"
	fi
}

ok s1
ok s2
ok s3
stack_post "$T/bad" "$URL" 'DOMAIN1\user1' "$(stack_wrong_code "$(radius_totp_code)")" \
	"$STACK_DIR/u1.csr.der" --cert "$PKI/client.pem" --key "$PKI/client.key"
t_check_response "a wrong code: AuthenticationError" "$T/bad" 200 AuthenticationError
health "$T/h1"
t_check "/health 200 ok while everything answers" sh -c "[ '$hc' = 200 ] && grep -qx ok '$T/h1'"

curl -s --max-time 5 "http://127.0.0.1:$MP/metrics" >"$T/metrics.txt"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1
t_check "promtool check metrics passes" [ $? -eq 0 ]
cat "$T/promtool.out"
t_check "the exposition has the step histograms" \
	grep -q '^otpcep_step_duration_seconds_bucket{step="signing",le="+Inf"} [1-9]' "$T/metrics.txt"
t_check "the audit line names the client certificate" \
	grep -q 'client="[^"-][^"]*" user="DOMAIN1' "$STACK_DIR/main.log"

# Quiet for longer than health_window_s: /health asks the servers itself
# (Status-Server, a bind), so a quiet responder is not reported down.
sleep $((WINDOW + 1))
health "$T/quiet"
t_check "no request for longer than health_window_s: still 200 (it asked them)" \
	sh -c "[ '$hc' = 200 ] && grep -qx ok '$T/quiet'"

# RADIUS stopped (SIGSTOP: nothing answers): a timeout is counted, and once the
# last answer is older than health_window_s, /health is 503 naming RADIUS.
kill -STOP "$RADIUSD_PID"
sleep $((WINDOW + 1))
enroll down
t_check_response "RADIUS stopped: OtherError" "$T/down" 200 OtherError
health "$T/h2"
cat "$T/h2"
t_check "RADIUS stopped: /health 503" [ "$hc" = 503 ]
t_check "... one line naming RADIUS" grep -q '^radius: no server answered in the last' "$T/h2"
t_check "... and only that line (the directory answered)" [ "$(wc -l <"$T/h2")" -eq 1 ]
kill -CONT "$RADIUSD_PID"
ok back1
health "$T/h3"
t_check "RADIUS back: /health 200" [ "$hc" = 200 ]

# The directory stopped.
slapd_stop >/dev/null
enroll noldap
t_check_response "slapd stopped: OtherError" "$T/noldap" 200 OtherError
sleep $((WINDOW + 1))
health "$T/h4"
cat "$T/h4"
t_check "slapd stopped: /health 503 naming the directory" \
	sh -c "[ '$hc' = 503 ] && grep -q '^directory: no URI answered' '$T/h4'"
SLAPD_TLS=yes slapd_start >/dev/null 2>&1 || t_fail "slapd did not restart"
ok back2
health "$T/h5"
t_check "slapd back: /health 200" [ "$hc" = 200 ]

# The signing certificate renewed on disk with one that ends inside
# signing_warn_hours (24): picked up by the signer, /health 503; a longer one
# again: 200.
pki_issue sign-rsa sign-rsa seconds=36000 >/dev/null && kill -HUP "$OTPCEP_PID"
sleep 1.2
ok short
health "$T/h6"
cat "$T/h6"
t_check "certificate inside signing_warn_hours: /health 503 naming it" \
	sh -c "[ '$hc' = 503 ] && grep -q '^signing: the certificate expires in' '$T/h6'"
pki_issue sign-rsa sign-rsa days=3 >/dev/null && kill -HUP "$OTPCEP_PID"
sleep 1.2
ok long
health "$T/h7"
t_check "renewed for 3 days: /health 200" [ "$hc" = 200 ]
NOT_AFTER=$(date -d "$(openssl x509 -in "$PKI/sign-rsa.pem" -noout -enddate | cut -d= -f2)" +%s)

# What Prometheus stored (it scrapes every second: wait for the last values).
query() { # PROMQL: the value of the first sample, or nothing
	curl -s --max-time 5 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
		$PY -c 'import json,sys
r=json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}
wait_value() { # PROMQL EXPECTED: until Prometheus returns EXPECTED (10 s)
	i=0
	while [ $i -lt 40 ]; do
		got=$(query "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.25
		i=$((i + 1))
	done
	return 1
}
wait_value 'otpcep_requests_total{code="200",status="Success"}' "$successes"
t_check "Prometheus: Success count equals the $successes successes sent (got '$got')" \
	[ "$got" = "$successes" ]
wait_value 'otpcep_requests_total{code="200",status="AuthenticationError"}' 1
t_check "Prometheus: one AuthenticationError" [ "$got" = 1 ]
got=$(query "otpcep_radius_timeouts_total{server=\"127.0.0.1:$RADIUSD_PORT\"}")
t_check "Prometheus: the RADIUS timeout counted for that server (got '$got')" \
	sh -c "[ -n '$got' ] && [ '$got' -ge 1 ]"
got=$(query 'otpcep_request_failures_total{reason="otp_rejected"}')
t_check "Prometheus: the rejected code counted as otp_rejected (got '$got')" [ "$got" = 1 ]
wait_value 'otpcep_signing_certificate_not_after_timestamp_seconds' "$NOT_AFTER"
t_check "Prometheus: the certificate's notAfter ($NOT_AFTER, got '$got')" [ "$got" = "$NOT_AFTER" ]
got=$(query 'otpcep_signing_reloads_total')
t_check "Prometheus: the two renewals picked up (got '$got')" sh -c "[ -n '$got' ] && [ '$got' -ge 2 ]"
got=$(query 'sum(otpcep_ldap_binds_total{result="ok"})')
t_check "Prometheus: LDAP binds counted (got '$got')" sh -c "[ -n '$got' ] && [ '$got' -ge 1 ]"
wait_value 'otpcep_workers_busy' 0
t_check "Prometheus: no worker busy once all is answered (got '$got')" [ "$got" = 0 ]
got=$(query 'up{job="otpcep"}')
t_check "Prometheus: the target is up" [ "$got" = 1 ]
t_stop "$PROM_PID"

# Scraped all along, the responder is alive (seccomp allows what the metrics
# listener does) and stops cleanly on SIGTERM.
t_check "the responder is alive after the scrapes" kill -0 "$OTPCEP_PID"
t_stop "$STACK_WEB_PID"
kill -TERM "$OTPCEP_PID"
wait "$OTPCEP_PID"
t_check "SIGTERM: the responder exits 0" [ $? -eq 0 ]
t_done
