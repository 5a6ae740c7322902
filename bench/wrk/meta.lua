-- (c) metadata: GET /api/secrets/{id}/meta, which never consumes, over the same ids as
-- reveal.lua. Arguments after `--`: <ids file> <wrk threads>.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")
dofile(dir .. "ids.lua")

function init(args)
   load_ids(args)
end

function request()
   return wrk.format("GET", "/api/secrets/" .. next_id() .. "/meta")
end
