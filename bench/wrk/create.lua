-- (a) create: POST /api/secrets with what a browser or `vanish send` uploads for a short
-- secret: 204 bytes of AES-256-GCM output (188-byte plaintext + 16-byte tag) as base64url
-- (272 characters), its 12-byte nonce (16 characters), a one-hour TTL (unless told
-- otherwise) and one view.
-- The server treats both fields as opaque bytes, so one random body per thread is enough.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "status.lua")

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- n base64url characters; n is a multiple of 4, so every bit is payload and no decoder
-- can object to non-canonical trailing bits.
local function random_b64url(n)
   local out = {}
   for i = 1, n do
      local k = math.random(1, 64)
      out[i] = alphabet:sub(k, k)
   end
   return table.concat(out)
end

-- args[1], if given, is the TTL in ms (bench/run.sh's PREFILL uses short ones).
function init(args)
   math.randomseed(os.time() + (tid or 0))
   local body = string.format(
      '{"encrypted":"%s","iv":"%s","ttl":%d,"maxViews":1}',
      random_b64url(272), random_b64url(16), tonumber(args[1]) or 3600000)
   wrk.method = "POST"
   wrk.path = "/api/secrets"
   wrk.headers["Content-Type"] = "application/json"
   wrk.body = body
   -- Built once: every request of this thread is the same bytes.
   create_request = wrk.format()
end

function request()
   return create_request
end
