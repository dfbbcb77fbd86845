-- Keep the earliest delivery second of notice recipients (uint32 big-endian per index).
-- KEYS[1]: the broadcast's delivery times, KEYS[2]: the broadcast's meta hash (for total)
-- ARGV: n, then n pairs index, unix_seconds. Indexes outside the broadcast are ignored, so
-- a status for an unknown broadcast creates nothing.
local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
local written = 0
for i = 1, tonumber(ARGV[1]) do
  local index = tonumber(ARGV[2 * i])
  local at = tonumber(ARGV[2 * i + 1])
  if index >= 0 and index < total and at > 0 then
    local old = redis.call('GETRANGE', KEYS[1], index * 4, index * 4 + 3)
    local previous = 0
    if #old == 4 then previous = struct.unpack('>I4', old) end
    if previous == 0 or at < previous then
      redis.call('SETRANGE', KEYS[1], index * 4, struct.pack('>I4', at))
      written = written + 1
    end
  end
end
return written
