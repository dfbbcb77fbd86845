-- GCRA with batched slot leases: one round trip reserves n send slots for one sender number.
-- Redis TIME is the only clock, all integers in microseconds (exact in Lua doubles).
-- KEYS[1]: the number's TAT (theoretical arrival time) key
-- ARGV: interval_us (1/rate), tolerance_us ((burst-1) * interval), n, max_wait_us, pushback_us
-- pushback_us > 0 instead pushes every sender back: TAT = max(TAT, now + pushback + tolerance).
-- Returns {granted, offset_us, now_us}: slot i is at Redis time now + offset + i * interval
-- (the caller maps Redis time to its own clock); when nothing is granted, offset is how long
-- to wait before asking again.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local pushback = tonumber(ARGV[5])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if pushback > 0 then
  local pushed = now + pushback + tolerance
  if pushed > tat then tat = pushed end
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  return {0, tat - tolerance - now, now}
end
local start = tat - tolerance
if start - now > max_wait then return {0, start - now, now} end
local new_tat = tat + n * interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {n, start - now, now}
