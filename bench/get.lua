-- wrk script for bench/run.py: GETs one URL (path and query string as given to wrk) over and over.
--
--   BENCH_KEY=dzpk_live_... \
--     taskset -c 1 wrk -t1 -c32 -d10s --latency -s bench/get.lua "http://127.0.0.1:8101/v1/customers?limit=50"
--
-- BENCH_KEY: the API key, sent as "Authorization: Bearer <key>"; empty or unset sends no Authorization.
-- The request is static (set here, at load time), so wrk formats it once per thread.
-- done() prints one machine-readable line, "BENCH_JSON {...}", after wrk's own report. It is the same as
-- post.lua's: bench/run.py parses it, so keep the two in step.

wrk.method = "GET"
wrk.body = nil
wrk.headers["Accept"] = "application/json"
local key = os.getenv("BENCH_KEY")
if key ~= nil and key ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. key
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
