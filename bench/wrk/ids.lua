-- Shared by reveal.lua and meta.lua: reads the secret ids that bench/run.sh created
-- (path in wrk's script arguments, one id a line) and hands them out round-robin. Each
-- thread starts at its own offset, so the threads together spread requests evenly over
-- the ids and every id is used about requests / #ids times.
ids = {}
local cursor = 0

function load_ids(args)
   local path = args[1]
   local file = assert(io.open(path, "r"), "cannot open ids file " .. tostring(path))
   for line in file:lines() do
      if line ~= "" then table.insert(ids, line) end
   end
   file:close()
   assert(#ids > 0, "no ids in " .. path)
   local threads = tonumber(args[2]) or 1
   cursor = math.floor((tid or 0) * #ids / threads)
end

function next_id()
   cursor = cursor % #ids + 1
   return ids[cursor]
end
