-- Stores a new secret: its material and its receipt, each with its TTL, in one step.
-- KEYS: secret, receipt, this call's reply (see `replayed`)
-- ARGV: encrypted, iv, verifier hex ('' for none), manage hex, created_at, expires_at,
--       max_views, secret TTL ms, receipt TTL ms, reply TTL ms
local done = replayed()
if done then
  return done
end
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  return redis.error_reply('ERR duplicate secret id')
end
redis.call('HSET', KEYS[1], 'encrypted', ARGV[1], 'iv', ARGV[2], 'failed', 0)
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'verifier', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('HSET', KEYS[2], 'state', 'pending', 'max_views', ARGV[7], 'views_left', ARGV[7],
  'viewed_at', '', 'created_at', ARGV[5], 'expires_at', ARGV[6], 'manage', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[9])
return remember(1, ARGV[10])
