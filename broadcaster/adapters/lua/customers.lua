-- The customer directory's writes: each customer's record, lookups and index bits change
-- together, inside one script run, so no reader and no crash sees a customer half-indexed.
-- Every key derives from the prefix (layout in keys.py; record layout in customer_records.py).
--
-- ARGV[1] = prefix, ARGV[2] = operation:
--   'upsert', seen, k, entry_1, ..., entry_k, item_1, ..., item_n   (UpsertBatch)
--       entry: "attribute US value", an index entry some item names by its number.
--       item: 4 hex chars bucket of the id, 4 of the phone, the count of index entries and
--       each entry's number (2 bytes each, big-endian), then the record.
--       seen: '' or a bitmap of ordinals already written by this import (duplicate ids).
--       Returns one letter per item: c created, u updated, n unchanged; upper case when the
--       id was already written in this import (a duplicate: the later row wins).
--   'compact', key_1, ..., key_n
--       Rewrites each bitmap at its exact size: growing a bitmap bit by bit leaves Redis's
--       string allocation up to twice its length (a third of the index memory after an import).
--   'erase', item_1, ..., item_n
--       item: 4 hex chars bucket of the id, then the id. Removes the record, its lookups and
--       every index bit; an index left empty is deleted with its value. Returns one letter
--       per item: d erased, - unknown.
--
-- Index bits are collected while the items are processed and written at the end, one
-- GETRANGE/SETRANGE per bitmap for the dense runs a batch of new customers makes (their
-- ordinals are consecutive): about a third of the cost of one SETBIT per bit.
local prefix, op = ARGV[1], ARGV[2]
local US = '\31'
local bits = {}     -- bitmap key -> {ordinal -> 0|1}: the last write of the run wins
local indexes = {}  -- index bitmap key -> its entry (below)
local entry_of = {} -- attribute -> value -> {key, values, value, [0]/[1] = bit cleared/set}
local records = {}  -- ordinal -> record written by this run (MSET at the end)
local batch = {}    -- ordinals already handled by this run (duplicates within the batch)
local seq_key = prefix .. ':cust:seq'
local seq = tonumber(redis.call('GET', seq_key) or '0')
local first_seq = seq

