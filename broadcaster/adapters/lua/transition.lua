-- Move recipients of one broadcast to new states, if the state machine allows it.
-- KEYS: states (1 byte per recipient), attempts (1 byte each), counts (hash), due (hash),
--       meta (hash: the broadcast, where the delivered cost adds up)
-- Indexes outside the broadcast (or a broadcast that does not exist) are ignored.
-- ARGV: the moves packed in one string (one argument, not seven per move): per move index,
--       target, source_mask, attempt, attempt_rule, due_ms, charge, each field ended by \31
--       and the last by \30
--   attempt_rule: 0 any attempt, 1 exactly this attempt, 2 this attempt or a later one
--   due_ms: deadline stored for timed states (0 = none)
--   charge: cost of the message, added once when it first counts as delivered (4 or 5)
-- Returns {total charged (string), index, old, new, ...} for the moves actually made.
local states, attempts, counts, due, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local charged = 0
local names = {[0] = 'pending', 'sending', 'accepted', 'sent', 'delivered', 'read', 'failed',
  'unknown', 'retry', 'skipped', 'waiting_budget', 'held'}
local applied = {}
-- changes of the counts by state, written once at the end (one HINCRBY per state touched)
local delta = {}
local total = redis.call('STRLEN', states)
local field = '([^\31]*)\31'
local moves = string.rep(field, 6) .. '([^\30]*)\30'
for index, target, mask, attempt, rule, due_ms, charge in string.gmatch(ARGV[1], moves) do
  index, target, mask = tonumber(index), tonumber(target), tonumber(mask)
  attempt, rule, charge = tonumber(attempt), tonumber(rule), tonumber(charge)
  local current = string.byte(redis.call('GETRANGE', states, index, index)) or 0
  local ok = index >= 0 and index < total and math.floor(mask / 2 ^ current) % 2 == 1
  if ok and rule > 0 then
    local stored = string.byte(redis.call('GETRANGE', attempts, index, index)) or 0
    if rule == 1 then ok = stored == attempt else ok = attempt >= stored end
  end
  if ok and current ~= target then
    redis.call('SETRANGE', states, index, string.char(target))
    delta[current] = (delta[current] or 0) - 1
    delta[target] = (delta[target] or 0) + 1
    if due_ms ~= '0' then
      redis.call('HSET', due, index, due_ms)
    else
      redis.call('HDEL', due, index)
    end
    if charge > 0 and target >= 4 and target <= 5 and current ~= 4 and current ~= 5 then
      charged = charged + charge
    end
    applied[#applied + 1] = index
    applied[#applied + 1] = current
    applied[#applied + 1] = target
  end
end
for state, change in pairs(delta) do
  if change ~= 0 then redis.call('HINCRBY', counts, names[state], change) end
end
if charged > 0 then redis.call('HINCRBYFLOAT', meta, 'cost_actual', charged) end
table.insert(applied, 1, string.format('%.6f', charged))
return applied
