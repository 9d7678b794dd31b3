/**
 * The Lua scripts behind every state change. Each runs atomically inside Redis, so no other client's
 * command interleaves between a check and its write: `reserve` checks and reserves every line of a
 * request in one script (one round trip) and is all or nothing.
 *
 * Every script gets `KEYS[1]` = the namespace (`{genops}:`), which already carries the client's
 * `keyPrefix` if it has one, and builds every other key name from it. All of them therefore share the
 * namespace's hash tag and live in one Redis Cluster slot (scripts may touch undeclared keys of the
 * slot they run in). `ARGV[1]` is the retention (ms) and `ARGV[2]` the client's clock (epoch ms); the
 * last argument is the namespace epoch the client expects (removed from `ARGV` before the script reads it):
 * leases, periods, rolling windows and `markOnce` expiry follow the caller's clock, as in
 * `MemoryStore`; Redis key TTLs only garbage-collect state that no longer counts.
 *
 * Keys (after the namespace):
 * - `line:<key>` hash: `b` budget, `u` unit, `l` limit, `used`, `r` reserved, `x` period end, `w`/`bm`
 *   rolling window and bucket (ms), `t` last touched; `buckets:<key>` hash: bucket start → amount.
 * - `lines` sorted set (all scores 0, read by lex range): every line key, for `lines(prefix)`.
 * - `res:<id>` hash: `s` start, `e` lease end, `l` the reservation's lines (the JSON the client sent),
 *   `sent` '1' once its request left the process (an expired lease then commits it; absent = not sent).
 * - `leases` sorted set: open reservation id → lease end. `settled` sorted set: settled id → until
 *   when a repeated settlement of it is recognised and commits nothing (one lease length after an
 *   on-time settlement, the retention after a late one; an id past its time counts as forgotten and is
 *   dropped by the settlement script's occasional sweep). `sweep` string: where that sweep of the line
 *   index goes on.
 * - `mark:<key>` string: when the mark may be set again (`inf` = never).
 * - `approval:<id>` hash: `rec` the record as created (JSON), `st` status, `da`/`db`/`dr` decision,
 *   `seq` creation order; `approvals` sorted set: id by `createdAt`; `approvals:seq` counter.
 * - `epoch` string: the namespace's identity, a random id written once at first use and never expired;
 *   every script is given the epoch its client found and fails (`GENOPS_EPOCH <found>`) when it differs.
 * - `money` string: `nano` once USD amounts count nano-USD (written with the epoch; a namespace with an
 *   epoch and no `money` key counts micro-USD and is migrated by the epoch script, see {@link EPOCH_LUA}).
 * - `audit` stream: one entry per record (id `<seq>-0`, field `r` = the record's JSON);
 *   `audit:tip` hash: `seq` and `hash` of the last record.
 *
 * Numbers cross the script boundary as decimal strings, never as Lua numbers in replies (Redis
 * truncates those to integers) and never through cjson's encoder (14 significant digits).
 */

const PRELUDE = `
-- Locals, not global lookups (a global and a table field each) in the hot paths.
local call, format, floor, tonumber = redis.call, string.format, math.floor, tonumber
local NS = KEYS[1]
-- The last argument is the namespace's epoch as this client first found it: a flushed database (or a
-- deleted or changed epoch key) fails the script before it reads or writes anything.
local EPOCH = table.remove(ARGV)
local FOUND_EPOCH = call('GET', NS .. 'epoch')
if FOUND_EPOCH ~= EPOCH then return redis.error_reply('GENOPS_EPOCH ' .. (FOUND_EPOCH or '')) end
local RET = tonumber(ARGV[1])
local NOW = tonumber(ARGV[2])
local INDEX = NS .. 'lines'
local LEASES = NS .. 'leases'
local SETTLED = NS .. 'settled'
local LEASE = nil

local function num(x)
  -- Integers first (nearly every amount): NaN and infinities fail this test.
  if x % 1 == 0 and x > -9007199254740992 and x < 9007199254740992 then return format('%d', x) end
  if x ~= x then return 'nan' end
  if x == math.huge then return 'inf' end
  if x == -math.huge then return '-inf' end
  return format('%.17g', x)
end

local function opt(s)
  if s == nil or s == false or s == '' then return nil end
  return tonumber(s)
end
`;

