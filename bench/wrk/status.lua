-- Shared by every bench/wrk scenario (loaded with dofile): counts answers by status code
-- in each thread and, when wrk is done, prints one machine-readable block that
-- bench/run.sh parses. wrk's own `Non-2xx or 3xx responses` line only exists when there
-- are some; this block always says how many answers were which code, so a fast stream
-- of 404s or 429s can never pass for throughput.
--
-- Lines printed (all times in microseconds):
--   BENCH requests <n>          completed requests
--   BENCH duration_us <us>      measured run time
--   BENCH latency <p50> <p90> <p99> <max>
--   BENCH socket_errors <connect> <read> <write> <timeout>
--   BENCH code <status> <n>     one line per status code seen

local threads = {}
local next_tid = 0

function setup(thread)
   -- Each thread gets a small index, so scenarios can give threads disjoint starting points.
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

codes = {}

function response(status, headers, body)
   codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("codes")) do
         merged[status] = (merged[status] or 0) + n
      end
   end
   local e = summary.errors
   io.write(string.format("BENCH requests %d\n", summary.requests))
   io.write(string.format("BENCH duration_us %d\n", summary.duration))
   io.write(string.format("BENCH latency %d %d %d %d\n",
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
   io.write(string.format("BENCH socket_errors %d %d %d %d\n",
      e.connect, e.read, e.write, e.timeout))
   local sorted = {}
   for status in pairs(merged) do table.insert(sorted, status) end
   table.sort(sorted)
   for _, status in ipairs(sorted) do
      io.write(string.format("BENCH code %d %d\n", status, merged[status]))
   end
end
