-- Insert or update customers, each with its index bits, atomically per call.
-- ARGV: prefix, count, then per customer:
--   id, hash, phone, opt_in ("1"/"0"), nfields, field, value, ... (the record, attributes as
--   "a:<name>"), nentries, "<attr>\31<value>", ... (index entries, see Customer.index_entries)
-- Returns {created, updated, unchanged, ord_1, ..., ord_n} (0 for unchanged customers).
local prefix = ARGV[1]
local count = tonumber(ARGV[2])
local ids_key = prefix .. ':cust:ids'
local phones_key = prefix .. ':cust:phones'
local created, updated, unchanged = 0, 0, 0
local ordinals = {}
local pos = 3

local function index_key(entry)
  local sep = string.find(entry, '\31', 1, true)
  return prefix .. ':bm:' .. string.sub(entry, 1, sep - 1) .. ':' .. string.sub(entry, sep + 1),
    prefix .. ':vals:' .. string.sub(entry, 1, sep - 1), string.sub(entry, sep + 1)
end

-- the index entries a stored record implies: its a:<attr> fields, tier, language, calling code
local function stored_entries(record_key)
  local flat = redis.call('HGETALL', record_key)
  local entries = {}
  for j = 1, #flat, 2 do
    local name, value = flat[j], flat[j + 1]
    if string.sub(name, 1, 2) == 'a:' then
      entries[string.sub(name, 3) .. '\31' .. value] = true
    elseif name == 'tier' then
      entries['tier\31' .. value] = true
    elseif name == 'lang' then
      entries['language\31' .. value] = true
    elseif name == 'cc' then
      entries['cc\31' .. value] = true
    end
  end
  return entries
end

for c = 1, count do
  local id, hash, phone, optin = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], ARGV[pos + 3]
  local nfields = tonumber(ARGV[pos + 4])
  local fields_at = pos + 5
  pos = fields_at + nfields * 2
  local nentries = tonumber(ARGV[pos])
  local entries_at = pos + 1
  pos = entries_at + nentries

  local ord = redis.call('HGET', ids_key, id)
  local record_key
  local changed = true
  if ord then
    record_key = prefix .. ':c:' .. ord
    local old = redis.call('HMGET', record_key, 'h', 'phone')
    if old[1] == hash then
      changed = false
      unchanged = unchanged + 1
      ordinals[c] = 0
    else
      local keep = {}
      for e = entries_at, entries_at + nentries - 1 do keep[ARGV[e]] = true end
      for entry, _ in pairs(stored_entries(record_key)) do
        if not keep[entry] then
          local bitmap = index_key(entry)
          redis.call('SETBIT', bitmap, ord, 0)
        end
      end
      if old[2] and old[2] ~= phone and redis.call('HGET', phones_key, old[2]) == ord then
        redis.call('HDEL', phones_key, old[2])
      end
      redis.call('DEL', record_key)
      updated = updated + 1
    end
  else
    ord = tostring(redis.call('INCR', prefix .. ':cust:seq'))
    record_key = prefix .. ':c:' .. ord
    redis.call('HSET', ids_key, id, ord)
    redis.call('SETBIT', prefix .. ':bm:all', ord, 1)
    created = created + 1
  end
  if changed then
    ordinals[c] = tonumber(ord)
    local record = {'id', id, 'h', hash, 'phone', phone, 'optin', optin}
    for f = fields_at, fields_at + nfields * 2 - 1 do record[#record + 1] = ARGV[f] end
    redis.call('HSET', record_key, unpack(record))
    for e = entries_at, entries_at + nentries - 1 do
      local bitmap, values_key, value = index_key(ARGV[e])
      redis.call('SETBIT', bitmap, ord, 1)
      redis.call('SADD', values_key, value)
    end
    redis.call('HSET', phones_key, phone, ord)
    redis.call('SETBIT', prefix .. ':bm:optin', ord, optin == '1' and 1 or 0)
  end
end

local result = {created, updated, unchanged}
for c = 1, count do result[#result + 1] = ordinals[c] end
return result
