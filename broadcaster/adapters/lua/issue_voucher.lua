-- Record a customer's voucher for an incident once; the first issuance wins forever.
-- KEYS: ledger (hash ordinal -> voucher JSON), totals (hash), month (string: the month this
--       customer was last compensated in)
-- ARGV: ordinal, voucher JSON, value, month ("2026-11"), once_per_month (1/0), pending (1/0)
-- Returns "new", "exists" (this incident already gave this customer a voucher), or "excluded"
-- (compensated for another incident this month).
local ledger, totals, month_key = KEYS[1], KEYS[2], KEYS[3]
local ordinal, voucher, value, month = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HEXISTS', ledger, ordinal) == 1 then return 'exists' end
if ARGV[5] == '1' and redis.call('GET', month_key) == month then return 'excluded' end
redis.call('HSET', ledger, ordinal, voucher)
redis.call('HINCRBY', totals, 'count', 1)
redis.call('HINCRBYFLOAT', totals, 'value', value)
if ARGV[6] == '1' then redis.call('HINCRBY', totals, 'pending', 1) end
redis.call('SET', month_key, month, 'EX', 62 * 86400)
return 'new'
