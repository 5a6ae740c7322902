-- The sender destroys a secret: with the right manage token, the material is deleted and
-- a revealable secret's receipt says burned; a used-up or expired one keeps its state.
-- KEYS: secret, receipt
-- ARGV: now, manage hex, receipt retention ms
-- Returns 0 not found, 1 forbidden, 2 done.
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[2], 'state', 'views_left', 'expires_at', 'manage')
if not r[1] or now >= tonumber(r[3]) + tonumber(ARGV[3]) then
  return 0
end
if not same_hash(r[4], ARGV[2]) then
  return 1
end
if is_revealable(r[1], r[2], r[3], now) then
  redis.call('HSET', KEYS[2], 'state', 'burned')
end
redis.call('DEL', KEYS[1])
return 2