/** Budget line counters: loaded once per script, changed in Lua, written back by `save()`. */
const COUNTERS = `
local C = {}
local ORDER = {}

local function lkey(k) return NS .. 'line:' .. k end
local function bkey(k) return NS .. 'buckets:' .. k end

-- Parsed lines by their JSON, for this script run: the reservations and settlements of a batch often carry
-- the same lines (a settlement and the next call's reservation; calls of one team and model). The parsed
-- tables are only read, never changed.
local PARSED = {}
local function parseLines(json)
  local known = PARSED[json]
  if known then return known end
  local lines = {}
  for i, r in ipairs(cjson.decode(json)) do
    local l = { key = r[1], budget = r[2], unit = r[3], limit = tonumber(r[4]), amount = tonumber(r[5]),
      enforce = r[6] == '1', x = opt(r[7]), w = opt(r[8]), bm = opt(r[9]) }
    if l.w then l.bm = math.max(1, l.bm or 1) else l.bm = nil end
    lines[i] = l
  end
  PARSED[json] = lines
  return lines
end

local function load(k)
  local c = C[k]
  if c ~= nil then
    if c then return c end
    return nil
  end
  local v = call('HMGET', lkey(k), 'b', 'u', 'l', 'used', 'r', 'x', 'w', 'bm', 't')
  if not v[3] then
    C[k] = false
    return nil
  end
  c = { key = k, budget = v[1], unit = v[2], limit = tonumber(v[3]), used = tonumber(v[4]) or 0,
    reserved = tonumber(v[5]) or 0, x = opt(v[6]), w = opt(v[7]), bm = opt(v[8]), t = tonumber(v[9]) or 0,
    buckets = {}, bset = {}, bdel = {} }
  if c.w then
    local flat = call('HGETALL', bkey(k))
    for i = 1, #flat, 2 do c.buckets[tonumber(flat[i])] = tonumber(flat[i + 1]) end
  end
  C[k] = c
  ORDER[#ORDER + 1] = k
  return c
end

local function create(l)
  local c = { key = l.key, budget = l.budget, unit = l.unit, limit = l.limit, used = 0, reserved = 0, x = l.x,
    w = l.w, bm = l.bm, t = NOW, buckets = {}, bset = {}, bdel = {}, dirty = true }
  C[l.key] = c
  ORDER[#ORDER + 1] = l.key
  call('ZADD', INDEX, 0, l.key)
  return c
end

local function clearBuckets(c)
  for start in pairs(c.buckets) do c.bdel[start] = true end
  c.buckets = {}
  c.bset = {}
end

-- A counter whose period has ended reads as empty; amounts still reserved on it stay reserved.
local function refresh(c)
  if c.x == nil or c.x > NOW then return end
  c.used = 0
  clearBuckets(c)
end

-- Sum of the buckets starting after NOW - windowMs - bucketMs; drops older buckets.
local function windowSum(c)
  if not c.w then return c.used end
  local after = NOW - c.w - c.bm
  local sum = 0
  for start, amount in pairs(c.buckets) do
    if start > after then
      sum = sum + amount
    else
      c.buckets[start] = nil
      c.bset[start] = nil
      c.bdel[start] = true
    end
  end
  return sum
end

-- Commits an amount: into a rolling line's bucket of 'at', or into a calendar line's period.
local function commit(c, amount, at)
  c.t = NOW
  if amount == 0 then return end
  if c.w then
    local start = floor(at / c.bm) * c.bm
    c.buckets[start] = (c.buckets[start] or 0) + amount
    c.bset[start] = true
    c.bdel[start] = nil
  else
    c.used = c.used + amount
  end
end

-- The committed amount that counts now: the period's, or a rolling line's window.
local function usedOf(c)
  refresh(c)
  if c.w then return windowSum(c) end
  return c.used
end

-- Appends a line state (key, budget, unit, limit, used, reserved) to a reply.
local function push(out, key, budget, unit, limit, used, reserved)
  local n = #out
  out[n + 1] = key
  out[n + 2] = budget
  out[n + 3] = unit
  out[n + 4] = num(limit)
  out[n + 5] = num(used)
  out[n + 6] = num(reserved)
end

local function pushState(out, c)
  push(out, c.key, c.budget, c.unit, c.limit, usedOf(c), c.reserved)
end

-- The counter of a line as it is, created from the line when missing (settlements: their lines are as
-- old as the reservation and must not undo a newer limit).
local function counterOf(l)
  local c = load(l.key)
  if c then
    refresh(c)
    return c
  end
  return create(l)
end

-- Starts a new period when the counter's ended, then applies the line's (newest) configuration.
local function configure(c, l)
  refresh(c)
  if c.budget ~= l.budget or c.unit ~= l.unit or c.limit ~= l.limit or c.x ~= l.x or c.w ~= l.w or c.bm ~= l.bm then
    c.dirty = true
  end
  c.budget = l.budget
  c.unit = l.unit
  c.limit = l.limit
  c.x = l.x
  if l.w then
    if not c.w and c.used ~= 0 then
      c.w = l.w
      c.bm = l.bm
      commit(c, c.used, NOW)
      c.used = 0
    end
    c.w = l.w
    c.bm = l.bm
  elseif c.w then
    c.used = windowSum(c)
    clearBuckets(c)
    c.w = nil
    c.bm = nil
  end
end

local function counterFor(l)
  local c = counterOf(l)
  configure(c, l)
  return c
end

-- Writes back every counter the script read or created (its configuration only when it changed). TTLs
-- only collect garbage: a rolling line is kept for its window after its last use, a calendar line until
-- its period ended, each plus the retention; a line without a period (a 'total' budget) is kept for ever.
-- A calendar line's expiry is a fixed time (its period end plus the retention), so it is set only when
-- the line is created or reconfigured, or when a reservation's lease outlives it; a rolling line's moves
-- with every use. A calendar line has no buckets (turning it from rolling deleted them all), so only
-- rolling lines and lines whose buckets were just deleted touch the buckets key.
local function save()
  for _, k in ipairs(ORDER) do
    local c = C[k]
    if c then
      local lk, bk = lkey(k), bkey(k)
      if c.dirty then
        call('HSET', lk, 'b', c.budget, 'u', c.unit, 'l', num(c.limit), 'used', num(c.used),
          'r', num(c.reserved), 'x', c.x and num(c.x) or '', 'w', c.w and num(c.w) or '',
          'bm', c.bm and num(c.bm) or '', 't', num(c.t))
      else
        call('HSET', lk, 'used', num(c.used), 'r', num(c.reserved), 't', num(c.t))
      end
      local buckets = c.w ~= nil
      local del = {}
      for start in pairs(c.bdel) do
        if c.buckets[start] == nil then del[#del + 1] = num(start) end
      end
      if #del > 0 then
        call('HDEL', bk, unpack(del))
        buckets = true
      end
      local set = {}
      for start in pairs(c.bset) do
        local amount = c.buckets[start]
        if amount ~= nil then
          set[#set + 1] = num(start)
          set[#set + 1] = num(amount)
        end
      end
      if #set > 0 then call('HSET', bk, unpack(set)) end
      local ttl = nil
      local expire = c.dirty or buckets
      if c.w then
        ttl = c.w + c.bm + RET
        expire = true
      elseif c.x then
        ttl = math.max(c.x - NOW, 0) + RET
      end
      if ttl then
        if c.reserved > 0 and LEASE and LEASE + RET > ttl then
          ttl = LEASE + RET
          expire = true
        end
        if expire then
          ttl = math.ceil(ttl)
          call('PEXPIRE', lk, ttl)
          if buckets then call('PEXPIRE', bk, ttl) end
        end
      elseif expire then
        call('PERSIST', lk)
        if buckets then call('PERSIST', bk) end
      end
    end
  end
end

local function unreserve(id)
  local rk = NS .. 'res:' .. id
  local json = call('HGET', rk, 'l')
  if json then
    for _, l in ipairs(parseLines(json)) do
      local c = load(l.key)
      if c then c.reserved = math.max(0, c.reserved - l.amount) end
    end
  end
  call('DEL', rk)
  call('ZREM', LEASES, id)
  -- A reused id may still be remembered as settled from before (reserve leaves that to here).
  call('ZREM', SETTLED, id)
end

-- An expired reservation whose request was sent (the provider may have billed it): committed at its
-- reserved amounts, as a late settlement (bucket of now), and remembered as settled for the retention,
-- so a later settlement of it commits nothing.
local function commitAtReservation(id)
  local rk = NS .. 'res:' .. id
  local json = call('HGET', rk, 'l')
  if json then
    for _, l in ipairs(parseLines(json)) do
      local c = counterOf(l)
      c.reserved = math.max(0, c.reserved - l.amount)
      commit(c, l.amount, NOW)
    end
  end
  call('DEL', rk)
  call('ZREM', LEASES, id)
  call('ZADD', SETTLED, num(NOW + RET), id)
end

-- Ends every reservation whose lease has ended (a holder that never settled): a sent one is committed,
-- any other released. (Settled ids past their time are ignored where they are read, and dropped by the
-- settlement script's occasional sweep.)
local function expireLeases()
  local ids = call('ZRANGEBYSCORE', LEASES, '-inf', num(NOW))
  for _, id in ipairs(ids) do
    if call('HGET', NS .. 'res:' .. id, 'sent') == '1' then commitAtReservation(id) else unreserve(id) end
  end
end

-- The most a ledger counts exactly (2^53 - 1; nano-USD for USD lines). A line whose total would pass
-- it is refused before anything changes: the operation's reply is {'E', 'GENOPS_LEDGER <total> <id> <key>'}.
local MAX_LEDGER = 9007199254740991
local function overLedger(id, k, amount)
  local c = load(k)
  if not c then return nil end
  local total = usedOf(c) + c.reserved + amount
  if total > MAX_LEDGER then
    return { 'E', 'GENOPS_LEDGER ' .. num(total) .. ' ' .. id .. ' ' .. k }
  end
  return nil
end
`;

