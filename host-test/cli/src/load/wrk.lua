-- wrk script of `assessio load`: each wrk thread sends its own share of the
-- prepared Kombo order events (one line each: "<X-Kombo-Signature>\t<body>")
-- to /kombo/webhook exactly once, paced to the target rate, and counts the
-- answers by status. Arguments after `--`: the file, the thread count, the
-- target rate in orders per second (0: as fast as the connections allow).
-- Once a thread has sent its share it asks for no more requests (delay of an
-- hour) and stops when every answer is in, so no order is cut off mid-way.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } assessio_timespec;
int clock_gettime(int clk_id, assessio_timespec *tp);
]]
local ts = ffi.new("assessio_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, shared by every thread
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads, rate = args[1], tonumber(args[2]), tonumber(args[3])
  prepared = {}
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local tab = line:find("\t", 1, true)
      if tab then
        local headers = { ["Content-Type"] = "application/json", ["X-Kombo-Signature"] = line:sub(1, tab - 1) }
        prepared[#prepared + 1] = wrk.format("POST", "/kombo/webhook", headers, line:sub(tab + 1))
      end
    end
    i = i + 1
  end
  planned = #prepared
  interval = 0
  if rate > 0 then interval = 1000 * nthreads / rate end
  reserved, sent, answered, filler = 0, 0, 0, 0
  first_ms, last_ms, start_ms = 0, 0, 0
  statuses = {}
end

function delay()
  if reserved >= planned then return 3600000 end
  local now = now_ms()
  if start_ms == 0 then start_ms = now end
  local due = start_ms + reserved * interval
  reserved = reserved + 1
  if due <= now then return 0 end
  return math.floor(due - now)
end

-- Every paced request was reserved by delay() first. A call with nothing
-- reserved is wrk checking the script before the run (its answer is never
-- sent), or one past the share: neither may use up an order.
function request()
  if sent < reserved and sent < planned then
    sent = sent + 1
    if first_ms == 0 then first_ms = now_ms() end
    return prepared[sent]
  end
  if reserved > 0 then filler = filler + 1 end
  return wrk.format("GET", "/.well-known/spin/health")
end

function response(status, headers, body)
  if body == "OK" then return end -- a filler's answer
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  last_ms = now_ms()
  if answered >= planned then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LOAD summary requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("LOAD latency p50=%d p90=%d p99=%d max=%d mean=%.0f\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  for _, t in ipairs(threads) do
    io.write(string.format("LOAD thread id=%d planned=%d sent=%d answered=%d filler=%d first_ms=%.3f last_ms=%.3f",
      t:get("id"), t:get("planned"), t:get("sent"), t:get("answered"), t:get("filler"), t:get("first_ms"),
      t:get("last_ms")))
    for status, n in pairs(t:get("statuses")) do io.write(string.format(" s%d=%d", status, n)) end
    io.write("\n")
  end
end
