-- wrk script for bench/tracking_throughput.py: sends pre-signed requests, each exactly once, and keeps the bodies of
-- the 202 answers so that the script can check every id it was given against what was stored.
--
--   BENCH_REQUESTS_FILE=bench/results/tracking-.../requests BENCH_RESPONSES_FILE=bench/results/tracking-.../responses \
--     taskset -c 1 wrk -t1 -c32 -d10s --timeout=10s --latency -s bench/events.lua http://127.0.0.1:8111/v1/events
--
-- Every signed request needs its own signature (the server refuses a replay), and wrk's LuaJIT has no HMAC-SHA256,
-- so tracking_throughput.py signs the requests beforehand, just before each run (well within the 300 s
-- timestamp tolerance), and writes them as complete HTTP/1.1 requests, one file per wrk thread:
-- "<BENCH_REQUESTS_FILE>.<thread>". A file is a sequence of records "<byte length>\n<raw request>". request()
-- hands them out in order and never twice. When a thread runs out, it sends "GET /healthz" instead and counts
-- it as "exhausted": the script then throws the run away and signs more for the next attempt.
--
-- response() counts the answers by status and appends each 202 body, one per line, to
-- "<BENCH_RESPONSES_FILE>.<thread>" (the answer is one line of JSON). The first answer that is not a 202 is kept.
-- done() prints one machine-readable line, "BENCH_JSON {...}", with the same fields as request.lua's (so run.py's
-- parse_wrk reads it) plus the per-status counts, the requests handed out and the exhausted ones, and, when there
-- was one, "BENCH_OTHER <status> <body>".
--
-- wrk calls request() once before the run to check the script (for thread 0 only): that request is never sent,
-- so "issued" can be one more than what was sent. Requests still in flight when wrk stops were sent (and may have
-- been accepted) but their answers are not counted: the script's check allows for both.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local requests = {}
local position = 0
local fallback = nil
local out = nil
issued = 0
exhausted = 0
statuses = {}
first_other = ""

local function read_records(path)
   local handle, problem = io.open(path, "rb")
   if handle == nil then
      error("cannot read " .. path .. ": " .. tostring(problem))
   end
   local data = handle:read("*a")
   handle:close()
   local list = {}
   local at = 1
   local size = #data
   while at <= size do
      local newline = string.find(data, "\n", at, true)
      if newline == nil then
         error("truncated record header in " .. path)
      end
      local length = tonumber(string.sub(data, at, newline - 1))
      if length == nil or newline + length > size then
         error("bad record length in " .. path)
      end
      list[#list + 1] = string.sub(data, newline + 1, newline + length)
      at = newline + length + 1
   end
   return list
end

function init(args)
   local prefix = os.getenv("BENCH_REQUESTS_FILE")
   local responses = os.getenv("BENCH_RESPONSES_FILE")
   if prefix == nil or prefix == "" or responses == nil or responses == "" then
      error("BENCH_REQUESTS_FILE and BENCH_RESPONSES_FILE must be set (bench/tracking_throughput.py sets them)")
   end
   requests = read_records(prefix .. "." .. id)
   local problem
   out, problem = io.open(responses .. "." .. id, "wb")
   if out == nil then
      error("cannot write " .. responses .. "." .. id .. ": " .. tostring(problem))
   end
   out:setvbuf("full", 1048576)
   fallback = wrk.format("GET", "/healthz", {["Host"] = wrk.headers["Host"]}, nil)
end

function request()
   issued = issued + 1
   position = position + 1
   local raw = requests[position]
   if raw == nil then
      exhausted = exhausted + 1
      return fallback
   end
   requests[position] = nil -- each is sent once; let the collector have it
   return raw
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 202 then
      out:write(body, "\n")
      if statuses[status] % 1000 == 0 then
         out:flush()
      end
   elseif first_other == "" then
      first_other = tostring(status) .. " " .. string.gsub(tostring(body), "[\r\n]", " ")
   end
end

function done(summary, latency, requests_done)
   local errors = summary.errors
   local total_issued, total_exhausted = 0, 0
   local counts = {}
   local other = ""
   for _, thread in ipairs(threads) do
      total_issued = total_issued + (thread:get("issued") or 0)
      total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
      for status, count in pairs(thread:get("statuses") or {}) do
         counts[status] = (counts[status] or 0) + count
      end
      local first = thread:get("first_other") or ""
      if other == "" and first ~= "" then
         other = first
      end
   end
   local parts = {}
   for status, count in pairs(counts) do
      parts[#parts + 1] = string.format('"%d":%d', status, count)
   end
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"statuses":{%s},"issued":%d,"exhausted":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      table.concat(parts, ","), total_issued, total_exhausted))
   if other ~= "" then
      io.write("BENCH_OTHER " .. string.sub(other, 1, 2000) .. "\n")
   end
end