/**
 * Group commit: the reservations, settlements and audit appends a client issued in one tick, in one script run, so the
 * script's fixed cost (epoch check, lease expiry, loading and writing back the budget lines) and the
 * round trip are paid once per batch, not once per call. Each operation is atomic and all or nothing on
 * its own (a refused or failed one changes no line for itself), never per batch; they run in order.
 *
 * ARGV[3...]: the operations, each `kind, n, <n arguments>`:
 * - `r`: id, leaseMs, lines JSON, '1' to store the reservation marked sent (or ''). Reply `{1, used,
 *   reserved, ...}` (each line's two amounts, in request order) or `{0, failed state, requested}`.
 * - `s`: id, lines JSON or '' (none) or '?', then the actual amounts as unit and decimal string pairs.
 *   Reply `{1|0, states...}` (1 = the reservation was open), or `{'L'}` for '?' when the reservation is
 *   no longer open: the lines are needed (a late settlement commits to them) and nothing changed.
 * - `a`: audit records to append (see appendAudit below). Reply `{1}` or `{0, tip seq, tip hash}`.
 * A refusal the script makes on purpose (a reservation id already open, a ledger total past 2^53 - 1)
 * is that operation's reply `{'E', message}`, and a Redis command failing inside it `{'F', message}`;
 * the others still run. Reply: one reply per operation.
 */
