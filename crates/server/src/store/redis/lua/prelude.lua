-- Shared by every secret script (prepended to each). Times are the caller's clock in ms
-- (ARGV), so expiry is exact on read whatever Redis's own clock says.

-- A receipt's fields say the secret can still be revealed at `now`.
local function is_revealable(state, views_left, expires_at, now)
  return state == 'pending' and tonumber(views_left) > 0 and now < tonumber(expires_at)
end

-- Constant-time equality of two hex digests, so timing says nothing about a stored hash.
local function same_hash(a, b)
  if type(a) ~= 'string' or type(b) ~= 'string' or #a ~= #b then
    return false
  end
  local diff = 0
  for i = 1, #a do
    diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i)))
  end
  return diff == 0
end


-- Calls that a client may send twice (put, take: their reply can be lost on the way back,
-- and the call is then retried) carry a nonce of their own, and KEYS[3] is that call's
-- key. The first run keeps its reply there for a short time (ms, an ARGV); a retry of the
-- same call finds it and returns it instead of running again, so a lost reply never
-- stores a secret twice nor spends a second view.
local function replayed()
  local kept = redis.call('GET', KEYS[3])
  if kept then
    return cjson.decode(kept)
  end
  return nil
end

local function remember(reply, ttl_ms)
  redis.call('SET', KEYS[3], cjson.encode(reply), 'PX', ttl_ms)
  return reply
end
