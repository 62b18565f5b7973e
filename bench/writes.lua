-- wrk script for bench/writes.py: one write per request, each with its own Idempotency-Key
-- ("<BENCH_UNIQUE>-<n>", which also replaces "{n}" in the body). With BENCH_FIRST_ID, "{id}" in BENCH_PATH is
-- replaced by BENCH_FIRST_ID + n (n counts from 0, so that every request writes a row of its own), and "{seq}" in the
-- body by n in seven digits (a phone number of its own per request: "055{seq}"). Run with -t1.
--
--   BENCH_METHOD=PATCH BENCH_PATH=/v1/orders/{id} BENCH_FIRST_ID=101 BENCH_BODY_FILE=body.json BENCH_KEY=... \
--   BENCH_UNIQUE=ab12 wrk -t1 -c32 -d8s --latency -s bench/writes.lua http://127.0.0.1:8101

local handle = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local template = handle:read("*a")
handle:close()
local method = os.getenv("BENCH_METHOD") or "POST"
local path = os.getenv("BENCH_PATH") or "/"
local first_id = tonumber(os.getenv("BENCH_FIRST_ID") or "0")
local tag = os.getenv("BENCH_UNIQUE") or "w"
local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
local key = os.getenv("BENCH_KEY")
if key ~= nil and key ~= "" then
   headers["Authorization"] = "Bearer " .. key
end
local sent = 0

function request()
   local n = sent
   sent = sent + 1
   local unique = tag .. "-" .. tostring(n)
   headers["Idempotency-Key"] = unique
   local target = path:gsub("{id}", tostring(first_id + n))
   local body = template:gsub("{n}", unique):gsub("{seq}", string.format("%07d", n))
   return wrk.format(method, target, headers, body)
end

-- The first answer that is not 2xx is printed (by the thread: done() runs in another Lua state): a write refused
-- under load says why.
local refused = false
function response(status, headers, body)
   if status >= 300 and not refused then
      refused = true
      io.write("BENCH_REFUSED " .. tostring(status) .. " " .. body:sub(1, 500) .. "\n")
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
