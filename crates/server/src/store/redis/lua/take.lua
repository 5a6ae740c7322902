-- Consumes one view, atomically: revealability (exact expiry against the caller's `now`),
-- the passphrase proof, failed-proof counting with a burn at the limit, the decrement, the
-- view time, and at zero views the deletion of the material. The receipt stays.
-- KEYS: secret, receipt, this call's reply (see `replayed`)
-- ARGV: now, proof hex ('' for none), max failed proofs, reply TTL ms
-- Returns {code, encrypted, iv, views_left}; code 0 not found, 1 revealed,
-- 2 passphrase required, 3 passphrase invalid.
local done = replayed()
if done then
  return done
end
local function reply(code, encrypted, iv, left)
  return remember({code, encrypted, iv, left}, ARGV[4])
end
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[2], 'state', 'views_left', 'expires_at')
if not is_revealable(r[1], r[2], r[3], now) then
  return reply(0, '', '', 0)
end
local s = redis.call('HMGET', KEYS[1], 'encrypted', 'iv', 'verifier')
if not s[1] then
  -- Redis expired the material a moment before the caller's clock did.
  return reply(0, '', '', 0)
end
if s[3] then
  if ARGV[2] == '' then
    return reply(2, '', '', 0)
  end
  if not same_hash(s[3], ARGV[2]) then
    if redis.call('HINCRBY', KEYS[1], 'failed', 1) >= tonumber(ARGV[3]) then
      redis.call('DEL', KEYS[1])
      redis.call('HSET', KEYS[2], 'state', 'burned')
    end
    return reply(3, '', '', 0)
  end
end
local left = redis.call('HINCRBY', KEYS[2], 'views_left', -1)
local viewed = redis.call('HGET', KEYS[2], 'viewed_at')
if viewed == false or viewed == '' then
  viewed = ARGV[1]
else
  viewed = viewed .. ',' .. ARGV[1]
end
redis.call('HSET', KEYS[2], 'viewed_at', viewed)
if left == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'state', 'viewed')
end
return reply(1, s[1], s[2], left)