export const OPS_LUA = `${PRELUDE}${COUNTERS}
local NOW_TEXT = num(NOW)
-- Checks a reservation's lines; nil when it fits, else the operation's reply (a refusal or an error).
local function refusal(id, lines)
  local asked = {}
  for _, l in ipairs(lines) do
    local before = asked[l.key] or 0
    asked[l.key] = before + l.amount
    if l.amount ~= 0 and l.enforce then
      local c = load(l.key)
      local used, reserved = 0, 0
      if c then
        configure(c, l)
        used, reserved = usedOf(c), c.reserved
        local total = used + reserved + before + l.amount
        if total > MAX_LEDGER then
          return { 'E', 'GENOPS_LEDGER ' .. num(total) .. ' ' .. id .. ' ' .. l.key }
        end
      end
      if used + reserved + before + l.amount > l.limit then
        local out = { 0 }
        push(out, l.key, l.budget, l.unit, l.limit, used, reserved)
        out[#out + 1] = num(l.amount)
        return out
      end
    else
      local over = overLedger(id, l.key, before + l.amount)
      if over then return over end
    end
  end
  return nil
end

-- The lease is taken first: an id already in the lease set is open (its record and lease are written and
-- deleted together), so one ZADD NX both checks and writes it. A reused id's settled memory is dropped
-- when its reservation ends unsettled (unreserve), or overwritten when it is settled or committed.
local function reserve(id, leaseMs, linesJson, sent)
  local lease = math.max(0, tonumber(leaseMs))
  if LEASE == nil or lease > LEASE then LEASE = lease end
  local expires = num(NOW + lease)
  if call('ZADD', LEASES, 'NX', expires, id) == 0 then
    return { 'E', 'genops: reservation "' .. id .. '" is already open' }
  end
  local lines = parseLines(linesJson)
  local refused = refusal(id, lines)
  if refused then
    call('ZREM', LEASES, id)
    return refused
  end
  local counters = {}
  for i, l in ipairs(lines) do
    local c = counterFor(l)
    c.reserved = c.reserved + l.amount
    c.t = NOW
    counters[i] = c
  end
  local rk = NS .. 'res:' .. id
  if sent == '1' then
    call('HSET', rk, 's', NOW_TEXT, 'e', expires, 'l', linesJson, 'sent', '1')
  else
    call('HSET', rk, 's', NOW_TEXT, 'e', expires, 'l', linesJson)
  end
  -- Each line's used and reserved amounts: its key, budget, unit and limit are the request's (configured
  -- above), which the client has.
  local out = { 1 }
  for i, c in ipairs(counters) do
    out[2 * i] = num(usedOf(c))
    out[2 * i + 1] = num(c.reserved)
  end
  return out
end

-- ARGV[first .. last]: the actual amounts, unit and amount pairs. linesJson '?': the client has the
-- lines and sends them only when they are needed (the reservation is no longer open): reply {'L'}, nothing
-- changed, and it settles again with them.
local function settle(id, linesJson, first, last)
  local rk = NS .. 'res:' .. id
  local r = call('HMGET', rk, 's', 'e', 'l')
  if not r[3] and linesJson == '?' then return { 'L' } end
  local actual = {}
  for i = first, last - 1, 2 do actual[ARGV[i]] = tonumber(ARGV[i + 1]) or 0 end
  local settling = r[3] or (linesJson ~= '' and linesJson) or nil
  local lines = {}
  if settling then
    lines = parseLines(settling)
    for _, l in ipairs(lines) do
      -- An open reservation's own amount leaves the line as its actual amount enters it.
      local own = 0
      if r[3] then own = l.amount end
      local over = overLedger(id, l.key, (actual[l.unit] or 0) - own)
      if over then return over end
    end
  end
  local out
  local counters = {}
  if r[3] then
    local started, expires = tonumber(r[1]), tonumber(r[2])
    call('DEL', rk)
    call('ZREM', LEASES, id)
    -- Remembered for one lease length: a settlement repeated after a lost reply commits nothing.
    call('ZADD', SETTLED, num(NOW + math.max(expires - started, 0)), id)
    out = { 1 }
    for i, l in ipairs(lines) do
      local c = counterOf(l)
      c.reserved = math.max(0, c.reserved - l.amount)
      commit(c, actual[l.unit] or 0, started)
      counters[i] = c
    end
  else
    out = { 0 }
    if linesJson ~= '' then
      -- The lease expired while the call ran: what it cost still counts, in the bucket of now. A settled
      -- id is remembered until its score (ids past it wait for the sweep below).
      local remembered = tonumber(call('ZSCORE', SETTLED, id))
      local repeated = remembered ~= nil and remembered > NOW
      for i, l in ipairs(lines) do
        local c = counterOf(l)
        if not repeated then commit(c, actual[l.unit] or 0, NOW) end
        counters[i] = c
      end
      -- Remembered for the retention: a late settlement repeated after a lost reply commits nothing.
      if not repeated then call('ZADD', SETTLED, num(NOW + RET), id) end
    end
  end
  for _, c in ipairs(counters) do pushState(out, c) end
  return out
end

-- Check-and-append of audit records: the client hashed them (Redis Lua has no SHA-256) against the tip
-- it expects; they are appended only if the tip has not moved. ARGV[a ... last]: expected tip seq ('0' =
-- empty), expected tip hash, stream length bound or '', new tip seq, new tip hash, then seq and record
-- JSON pairs. Reply {1}, or {0, tip seq, tip hash} when it moved (nothing appended).
local function appendAudit(a, last)
  local tipKey = NS .. 'audit:tip'
  local tip = call('HMGET', tipKey, 'seq', 'hash')
  local seq = tip[1] or '0'
  local hash = tip[2] or string.rep('0', 64)
  if seq ~= ARGV[a] or hash ~= ARGV[a + 1] then return { 0, seq, hash } end
  local stream = NS .. 'audit'
  local bound = ARGV[a + 2]
  for i = a + 5, last, 2 do
    if bound ~= '' and i + 1 == last then
      call('XADD', stream, 'MAXLEN', '~', bound, ARGV[i] .. '-0', 'r', ARGV[i + 1])
    else
      call('XADD', stream, ARGV[i] .. '-0', 'r', ARGV[i + 1])
    end
  end
  call('HSET', tipKey, 'seq', ARGV[a + 3], 'hash', ARGV[a + 4])
  return { 1 }
end

expireLeases()
local replies = {}
local settled = false
local i = 3
while i <= #ARGV do
  local kind, n = ARGV[i], tonumber(ARGV[i + 1])
  local a = i + 2
  local ok, reply
  if kind == 'r' then
    ok, reply = pcall(reserve, ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
  elseif kind == 'a' then
    ok, reply = pcall(appendAudit, a, a + n - 1)
  else
    ok, reply = pcall(settle, ARGV[a], ARGV[a + 1], a + 2, a + n - 1)
    settled = true
  end
  -- A command that failed inside an operation (e.g. a key of the wrong type) fails that operation alone.
  if not ok then
    if type(reply) == 'table' and reply.err then reply = reply.err end
    reply = { 'F', tostring(reply) }
  end
  replies[#replies + 1] = reply
  i = a + n
end
-- Housekeeping on about one batch with settlements in 8 (by the clock's last digits, so no counter is
-- written): forget settled ids past their time, and sweep 16 keys of the line index, dropping lines whose
-- key expired.
if settled and NOW % 8 == 0 then
  call('ZREMRANGEBYSCORE', SETTLED, '-inf', num(NOW))
  local cursor = call('GET', NS .. 'sweep')
  local min = '-'
  if cursor and cursor ~= '' then min = '(' .. cursor end
  local keys = call('ZRANGEBYLEX', INDEX, min, '+', 'LIMIT', 0, 16)
  for _, k in ipairs(keys) do
    if not C[k] and call('EXISTS', lkey(k)) == 0 then call('ZREM', INDEX, k) end
  end
  if #keys < 16 then call('SET', NS .. 'sweep', '') else call('SET', NS .. 'sweep', keys[#keys]) end
end
save()
return replies
`;

