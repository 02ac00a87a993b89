-- wrk_infer.lua: POST one KServe v2 request body over and over; print latency percentiles.
--
--   BODY=request.json wrk -t1 -c1 -d10s -s bench/wrk_infer.lua http://127.0.0.1:8080/v2/models/NAME/infer
--
-- BODY is a file with the request (e.g. {"inputs":[{"name":"input","shape":[1,30],"datatype":"FP32",
-- "data":[...]}]}). At the end one line: requests/s, p50/p90/p99 in microseconds, and the count of
-- non-2xx answers (must be 0 for the numbers to mean anything).
local file = os.getenv("BODY")
if not file then error("set BODY to a file holding the request body") end
local fh = assert(io.open(file, "rb"))
wrk.method = "POST"
wrk.body = fh:read("*a")
fh:close()
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local seconds = summary.duration / 1000000
  io.write(string.format("rps=%.0f p50_us=%d p90_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
