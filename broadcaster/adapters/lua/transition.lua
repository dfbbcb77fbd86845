-- Move recipients of one broadcast to new states, if the state machine allows it.
-- KEYS: states (1 byte per recipient), attempts (1 byte each), counts (hash), due (hash)
-- Indexes outside the broadcast (or a broadcast that does not exist) are ignored.
-- ARGV: count, then per recipient: index, target, source_mask, attempt, attempt_rule, due_ms
--   attempt_rule: 0 any attempt, 1 exactly this attempt, 2 this attempt or a later one
--   due_ms: deadline stored for timed states (0 = none)
-- Returns a flat list {index, old, new, ...} of the moves actually made.
local states, attempts, counts, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local names = {[0] = 'pending', 'sending', 'accepted', 'sent', 'delivered', 'read', 'failed',
  'unknown', 'retry', 'skipped', 'waiting_budget'}
local applied = {}
local count = tonumber(ARGV[1])
local total = redis.call('STRLEN', states)
for i = 0, count - 1 do
  local base = 2 + i * 6
  local index = tonumber(ARGV[base])
  local target = tonumber(ARGV[base + 1])
  local mask = tonumber(ARGV[base + 2])
  local attempt = tonumber(ARGV[base + 3])
  local rule = tonumber(ARGV[base + 4])
  local due_ms = ARGV[base + 5]
  local current = string.byte(redis.call('GETRANGE', states, index, index)) or 0
  local ok = index >= 0 and index < total and math.floor(mask / 2 ^ current) % 2 == 1
  if ok and rule > 0 then
    local stored = string.byte(redis.call('GETRANGE', attempts, index, index)) or 0
    if rule == 1 then ok = stored == attempt else ok = attempt >= stored end
  end
  if ok and current ~= target then
    redis.call('SETRANGE', states, index, string.char(target))
    redis.call('HINCRBY', counts, names[current], -1)
    redis.call('HINCRBY', counts, names[target], 1)
    if due_ms ~= '0' then
      redis.call('HSET', due, index, due_ms)
    else
      redis.call('HDEL', due, index)
    end
    applied[#applied + 1] = index
    applied[#applied + 1] = current
    applied[#applied + 1] = target
  end
end
return applied
