-- (b) reveal: POST /api/secrets/{id}/reveal with `{}` (no passphrase), the consuming read
-- the web UI and `vanish get` use. Each call consumes one view, so bench/run.sh creates
-- enough views beforehand and checks afterwards that every answer was a 200: a 404 means
-- the ids ran out of views and the figure is void.
-- Arguments after `--`: <ids file> <wrk threads>.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")
dofile(dir .. "ids.lua")

function init(args)
   load_ids(args)
end

local headers = { ["Content-Type"] = "application/json" }

function request()
   return wrk.format("POST", "/api/secrets/" .. next_id() .. "/reveal", headers, "{}")
end
