-- share = cluster: one host's exchange for one group (user/cluster.c sends
-- it with EVALSHA every 250 ms; docs/cluster.md). It writes this host's
-- entry, stamped with Redis's own clock (the hosts' clocks need not agree),
-- drops the entries of hosts gone for a TTL, and returns the group's sums,
-- which are kept as entries come and go: a call costs the same at 3 hosts
-- and at 1000, and so does its reply.
-- KEYS[1] PREFIX:{GROUP}:use   hash: host -> entry "2 c1 .. c6", per limit
--                              -1 (pressed) or its claim in units/s
-- KEYS[2] PREFIX:{GROUP}:seen  sorted set: host -> ms of its last exchange
-- KEYS[3] PREFIX:{GROUP}:sum   hash: hosts, sat1..sat6, claim1..claim6
-- ARGV: host, entry, TTL in ms
-- Redis 5 and later replicate a script's effects; before, TIME needs this
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])

local function words(v)
  if not v then return nil end
  local w = {}
  for x in string.gmatch(v, '%S+') do w[#w + 1] = x end
  if w[1] ~= '2' or #w ~= 7 then return nil end
  for i = 2, 7 do
    local n = tonumber(w[i])
    -- nan, inf: a sum they entered would never come back out
    if not n or n ~= n or n == math.huge or n == -math.huge then return nil end
  end
  return w
end

-- add (sign 1) or take away (-1) one entry from the sums; the claims move
-- by the entry's own words, so that taking away undoes adding exactly
local function count(w, sign)
  if not w then return end
  redis.call('HINCRBY', KEYS[3], 'hosts', sign)
  for i = 1, 6 do
    local c = w[i + 1]
    if tonumber(c) < 0 then
      redis.call('HINCRBY', KEYS[3], 'sat' .. i, sign)
    elseif tonumber(c) > 0 then
      redis.call('HINCRBYFLOAT', KEYS[3], 'claim' .. i, sign < 0 and '-' .. c or c)
    end
  end
end

local function recount()
  redis.call('DEL', KEYS[3])
  local all = redis.call('HGETALL', KEYS[1])
  for j = 2, #all, 2 do count(words(all[j]), 1) end
end

local entry = words(ARGV[2])
if not entry then return redis.error_reply('iorate: an entry this script cannot read') end
-- the sums gone while the entries stayed (evicted): count them again
if redis.call('EXISTS', KEYS[3]) == 0 then recount() end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old ~= ARGV[2] then	-- a host at a steady share sends the same entry
  count(words(old), -1)
  count(entry, 1)
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
if #gone > 0 then
  for _, h in ipairs(gone) do count(words(redis.call('HGET', KEYS[1], h)), -1) end
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
end
-- a key evicted alone leaves the sums off: the times lost, entries that no
-- TTL would drop go; the entries lost, the count is wrong; recount either
-- way (rare, O(hosts))
local nr = redis.call('HLEN', KEYS[1])
if redis.call('ZCARD', KEYS[2]) ~= nr then
  for _, h in ipairs(redis.call('HKEYS', KEYS[1])) do
    if not redis.call('ZSCORE', KEYS[2], h) then redis.call('HDEL', KEYS[1], h) end
  end
  recount()
elseif tonumber(redis.call('HGET', KEYS[3], 'hosts') or '0') ~= nr then
  recount()
end
-- all three go when no host has touched the group for ten TTLs
for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ttl * 10) end
return redis.call('HGETALL', KEYS[3])
