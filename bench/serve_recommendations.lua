-- wrk script for bench/serve.sh: GET /api/customers/{id}/recommendations?{FINCH_BENCH_QUERY}, the
-- id rotating through FINCH_BENCH_CUSTOMERS (comma-separated; each thread starts at its own
-- offset) with the admin token FINCH_BENCH_TOKEN. done() prints one JSON line with requests,
-- non-200 answers, socket errors and latency percentiles.
local token = os.getenv("FINCH_BENCH_TOKEN")
local query = os.getenv("FINCH_BENCH_QUERY") or "top_n=12"
local customers = {}
for id in string.gmatch(os.getenv("FINCH_BENCH_CUSTOMERS") or "", "%d+") do table.insert(customers, id) end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  failures = 0
  next_index = offset or 0
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  next_index = next_index + 1
  local id = customers[(next_index % #customers) + 1]
  return wrk.format("GET", "/api/customers/" .. id .. "/recommendations?" .. query)
end

function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "non_200": %d, "socket_errors": %d, "seconds": %.3f, "latency_p50_ms": %.1f, "latency_p95_ms": %.1f, "latency_p99_ms": %.1f}\n',
    summary.requests, failed, errors, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
