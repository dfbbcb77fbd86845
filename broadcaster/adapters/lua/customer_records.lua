-- The records of some customers and their opt-out bits, in one call (what a chunk sends to).
-- KEYS: one customer hash per recipient, then the opted-out bitmap
-- ARGV: the recipients' ordinals, in the order of KEYS
-- Returns {record fields and values (flat, empty when erased), opted-out bit, ...}.
local opted_out = KEYS[#KEYS]
local out = {}
for i = 1, #KEYS - 1 do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
  out[#out + 1] = redis.call('GETBIT', opted_out, ARGV[i])
end
return out
