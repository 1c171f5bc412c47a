-- wrk script for bench/serve.sh: every request is the same POST /v1/completions (body from
-- FINCH_BENCH_BODY); the tokens each answer reports in `usage` are summed per thread, and done()
-- prints one JSON line with requests, tokens, non-200 answers and latency percentiles.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("FINCH_BENCH_BODY")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  tokens = 0
  failures = 0
end

function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    return
  end
  local n = body:match('"completion_tokens":(%d+)')
  if n then tokens = tokens + tonumber(n) end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("tokens")
    failed = failed + thread:get("failures")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "tokens": %d, "non_200": %d, "socket_errors": %d, "seconds": %.3f, "latency_p50_ms": %.1f, "latency_p99_ms": %.1f}\n',
    summary.requests, total, failed, errors, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
