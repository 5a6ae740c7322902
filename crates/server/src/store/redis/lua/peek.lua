-- Metadata of a revealable secret; changes nothing.
-- KEYS: secret, receipt
-- ARGV: now
-- Returns {1, expires_at, views_left, has_verifier} or {0, 0, 0, 0}.
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[2], 'state', 'views_left', 'expires_at')
if not is_revealable(r[1], r[2], r[3], now) or redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 0, 0, 0}
end
return {1, tonumber(r[3]), tonumber(r[2]), redis.call('HEXISTS', KEYS[1], 'verifier')}
