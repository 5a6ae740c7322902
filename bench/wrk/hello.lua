-- Ceiling: plain GET against bench-hello, with the same status accounting as the vanish
-- scenarios so all of them pay the same Lua cost per response in wrk.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")
