-- SPDX-License-Identifier: ISC (see LICENSE). Copyright (c) 2026 The otpcep authors.
-- wrk script for `make bench-load` (tests/bench/load.sh): POSTs the SignCert
-- Request in $LOAD_BODY and counts the answers whose body is a Success;
-- anything else (another status, another HTTP code) is an error.
local f = assert(io.open(os.getenv("LOAD_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/xml"
wrk.headers["X-OTPCEP-version"] = "1.0"

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	good = 0
	bad = 0
end

function response(status, headers, body)
	if status == 200 and body:find('statusCode="Success"', 1, true) then
		good = good + 1
	else
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local g, b = 0, 0
	for _, t in ipairs(threads) do
		g = g + t:get("good")
		b = b + t:get("bad")
	end
	local e = summary.errors
	io.write(string.format(
	    "RESULT success=%d other=%d sockerr=%d p50_ms=%.1f p99_ms=%.1f seconds=%.2f\n",
	    g, b, e.connect + e.read + e.write + e.timeout,
	    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
	    summary.duration / 1e6))
end
