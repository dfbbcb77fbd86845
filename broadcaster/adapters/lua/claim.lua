-- Claim recipients for sending: record the intent (state sending, attempt + 1, deadline)
-- before any request leaves. Checks the pair rate limit and the messaging-limit budget.
-- KEYS: states, attempts, counts, due, budget (zset of recipients in the rolling window),
--       meta (the broadcast's hash), hold (the account-wide sending hold)
-- ARGV: now_ms, reconcile_ms, pair_ttl_ms, budget_limit (0 = unlimited), budget_window_ms,
--       claimable_mask, count, incident_id, revision, then the recipients packed in one
--       string (one argument, not four per recipient: encoding arguments is what costs the
--       client): per recipient index, pair_key ("" = none), member, cadence_key ("" = none:
--       the customer's cadence record, which a claim updates: last message time, messages
--       for this incident, revision told), each field ended by \31 and the last by \30;
--       then counted (1: the message counts toward the customer's per-incident limit)
-- A customer's cadence record changes on a recipient's first attempt only: a retry is the
-- same message (it must not count twice, hold itself back, or find itself already told).
-- Claims nothing and returns {-1, 0} when the broadcast is not running (paused, cancelled)
-- and {-2, 0} while the account is held: a pause takes effect before the next request.
-- Otherwise returns per recipient two numbers {code, value}:
--   1, attempt   claimed       0, 0        not claimable now (state or deadline)
--   2, wait_ms   pair limit    3, wait_ms  messaging limit used up (state waiting_budget)
local states, attempts, counts, due, budget = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local reconcile = tonumber(ARGV[2])
local pair_ttl = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local mask = tonumber(ARGV[6])
local count = tonumber(ARGV[7])
local incident, revision = ARGV[8], tonumber(ARGV[9])
local counted = tonumber(ARGV[11])
if redis.call('HGET', KEYS[6], 'status') ~= 'running' then return {-1, 0} end
if redis.call('EXISTS', KEYS[7]) == 1 then return {-2, 0} end
local names = {[0] = 'pending', 'sending', 'accepted', 'sent', 'delivered', 'read', 'failed',
  'unknown', 'retry', 'skipped', 'waiting_budget', 'held'}
local out = {}
local total = redis.call('STRLEN', states)
if limit > 0 then redis.call('ZREMRANGEBYSCORE', budget, '-inf', now - window) end

-- changes of the counts by state, written once at the end (one HINCRBY per state touched)
local delta = {}
local function move(index, current, target, deadline)
  redis.call('SETRANGE', states, index, string.char(target))
  delta[current] = (delta[current] or 0) - 1
  delta[target] = (delta[target] or 0) + 1
  redis.call('HSET', due, index, deadline)
end

local recipients = '([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\30]*)\30'
for index, pair_key, member, cadence_key in string.gmatch(ARGV[10], recipients) do
  index = tonumber(index)
  local current = string.byte(redis.call('GETRANGE', states, index, index)) or 0
  local code, value = 0, 0
  local claimable = index < total and math.floor(mask / 2 ^ current) % 2 == 1
  if claimable and current ~= 0 then
    local deadline = tonumber(redis.call('HGET', due, index) or '0')
    claimable = deadline <= now
  end
  if claimable and pair_key ~= '' and pair_ttl > 0 then
    if not redis.call('SET', pair_key, '1', 'NX', 'PX', pair_ttl) then
      claimable = false
      code, value = 2, math.max(1, redis.call('PTTL', pair_key))
    end
  end
  if claimable and limit > 0 and not redis.call('ZSCORE', budget, member) then
    if redis.call('ZCARD', budget) >= limit then
      local oldest = redis.call('ZRANGE', budget, 0, 0, 'WITHSCORES')
      local wait = math.max(1000, tonumber(oldest[2]) + window - now)
      if current ~= 10 then move(index, current, 10, now + wait) end
      claimable = false
      code, value = 3, wait
      if pair_key ~= '' and pair_ttl > 0 then redis.call('DEL', pair_key) end
    end
  end
  if claimable then
    if limit > 0 then redis.call('ZADD', budget, now, member) end
    local attempt = (string.byte(redis.call('GETRANGE', attempts, index, index)) or 0) + 1
    if attempt > 255 then attempt = 255 end
    redis.call('SETRANGE', attempts, index, string.char(attempt))
    move(index, current, 1, now + reconcile)
    if cadence_key ~= '' and attempt == 1 then  -- a retry is the same message, not another
      redis.call('HSET', cadence_key, 'last', now)
      if counted == 1 then redis.call('HINCRBY', cadence_key, 'n:' .. incident, 1) end
      local told = tonumber(redis.call('HGET', cadence_key, 'r:' .. incident) or '0')
      if revision > told then redis.call('HSET', cadence_key, 'r:' .. incident, revision) end
      redis.call('PEXPIRE', cadence_key, 14 * 86400000)
    end
    code, value = 1, attempt
  end
  out[#out + 1] = code
  out[#out + 1] = value
end
for state, change in pairs(delta) do
  if change ~= 0 then redis.call('HINCRBY', counts, names[state], change) end
end
return out
