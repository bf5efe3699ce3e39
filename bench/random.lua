-- wrk script: one random public request per call.
--   BENCH_KIND=deputy  -> GET /d/{id},  id uniform in [BENCH_MIN, BENCH_MAX]
--   BENCH_KIND=station -> GET /s/{id},  id uniform in [BENCH_MIN, BENCH_MAX]
--   BENCH_KIND=nearest -> GET /api/v1/stations/nearest?lat=&lng=  uniform in China's box
--   BENCH_KIND=healthz -> GET /healthz (the baseline)
local kind = os.getenv("BENCH_KIND") or "healthz"
local lo = tonumber(os.getenv("BENCH_MIN") or "1")
local hi = tonumber(os.getenv("BENCH_MAX") or "1")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919 + os.time())
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  local path
  if kind == "deputy" then
    path = "/d/" .. math.random(lo, hi)
  elseif kind == "station" then
    path = "/s/" .. math.random(lo, hi)
  elseif kind == "nearest" then
    path = string.format("/api/v1/stations/nearest?lat=%.5f&lng=%.5f", 18 + math.random() * 35, 73 + math.random() * 62)
  else
    path = "/healthz"
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT kind=%s requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    kind, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
