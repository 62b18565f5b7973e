-- wrk script for bench/run.py: sends one request over and over. With BENCH_BODY_FILE it POSTs that file's JSON
-- body (a GraphQL request); without it, it GETs the URL given to wrk (path and query string as given).
--
--   BENCH_BODY_FILE=bench/results/body_nested.json BENCH_KEY=dzpk_live_... \
--     taskset -c 1 wrk -t1 -c32 -d10s --latency -s bench/request.lua http://127.0.0.1:8101/graphql
--   BENCH_KEY=dzpk_live_... \
--     taskset -c 1 wrk -t1 -c32 -d10s --latency -s bench/request.lua "http://127.0.0.1:8101/v1/customers?limit=50"
--
-- BENCH_BODY_FILE: a file holding the JSON body, {"query": "...", "variables": {...}} (run.py writes them).
-- BENCH_KEY: the API key, sent as "Authorization: Bearer <key>"; empty or unset sends no Authorization.
-- BENCH_UNIQUE: a tag of this wrk run, for writes: every request then gets its own "Idempotency-Key:
-- <tag>-<thread>-<n>", which also replaces "{n}" in the body, so that no request replays another.
-- Otherwise the request is static (set here, at load time), so wrk formats it once per thread.
-- done() prints one machine-readable line, "BENCH_JSON {...}", after wrk's own report; bench/run.py parses it.

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file ~= nil and body_file ~= "" then
   local handle, problem = io.open(body_file, "rb")
   if handle == nil then
      error("cannot read BENCH_BODY_FILE: " .. tostring(problem))
   end
   wrk.method = "POST"
   wrk.body = handle:read("*a")
   handle:close()
   wrk.headers["Content-Type"] = "application/json"
else
   wrk.method = "GET"
   wrk.body = nil
end
wrk.headers["Accept"] = "application/json"
local key = os.getenv("BENCH_KEY")
if key ~= nil and key ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. key
end

local unique = os.getenv("BENCH_UNIQUE")
if unique ~= nil and unique ~= "" then
   local threads = 0
   function setup(thread)
      threads = threads + 1
      thread:set("thread_number", threads)
   end
   local template = wrk.body
   local sent = 0
   function request()
      sent = sent + 1
      local key = unique .. "-" .. tostring(thread_number or 0) .. "-" .. tostring(sent)
      local body = template:gsub("{n}", key)
      -- wrk.format takes the headers given instead of wrk.headers, not beside them.
      local headers = { ["Idempotency-Key"] = key }
      for name, value in pairs(wrk.headers) do
         headers[name] = value
      end
      return wrk.format(nil, nil, headers, body)
   end
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
