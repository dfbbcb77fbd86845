-- Append one contact to its day's log, at most once per dedupe key.
-- KEYS[1]: the day's log, KEYS[2]: the log's start marker, KEYS[3] (optional): dedupe key
-- ARGV: line, log_ttl_s, dedupe_ttl_s, now_ms
-- Returns 1 when recorded, 0 for a duplicate.
if KEYS[3] and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then
  return 0
end
redis.call('APPEND', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'NX')
return 1
