-- Counts attempts into a client's window for one action and bans at the threshold, in
-- one step. Times are the caller's clock in ms; key TTLs are durations, so they hold
-- whatever Redis's own clock says.
-- KEYS: window (hash: count, ends), ban (string: ban end)
-- ARGV: attempts, now, window ms, ban threshold, ban ms
-- Returns {count, window_ends_at, banned_until (0 if not banned)}.
local attempts = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends'))
local count
if ends and now < ends then
  count = redis.call('HINCRBY', KEYS[1], 'count', attempts)
else
  -- No open window: one opens at this attempt (as vanish_core::ratelimit::Policy::count).
  ends = now + tonumber(ARGV[3])
  count = attempts
  redis.call('HSET', KEYS[1], 'count', count, 'ends', string.format('%.0f', ends))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local banned_until = tonumber(redis.call('GET', KEYS[2]))
if not (banned_until and now < banned_until) then
  banned_until = 0
  if count >= tonumber(ARGV[4]) then
    banned_until = now + tonumber(ARGV[5])
    redis.call('SET', KEYS[2], string.format('%.0f', banned_until), 'PX', ARGV[5])
  end
end
return {count, ends, banned_until}