/** ARGV[3] id. Reply 1 when the reservation was open. */
export const RELEASE_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
local open = call('EXISTS', NS .. 'res:' .. ARGV[3]) == 1
if open then unreserve(ARGV[3]) end
save()
if open then return 1 end
return 0
`;

/** ARGV[3] id. Marks an open reservation sent; reply 1 when it was open. */
export const MARK_SENT_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
local rk = NS .. 'res:' .. ARGV[3]
local open = call('EXISTS', rk) == 1
if open then call('HSET', rk, 'sent', '1') end
save()
if open then return 1 end
return 0
`;

/** Reply: the number of open reservations. */
export const OPEN_RESERVATIONS_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
save()
return call('ZCARD', LEASES)
`;

/**
 * ARGV[3] lex min, ARGV[4] lex max, ARGV[5] batch size. Reply `{last key scanned or '', count scanned,
 * states...}`; index entries whose line expired are dropped.
 */
export const LINES_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
local keys = call('ZRANGEBYLEX', INDEX, ARGV[3], ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
local out = { keys[#keys] or '', #keys }
for _, k in ipairs(keys) do
  local c = load(k)
  if c then pushState(out, c) else call('ZREM', INDEX, k) end
end
save()
return out
`;

/** ARGV[3] key, ARGV[4] expiresAt or ''. Reply 1 when set now. */
export const MARK_ONCE_LUA = `${PRELUDE}
local k = NS .. 'mark:' .. ARGV[3]
local current = call('GET', k)
if current and (current == 'inf' or tonumber(current) > NOW) then return 0 end
if ARGV[4] == '' then
  call('SET', k, 'inf')
  return 1
end
local ttl = tonumber(ARGV[4]) - NOW
if ttl > 0 then
  call('SET', k, ARGV[4], 'PX', math.ceil(ttl + RET))
else
  call('DEL', k)
end
return 1
`;

