-- Save an incident if nobody changed it since we read it, with its audit entry and the
-- actions it triggers (the outbox), all at once.
-- KEYS: incident, audit list, incident index (zset), outbox (list), open incidents (set)
-- ARGV: json, expected_revision (0 = must not exist), audit_json, score, n_actions, actions...
-- Returns 1 when saved, 0 when it already exists (create), -1 on a revision conflict.
local current = redis.call('GET', KEYS[1])
local expected = tonumber(ARGV[2])
if expected == 0 then
  if current then return 0 end
else
  if not current then return -1 end
  local stored = cjson.decode(current)['revision']
  if tonumber(stored) ~= expected then return -1 end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
local saved = cjson.decode(ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], saved['id'])
if saved['status'] == 'resolved' or saved['status'] == 'cancelled' then
  redis.call('SREM', KEYS[5], saved['id'])
else
  redis.call('SADD', KEYS[5], saved['id'])
end
local n = tonumber(ARGV[5])
for i = 1, n do redis.call('RPUSH', KEYS[4], ARGV[5 + i]) end
return 1