local function split(record)
  local out, pos = {}, 1
  while true do
    local stop = string.find(record, US, pos, true)
    if not stop then
      out[#out + 1] = string.sub(record, pos)
      return out
    end
    out[#out + 1] = string.sub(record, pos, stop - 1)
    pos = stop + 1
  end
end

local function entry(attribute, value)
  local by_value = entry_of[attribute]
  if not by_value then
    by_value = {}
    entry_of[attribute] = by_value
  end
  local found = by_value[value]
  if not found then
    local key = prefix .. ':bm:' .. attribute .. ':' .. value
    found = {key = key, values = prefix .. ':vals:' .. attribute, value = value}
    by_value[value] = found
    indexes[key] = found
  end
  return found
end

-- the index entries of a split record: tier, language, calling code, attributes not '~name'
local function entries(f)
  local out = {[entry('tier', f[7])] = true, [entry('language', f[5])] = true}
  if f[8] ~= '' then out[entry('cc', f[8])] = true end
  for i = 9, #f - 1, 2 do
    if string.byte(f[i], 1) ~= 126 and f[i + 1] ~= '' then -- 126 = '~'
      out[entry(f[i], f[i + 1])] = true
    end
  end
  return out
end

local function set_bit(key, ord, value)
  local t = bits[key]
  if not t then
    t = {}
    bits[key] = t
  end
  t[ord] = value
end

local function bucket(kind, text)
  return prefix .. ':cust:' .. kind .. ':' .. string.sub(redis.sha1hex(text), 1, 4)
end

-- drop phone -> ordinal unless another customer has taken the number since
local function forget_phone(phone, ord)
  local phones = bucket('ph', phone)
  if redis.call('HGET', phones, phone) == tostring(ord) then
    redis.call('HDEL', phones, phone)
  end
end

-- the index changes from `before` to `after` (sets of entries)
local function reindex(before, after, ord)
  for e in pairs(before) do
    if not after[e] then
      set_bit(e.key, ord, 0)
      e[0] = true
    end
  end
  for e in pairs(after) do
    if not before[e] then
      set_bit(e.key, ord, 1)
      e[1] = true
    end
  end
end

local function duplicate(seen, ord)
  local again = batch[ord] or (seen ~= '' and redis.call('GETBIT', seen, ord) == 1)
  batch[ord] = true
  if seen ~= '' then set_bit(seen, ord, 1) end
  return again
end

local function stored(ord)
  return records[ord] or redis.call('GET', prefix .. ':c:' .. ord)
end

local numbered = {} -- entry number -> entry, for this run's items

-- the entries an item names: a new customer needs no parsing of its record
local function item_entries(item, count)
  local out = {}
  local b = {string.byte(item, 11, 10 + 2 * count)}
  for i = 1, 2 * count, 2 do out[numbered[b[i] * 256 + b[i + 1]]] = true end
  return out
end

local function upsert(seen, item)
  local count = string.byte(item, 9) * 256 + string.byte(item, 10)
  local record = string.sub(item, 11 + 2 * count)
  local id_end = string.find(record, US, 1, true)
  local phone_end = string.find(record, US, id_end + 1, true)
  local id, phone = string.sub(record, 1, id_end - 1), string.sub(record, id_end + 1, phone_end - 1)
  local ids = prefix .. ':cust:ids:' .. string.sub(item, 1, 4)
  local ord = redis.call('HGET', ids, id)
  local status, old = 'c', nil
  if ord then
    ord = tonumber(ord)
    old = stored(ord)
    status = old == record and 'n' or 'u'
  else
    seq = seq + 1
    ord = seq
    redis.call('HSET', ids, id, ord)
    set_bit(prefix .. ':bm:all', ord, 1)
  end
  if status == 'c' then
    local b = {string.byte(item, 11, 10 + 2 * count)}
    for i = 1, 2 * count, 2 do
      local e = numbered[b[i] * 256 + b[i + 1]]
      set_bit(e.key, ord, 1)
      e[1] = true
    end
  elseif status == 'u' then
    local before = {}
    if old then
      local g = split(old)
      before = entries(g)
      if g[2] ~= phone then forget_phone(g[2], ord) end
    end
    reindex(before, item_entries(item, count), ord)
  end
  if status ~= 'n' then
    records[ord] = record
    redis.call('HSET', prefix .. ':cust:ph:' .. string.sub(item, 5, 8), phone, ord)
    set_bit(prefix .. ':bm:optin', ord, string.byte(record, phone_end + 1) == 49 and 1 or 0)
  end
  if duplicate(seen, ord) then status = string.upper(status) end
  return status
end

local function erase(item)
  local id = string.sub(item, 5)
  local ids = prefix .. ':cust:ids:' .. string.sub(item, 1, 4)
  local ord = redis.call('HGET', ids, id)
  if not ord then return '-' end
  ord = tonumber(ord)
  local key = prefix .. ':c:' .. ord
  local old = stored(ord)
  if old then
    local f = split(old)
    reindex(entries(f), {}, ord)
    forget_phone(f[2], ord)
  end
  records[ord] = nil
  redis.call('DEL', key)
  redis.call('HDEL', ids, id)
  for _, name in ipairs({'all', 'optin', 'optout'}) do set_bit(prefix .. ':bm:' .. name, ord, 0) end
  return 'd'
end

-- bit k of a byte, counting from the most significant (SETBIT order)
local SET = {[0] = 128, 64, 32, 16, 8, 4, 2, 1}
local CLEAR = {[0] = 127, 191, 223, 239, 247, 251, 253, 254}

-- byte string <-> byte table in slices: unpack and string.byte are limited by the C stack
local SLICE = 4000
local function to_bytes(s, length)
  local out = {}
  for from = 1, #s, SLICE do
    local part = {string.byte(s, from, math.min(from + SLICE - 1, #s))}
    for i = 1, #part do out[from + i - 1] = part[i] end
  end
  for i = #s + 1, length do out[i] = 0 end
  return out
end

local function to_string(bytes)
  local parts = {}
  for from = 1, #bytes, SLICE do
    parts[#parts + 1] = string.char(unpack(bytes, from, math.min(from + SLICE - 1, #bytes)))
  end
  return table.concat(parts)
end

-- write one bitmap's collected bits: a dense run as one GETRANGE/SETRANGE, else SETBITs
local function flush(key, ordinals)
  local low, high, count, ones = nil, nil, 0, 0
  for ord, value in pairs(ordinals) do
    count = count + 1
    ones = ones + value
    if not low or ord < low then low = ord end
    if not high or ord > high then high = ord end
  end
  if ones == 0 and redis.call('EXISTS', key) == 0 then return end
  local first, last = math.floor(low / 8), math.floor(high / 8)
  if last - first + 1 > 16 * count then
    -- sparse: BITFIELD SET ops, at most 1,000 a call (unpack is limited by the C stack)
    local call, ops = {'BITFIELD', key}, 0
    for ord, value in pairs(ordinals) do
      call[#call + 1], call[#call + 2], call[#call + 3], call[#call + 4] = 'SET', 'u1', ord, value
      ops = ops + 1
      if ops == 1000 then
        redis.call(unpack(call))
        call, ops = {'BITFIELD', key}, 0
      end
    end
    if ops > 0 then redis.call(unpack(call)) end
    return
  end
  local current = redis.call('GETRANGE', key, first, last)
  local bytes = to_bytes(current, last - first + 1)
  for ord, value in pairs(ordinals) do
    local at = math.floor(ord / 8) - first + 1
    if value == 1 then
      bytes[at] = bit.bor(bytes[at], SET[ord % 8])
    else
      bytes[at] = bit.band(bytes[at], CLEAR[ord % 8])
    end
  end
  redis.call('SETRANGE', key, first, to_string(bytes))
end

-- an index that lost its last member goes, with its value; a new value joins its set
local function apply()
  local mset, count = {'MSET'}, 0
  for ord, record in pairs(records) do
    mset[#mset + 1] = prefix .. ':c:' .. ord
    mset[#mset + 1] = record
    count = count + 1
    if count == 1000 then
      redis.call(unpack(mset))
      mset, count = {'MSET'}, 0
    end
  end
  if count > 0 then redis.call(unpack(mset)) end
  if seq ~= first_seq then redis.call('SET', seq_key, seq) end
  for key, ordinals in pairs(bits) do
    flush(key, ordinals)
    local e = indexes[key]
    if e and e[0] and redis.call('BITPOS', key, 1) == -1 then
      redis.call('DEL', key)
      redis.call('SREM', e.values, e.value)
    elseif e and e[1] then
      redis.call('SADD', e.values, e.value)
    end
  end
end

local out = {}
if op == 'upsert' then
  local count = tonumber(ARGV[4])
  for i = 1, count do
    local text = ARGV[4 + i]
    local sep = string.find(text, US, 1, true)
    numbered[i] = entry(string.sub(text, 1, sep - 1), string.sub(text, sep + 1))
  end
  for i = 5 + count, #ARGV do out[#out + 1] = upsert(ARGV[3], ARGV[i]) end
elseif op == 'erase' then
  for i = 3, #ARGV do out[#out + 1] = erase(ARGV[i]) end
elseif op == 'compact' then
  for i = 3, #ARGV do
    local value = redis.call('GET', ARGV[i])
    if value then redis.call('SET', ARGV[i], value) end
  end
  return #ARGV - 2
else
  return redis.error_reply('unknown operation ' .. tostring(op))
end
apply()
return table.concat(out)