/** ARGV[3] id, ARGV[4] record JSON, ARGV[5] status, ARGV[6] createdAt, ARGV[7] ttl ms, ARGV[8] channel. */
export const CREATE_APPROVAL_LUA = `${PRELUDE}
local k = NS .. 'approval:' .. ARGV[3]
local seq = call('HGET', k, 'seq')
if not seq then seq = call('INCR', NS .. 'approvals:seq') end
call('DEL', k)
call('HSET', k, 'rec', ARGV[4], 'st', ARGV[5], 'seq', seq)
call('PEXPIRE', k, ARGV[7])
call('ZADD', NS .. 'approvals', ARGV[6], ARGV[3])
if ARGV[5] ~= 'pending' then call('PUBLISH', ARGV[8], ARGV[3]) end
return 1
`;

/**
 * Compare-and-set: only a pending approval changes. ARGV[3] id, ARGV[4] status, ARGV[5] decidedBy,
 * ARGV[6] '1' when a reason is given, ARGV[7] reason, ARGV[8] ttl ms, ARGV[9] channel. Reply: the
 * approval's fields (see {@link APPROVAL_FIELDS}), or nil when it does not exist.
 */
export const DECIDE_APPROVAL_LUA = `${PRELUDE}
local k = NS .. 'approval:' .. ARGV[3]
local v = call('HMGET', k, 'rec', 'st', 'da', 'db', 'dr', 'seq')
if not v[1] then return false end
if v[2] == 'pending' then
  if ARGV[6] == '1' then
    call('HSET', k, 'st', ARGV[4], 'da', num(NOW), 'db', ARGV[5], 'dr', ARGV[7])
  else
    call('HSET', k, 'st', ARGV[4], 'da', num(NOW), 'db', ARGV[5])
  end
  call('PEXPIRE', k, ARGV[8])
  call('PUBLISH', ARGV[9], ARGV[3])
  v = call('HMGET', k, 'rec', 'st', 'da', 'db', 'dr', 'seq')
end
return v
`;

