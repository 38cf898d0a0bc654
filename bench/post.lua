-- wrk script: POST a request body built per request; counts answers by status.
-- BENCH_PATH, BENCH_KIND ("json-lead", "empty", "multipart") and BENCH_COOKIE/BENCH_CSRF
-- come from the environment.
local threads = {}
local path = os.getenv("BENCH_PATH") or "/"
local kind = os.getenv("BENCH_KIND") or "empty"
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local fixed_body = nil

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  -- Every run and thread its own addresses: a repeat signup would only add a touch.
  stamp = os.time()
  math.randomseed(stamp * 100 + tid)
  codes = {}
  if kind == "multipart" then
    local file = io.open(os.getenv("BENCH_FILE"), "rb")
    local content = file:read("*all")
    file:close()
    local b = "----onepcobench"
    fixed_body = "--" .. b .. "\r\nContent-Disposition: form-data; name=\"assignment\"\r\n\r\n" .. os.getenv("BENCH_ASSIGNMENT") ..
      "\r\n--" .. b .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" ..
      content .. "\r\n--" .. b .. "--\r\n"
  end
end

function request()
  counter = counter + 1
  local headers = {}
  local body = ""
  if kind == "json-lead" then
    headers["Content-Type"] = "application/json"
    body = string.format('{"name": "压测学员", "email": "bench-%d-%d-%d-%d@example.com", "consent": true, "channel": "bench"}',
      stamp, tid, counter, math.random(1, 1000000000))
  elseif kind == "multipart" then
    headers["Content-Type"] = "multipart/form-data; boundary=----onepcobench"
    body = fixed_body
  end
  if cookie then headers["Cookie"] = cookie end
  if csrf then headers["X-CSRFToken"] = csrf end
  headers["Referer"] = "http://127.0.0.1/"
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("codes")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write("CODES {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("P50 %d\nP99 %d\nRPS %.1f\n", latency:percentile(50), latency:percentile(99),
    summary.requests / (summary.duration / 1e6)))
end
