-- One secret's sweep step, idempotent so any number of instances may sweep at once:
-- past expiry the material goes and a pending receipt turns expired; past retention the
-- receipt goes too. Redis TTLs do the same in real time; this step makes the effect
-- follow the caller's clock and counts it exactly once.
-- KEYS: secret, receipt
-- ARGV: now, receipt retention ms
-- Returns {expired, purged, next_due}; next_due 0 means drop the secret from the index.
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[2], 'state', 'expires_at')
if not r[1] then
  redis.call('DEL', KEYS[1])
  return {0, 0, 0}
end
local expires_at = tonumber(r[2])
local purge_at = expires_at + tonumber(ARGV[2])
if now >= purge_at then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {0, 1, 0}
end
if now < expires_at then
  return {0, 0, expires_at}
end
local expired = 0
if r[1] == 'pending' then
  redis.call('HSET', KEYS[2], 'state', 'expired')
  expired = 1
end
redis.call('DEL', KEYS[1])
return {expired, 0, purge_at}