/** ARGV[3] status filter or ''. Reply: the fields of each approval, newest `createdAt` first. */
export const LIST_APPROVALS_LUA = `${PRELUDE}
local ids = call('ZREVRANGE', NS .. 'approvals', 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local v = call('HMGET', NS .. 'approval:' .. id, 'rec', 'st', 'da', 'db', 'dr', 'seq')
  if not v[1] then
    call('ZREM', NS .. 'approvals', id)
  elseif ARGV[3] == '' or v[2] == ARGV[3] then
    for i = 1, 6 do out[#out + 1] = v[i] end
  end
end
return out
`;

/** Fields of an approval hash, in the order the approval scripts reply with them. */
export const APPROVAL_FIELDS = ['rec', 'st', 'da', 'db', 'dr', 'seq'] as const;

/**
 * ARGV[1] a new random epoch. Sets the namespace's epoch unless it has one; replies with the epoch.
 *
 * Also brings a namespace written before nano-USD ledgers to nano-USD, once, atomically: such a
 * namespace has an epoch but no `money` key, and its USD lines (limit, used, reserved, rolling buckets)
 * and open reservations' USD lines count micro-USD; each amount is multiplied by 1000. The epoch is
 * then replaced, so a process still running the old package (which would add micro-USD) fails every
 * script with GENOPS_EPOCH instead of mixing units. When an amount ×1000 would pass 2^53 - 1 the
 * script changes nothing and fails with `GENOPS_MONEY <what> <amount>`.
 */
export const EPOCH_LUA = `
local NS = KEYS[1]
local k = NS .. 'epoch'
local m = NS .. 'money'
if redis.call('GET', m) == 'nano' then return redis.call('GET', k) end
if redis.call('GET', k) then
  local MAX = 9007199254740991
  local function scaled(x, what)
    local n = tonumber(x)
    if n == nil then return nil end
    if n * 1000 > MAX then error({ err = 'GENOPS_MONEY ' .. what .. ' ' .. string.format('%.17g', n * 1000) }) end
    return string.format('%d', n * 1000)
  end
  local writes = {}
  for _, key in ipairs(redis.call('ZRANGE', NS .. 'lines', 0, -1)) do
    local lk = NS .. 'line:' .. key
    local v = redis.call('HMGET', lk, 'u', 'l', 'used', 'r')
    if v[1] == 'USD' then
      local fields = {}
      if v[2] then fields[#fields + 1] = 'l'; fields[#fields + 1] = scaled(v[2], key) end
      if v[3] then fields[#fields + 1] = 'used'; fields[#fields + 1] = scaled(v[3], key) end
      if v[4] then fields[#fields + 1] = 'r'; fields[#fields + 1] = scaled(v[4], key) end
      if #fields > 0 then writes[#writes + 1] = { lk, fields } end
      local bk = NS .. 'buckets:' .. key
      local flat = redis.call('HGETALL', bk)
      local buckets = {}
      for i = 1, #flat, 2 do
        buckets[#buckets + 1] = flat[i]
        buckets[#buckets + 1] = scaled(flat[i + 1], key)
      end
      if #buckets > 0 then writes[#writes + 1] = { bk, buckets } end
    end
  end
  for _, id in ipairs(redis.call('ZRANGE', NS .. 'leases', 0, -1)) do
    local rk = NS .. 'res:' .. id
    local json = redis.call('HGET', rk, 'l')
    if json and string.find(json, '"USD"', 1, true) then
      local lines = cjson.decode(json)
      for _, r in ipairs(lines) do
        if r[3] == 'USD' then
          r[4] = scaled(r[4], r[1])
          r[5] = scaled(r[5], r[1])
        end
      end
      writes[#writes + 1] = { rk, { 'l', cjson.encode(lines) } }
    end
  end
  for _, w in ipairs(writes) do redis.call('HSET', w[1], unpack(w[2])) end
  redis.call('SET', k, ARGV[1])
else
  redis.call('SET', k, ARGV[1], 'NX')
end
redis.call('SET', m, 'nano')
return redis.call('GET', k)
`;
