// ../../../../../tmp/stores/baseredis/src/redis-store.ts
import {
  chainAuditEntries,
  GENESIS_HASH
} from "@genops/core";
import { Redis } from "ioredis";

// ../../../../../tmp/stores/baseredis/src/lua-scripts.ts
var PRELUDE = `
local NS = KEYS[1]
local RET = tonumber(ARGV[1])
local NOW = tonumber(ARGV[2])
local INDEX = NS .. 'lines'
local LEASES = NS .. 'leases'
local SETTLED = NS .. 'settled'
local LEASE = nil

local function num(x)
  if x ~= x then return 'nan' end
  if x == math.huge then return 'inf' end
  if x == -math.huge then return '-inf' end
  if x == math.floor(x) and x > -9007199254740992 and x < 9007199254740992 then return string.format('%d', x) end
  return string.format('%.17g', x)
end

local function opt(s)
  if s == nil or s == false or s == '' then return nil end
  return tonumber(s)
end
`;
var COUNTERS = `
local C = {}
local ORDER = {}

local function lkey(k) return NS .. 'line:' .. k end
local function bkey(k) return NS .. 'buckets:' .. k end

local function parseLines(json)
  local lines = {}
  for i, r in ipairs(cjson.decode(json)) do
    local l = { key = r[1], budget = r[2], unit = r[3], limit = tonumber(r[4]), amount = tonumber(r[5]),
      enforce = r[6] == '1', x = opt(r[7]), w = opt(r[8]), bm = opt(r[9]) }
    if l.w then l.bm = math.max(1, l.bm or 1) else l.bm = nil end
    lines[i] = l
  end
  return lines
end

local function load(k)
  local c = C[k]
  if c ~= nil then
    if c then return c end
    return nil
  end
  local v = redis.call('HMGET', lkey(k), 'b', 'u', 'l', 'used', 'r', 'x', 'w', 'bm', 't')
  if not v[3] then
    C[k] = false
    return nil
  end
  c = { key = k, budget = v[1], unit = v[2], limit = tonumber(v[3]), used = tonumber(v[4]) or 0,
    reserved = tonumber(v[5]) or 0, x = opt(v[6]), w = opt(v[7]), bm = opt(v[8]), t = tonumber(v[9]) or 0,
    buckets = {}, bset = {}, bdel = {} }
  if c.w then
    local flat = redis.call('HGETALL', bkey(k))
    for i = 1, #flat, 2 do c.buckets[tonumber(flat[i])] = tonumber(flat[i + 1]) end
  end
  C[k] = c
  ORDER[#ORDER + 1] = k
  return c
end

local function create(l)
  local c = { key = l.key, budget = l.budget, unit = l.unit, limit = l.limit, used = 0, reserved = 0, x = l.x,
    w = l.w, bm = l.bm, t = NOW, buckets = {}, bset = {}, bdel = {} }
  C[l.key] = c
  ORDER[#ORDER + 1] = l.key
  redis.call('ZADD', INDEX, 0, l.key)
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
    local start = math.floor(at / c.bm) * c.bm
    c.buckets[start] = (c.buckets[start] or 0) + amount
    c.bset[start] = true
    c.bdel[start] = nil
  else
    c.used = c.used + amount
  end
end

local function state(c)
  refresh(c)
  local used = c.used
  if c.w then used = windowSum(c) end
  return { c.key, c.budget, c.unit, c.limit, used, c.reserved }
end

local function emptyState(l)
  return { l.key, l.budget, l.unit, l.limit, 0, 0 }
end

local function push(out, s)
  out[#out + 1] = s[1]
  out[#out + 1] = s[2]
  out[#out + 1] = s[3]
  out[#out + 1] = num(s[4])
  out[#out + 1] = num(s[5])
  out[#out + 1] = num(s[6])
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

-- Writes back every counter the script read or created. TTLs only collect garbage: a rolling line is
-- kept for its window after its last use, a calendar line until its period ended, each plus the
-- retention; a line without a period (a 'total' budget) is kept for ever.
local function save()
  for _, k in ipairs(ORDER) do
    local c = C[k]
    if c then
      local lk, bk = lkey(k), bkey(k)
      redis.call('HSET', lk, 'b', c.budget, 'u', c.unit, 'l', num(c.limit), 'used', num(c.used),
        'r', num(c.reserved), 'x', c.x and num(c.x) or '', 'w', c.w and num(c.w) or '',
        'bm', c.bm and num(c.bm) or '', 't', num(c.t))
      local del = {}
      for start in pairs(c.bdel) do
        if c.buckets[start] == nil then del[#del + 1] = num(start) end
      end
      if #del > 0 then redis.call('HDEL', bk, unpack(del)) end
      local set = {}
      for start in pairs(c.bset) do
        local amount = c.buckets[start]
        if amount ~= nil then
          set[#set + 1] = num(start)
          set[#set + 1] = num(amount)
        end
      end
      if #set > 0 then redis.call('HSET', bk, unpack(set)) end
      local ttl = nil
      if c.w then
        ttl = c.w + c.bm + RET
      elseif c.x then
        ttl = math.max(c.x - NOW, 0) + RET
      end
      if ttl then
        if c.reserved > 0 and LEASE and LEASE + RET > ttl then ttl = LEASE + RET end
        ttl = math.ceil(ttl)
        redis.call('PEXPIRE', lk, ttl)
        redis.call('PEXPIRE', bk, ttl)
      else
        redis.call('PERSIST', lk)
        redis.call('PERSIST', bk)
      end
    end
  end
end

local function unreserve(id)
  local rk = NS .. 'res:' .. id
  local json = redis.call('HGET', rk, 'l')
  if json then
    for _, l in ipairs(parseLines(json)) do
      local c = load(l.key)
      if c then c.reserved = math.max(0, c.reserved - l.amount) end
    end
  end
  redis.call('DEL', rk)
  redis.call('ZREM', LEASES, id)
end

-- Releases every reservation whose lease has ended (a holder that never settled), and forgets
-- settlements old enough that a repeat of them is no longer expected.
local function expireLeases()
  local ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', num(NOW))
  for _, id in ipairs(ids) do unreserve(id) end
  redis.call('ZREMRANGEBYSCORE', SETTLED, '-inf', num(NOW))
end
`;
var RESERVE_LUA = `${PRELUDE}${COUNTERS}
local id = ARGV[3]
LEASE = math.max(0, tonumber(ARGV[4]))
expireLeases()
local rk = NS .. 'res:' .. id
if redis.call('EXISTS', rk) == 1 then
  save()
  return redis.error_reply('genops: reservation "' .. id .. '" is already open')
end
local lines = parseLines(ARGV[5])
local asked = {}
for _, l in ipairs(lines) do
  local before = asked[l.key] or 0
  asked[l.key] = before + l.amount
  if l.amount ~= 0 and l.enforce then
    local c = load(l.key)
    local current
    if c then
      configure(c, l)
      current = state(c)
    else
      current = emptyState(l)
    end
    if current[5] + current[6] + before + l.amount > l.limit then
      save()
      local out = { 0 }
      push(out, current)
      out[#out + 1] = num(l.amount)
      return out
    end
  end
end
local counters = {}
for i, l in ipairs(lines) do
  local c = counterFor(l)
  c.reserved = c.reserved + l.amount
  c.t = NOW
  counters[i] = c
end
local expires = NOW + LEASE
redis.call('HSET', rk, 's', num(NOW), 'e', num(expires), 'l', ARGV[5])
redis.call('ZADD', LEASES, num(expires), id)
redis.call('ZREM', SETTLED, id)
local out = { 1 }
for _, c in ipairs(counters) do push(out, state(c)) end
save()
return out
`;
var SETTLE_LUA = `${PRELUDE}${COUNTERS}
local id = ARGV[3]
local actual = cjson.decode(ARGV[4])
local function amountOf(unit)
  local v = actual[unit]
  if v == nil then return 0 end
  return tonumber(v) or 0
end
expireLeases()
local rk = NS .. 'res:' .. id
local r = redis.call('HMGET', rk, 's', 'e', 'l')
local out
local counters = {}
if r[3] then
  local started, expires = tonumber(r[1]), tonumber(r[2])
  redis.call('DEL', rk)
  redis.call('ZREM', LEASES, id)
  -- Remembered for one lease length: a settlement repeated after a lost reply commits nothing.
  redis.call('ZADD', SETTLED, num(NOW + math.max(expires - started, 0)), id)
  out = { 1 }
  for i, l in ipairs(parseLines(r[3])) do
    local c = counterOf(l)
    c.reserved = math.max(0, c.reserved - l.amount)
    commit(c, amountOf(l.unit), started)
    counters[i] = c
  end
else
  out = { 0 }
  if ARGV[5] ~= '' then
    -- The lease expired while the call ran: what it cost still counts, in the bucket of now.
    local repeated = redis.call('ZSCORE', SETTLED, id)
    for i, l in ipairs(parseLines(ARGV[5])) do
      local c = counterOf(l)
      if not repeated then commit(c, amountOf(l.unit), NOW) end
      counters[i] = c
    end
    -- Remembered for the retention: a late settlement repeated after a lost reply commits nothing.
    if not repeated then redis.call('ZADD', SETTLED, num(NOW + RET), id) end
  end
end
for _, c in ipairs(counters) do push(out, state(c)) end
-- Incremental sweep of the line index: a few keys per settlement, dropping lines whose key expired.
local cursor = redis.call('GET', NS .. 'sweep')
local min = '-'
if cursor and cursor ~= '' then min = '(' .. cursor end
local keys = redis.call('ZRANGEBYLEX', INDEX, min, '+', 'LIMIT', 0, 8)
for _, k in ipairs(keys) do
  if not C[k] and redis.call('EXISTS', lkey(k)) == 0 then redis.call('ZREM', INDEX, k) end
end
if #keys < 8 then redis.call('SET', NS .. 'sweep', '') else redis.call('SET', NS .. 'sweep', keys[#keys]) end
save()
return out
`;
var RELEASE_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
local open = redis.call('EXISTS', NS .. 'res:' .. ARGV[3]) == 1
if open then unreserve(ARGV[3]) end
save()
if open then return 1 end
return 0
`;
var OPEN_RESERVATIONS_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
save()
return redis.call('ZCARD', LEASES)
`;
var LINES_LUA = `${PRELUDE}${COUNTERS}
expireLeases()
local keys = redis.call('ZRANGEBYLEX', INDEX, ARGV[3], ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
local out = { keys[#keys] or '', #keys }
for _, k in ipairs(keys) do
  local c = load(k)
  if c then push(out, state(c)) else redis.call('ZREM', INDEX, k) end
end
save()
return out
`;
var MARK_ONCE_LUA = `${PRELUDE}
local k = NS .. 'mark:' .. ARGV[3]
local current = redis.call('GET', k)
if current and (current == 'inf' or tonumber(current) > NOW) then return 0 end
if ARGV[4] == '' then
  redis.call('SET', k, 'inf')
  return 1
end
local ttl = tonumber(ARGV[4]) - NOW
if ttl > 0 then
  redis.call('SET', k, ARGV[4], 'PX', math.ceil(ttl + RET))
else
  redis.call('DEL', k)
end
return 1
`;
var CREATE_APPROVAL_LUA = `${PRELUDE}
local k = NS .. 'approval:' .. ARGV[3]
local seq = redis.call('HGET', k, 'seq')
if not seq then seq = redis.call('INCR', NS .. 'approvals:seq') end
redis.call('DEL', k)
redis.call('HSET', k, 'rec', ARGV[4], 'st', ARGV[5], 'seq', seq)
redis.call('PEXPIRE', k, ARGV[7])
redis.call('ZADD', NS .. 'approvals', ARGV[6], ARGV[3])
if ARGV[5] ~= 'pending' then redis.call('PUBLISH', ARGV[8], ARGV[3]) end
return 1
`;
var DECIDE_APPROVAL_LUA = `${PRELUDE}
local k = NS .. 'approval:' .. ARGV[3]
local v = redis.call('HMGET', k, 'rec', 'st', 'da', 'db', 'dr', 'seq')
if not v[1] then return false end
if v[2] == 'pending' then
  if ARGV[6] == '1' then
    redis.call('HSET', k, 'st', ARGV[4], 'da', num(NOW), 'db', ARGV[5], 'dr', ARGV[7])
  else
    redis.call('HSET', k, 'st', ARGV[4], 'da', num(NOW), 'db', ARGV[5])
  end
  redis.call('PEXPIRE', k, ARGV[8])
  redis.call('PUBLISH', ARGV[9], ARGV[3])
  v = redis.call('HMGET', k, 'rec', 'st', 'da', 'db', 'dr', 'seq')
end
return v
`;
var LIST_APPROVALS_LUA = `${PRELUDE}
local ids = redis.call('ZREVRANGE', NS .. 'approvals', 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('HMGET', NS .. 'approval:' .. id, 'rec', 'st', 'da', 'db', 'dr', 'seq')
  if not v[1] then
    redis.call('ZREM', NS .. 'approvals', id)
  elseif ARGV[3] == '' or v[2] == ARGV[3] then
    for i = 1, 6 do out[#out + 1] = v[i] end
  end
end
return out
`;
var APPROVAL_FIELDS = ["rec", "st", "da", "db", "dr", "seq"];
var APPEND_AUDIT_LUA = `${PRELUDE}
local tipKey = NS .. 'audit:tip'
local tip = redis.call('HMGET', tipKey, 'seq', 'hash')
local seq = tip[1] or '0'
local hash = tip[2] or string.rep('0', 64)
if seq ~= ARGV[3] or hash ~= ARGV[4] then return { 0, seq, hash } end
local stream = NS .. 'audit'
for i = 8, #ARGV, 2 do
  if ARGV[5] ~= '' and i + 1 == #ARGV then
    redis.call('XADD', stream, 'MAXLEN', '~', ARGV[5], ARGV[i] .. '-0', 'r', ARGV[i + 1])
  else
    redis.call('XADD', stream, ARGV[i] .. '-0', 'r', ARGV[i + 1])
  end
end
redis.call('HSET', tipKey, 'seq', ARGV[6], 'hash', ARGV[7])
return { 1 }
`;

// ../../../../../tmp/stores/baseredis/src/redis-store-error.ts
var marker = /* @__PURE__ */ Symbol.for("genops.store-redis.RedisStoreError");
var RedisStoreError = class extends Error {
  name = "RedisStoreError";
  /** The server, e.g. `redis://10.0.0.5:6379/0` (no password). */
  server;
  /** The store method that failed, e.g. `reserve`. */
  operation;
  constructor(options) {
    super(
      `genops: Redis store ${options.server} (namespace "${options.namespace}"): ${options.operation} failed: ${options.reason}`,
      { cause: options.cause }
    );
    this.server = options.server;
    this.operation = options.operation;
    Object.defineProperty(this, marker, { value: true });
  }
  /** Recognises the error across duplicate copies of this package. */
  static isInstance(error) {
    return typeof error === "object" && error !== null && error[marker] === true;
  }
};

// ../../../../../tmp/stores/baseredis/src/redis-store.ts
var DAY_MS = 864e5;
var DEFAULT_TIMEOUT_MS = 2e3;
var MAX_TIMER_MS = 2147483647;
var LINES_BATCH = 500;
var AUDIT_BATCH = 1e3;
var AUDIT_ATTEMPTS = 100;
var MIN_APPROVAL_TTL_MS = 6e4;
var SCRIPTS = {
  genopsV1Reserve: RESERVE_LUA,
  genopsV1Settle: SETTLE_LUA,
  genopsV1Release: RELEASE_LUA,
  genopsV1OpenReservations: OPEN_RESERVATIONS_LUA,
  genopsV1Lines: LINES_LUA,
  genopsV1MarkOnce: MARK_ONCE_LUA,
  genopsV1CreateApproval: CREATE_APPROVAL_LUA,
  genopsV1DecideApproval: DECIDE_APPROVAL_LUA,
  genopsV1ListApprovals: LIST_APPROVALS_LUA,
  genopsV1AppendAudit: APPEND_AUDIT_LUA
};
var RedisStore = class {
  kind = "redis";
  failMode;
  /** The server, without credentials, as error messages name it. */
  server;
  /** The namespace (`prefix`); every key starts with `{<prefix>}:`. */
  prefix;
  client;
  commands;
  ownsClient;
  /** `{prefix}:`, the start of every key. */
  namespace;
  /** Pub/sub channel on which approval decisions are announced (message: the approval id). */
  channel;
  now;
  timeoutMs;
  retentionMs;
  maxAuditRecords;
  lastError;
  /** Resolves with why not when the connection being established failed, `undefined` once it is ready. */
  connecting;
  closed = false;
  closing;
  subscriber;
  subscription;
  waiters = /* @__PURE__ */ new Map();
  /** The last audit tip this instance saw (a guess: the append script checks it). */
  auditTip;
  auditQueue = [];
  auditDraining = false;
  onError = (error) => {
    this.lastError = error;
  };
  onReady = () => {
    this.lastError = void 0;
  };
  /** @throws Error when neither `url` nor `client` is given, or the prefix or URL is invalid. */
  constructor(options = {}) {
    const prefix = options.prefix ?? "genops";
    if (prefix === "" || /[{}]/.test(prefix))
      throw new Error(`genops: the Redis store prefix must be non-empty without "{" or "}", not "${prefix}"`);
    this.prefix = prefix;
    this.namespace = `{${prefix}}:`;
    this.channel = `{${prefix}}:approvals`;
    this.failMode = options.failMode ?? "closed";
    this.now = options.now ?? Date.now;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.retentionMs = positive(options.retentionMs, DAY_MS);
    this.maxAuditRecords = options.maxAuditRecords === void 0 || !Number.isFinite(options.maxAuditRecords) ? void 0 : Math.max(1, Math.floor(options.maxAuditRecords));
    if (options.url !== void 0) {
      this.server = describeUrl(options.url);
      this.client = new Redis(options.url, {
        // Fail instead of queueing: a command queued while Redis is down would run after its caller
        // was told it failed (a reservation nobody settles). Commands in flight when the connection
        // drops fail at once and are never resent.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout: this.timeoutMs,
        retryStrategy: (attempt) => Math.min(attempt * 100, 1e3),
        ...options.redisOptions
      });
      this.ownsClient = true;
    } else if (options.client) {
      this.client = options.client;
      this.server = describeClient(options.client);
      this.ownsClient = false;
    } else {
      throw new Error("genops: RedisStore needs a `url` (redis://host:port) or an ioredis `client`");
    }
    for (const [name, lua] of Object.entries(SCRIPTS)) this.client.defineCommand(name, { numberOfKeys: 1, lua });
    this.commands = this.client;
    this.client.on("error", this.onError);
    this.client.on("ready", this.onReady);
  }
  async reserve(request) {
    const reply = await this.script(
      "reserve",
      "genopsV1Reserve",
      request.id,
      String(request.leaseMs),
      encodeLines(request.lines)
    );
    if (reply[0] === 1) return { ok: true, lines: decodeStates(reply, 1) };
    return { ok: false, failed: decodeStates(reply.slice(0, 7), 1)[0], requested: parseNumber(reply[7]) };
  }
  async settle(id, actual, lines) {
    const amounts = {};
    for (const [unit, amount] of Object.entries(actual)) if (amount != null) amounts[unit] = String(amount);
    const reply = await this.script(
      "settle",
      "genopsV1Settle",
      id,
      JSON.stringify(amounts),
      lines ? encodeLines(lines) : ""
    );
    return { open: reply[0] === 1, lines: decodeStates(reply, 1) };
  }
  async release(id) {
    return await this.script("release", "genopsV1Release", id) === 1;
  }
  async lines(prefix = "") {
    let min = prefix === "" ? "-" : `[${prefix}`;
    const max = prefix === "" ? "+" : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([255])]);
    const states = [];
    for (; ; ) {
      const reply = await this.script("lines", "genopsV1Lines", min, max, String(LINES_BATCH));
      states.push(...decodeStates(reply, 2));
      if (Number(reply[1]) < LINES_BATCH) break;
      min = `(${reply[0]}`;
    }
    return states.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  }
  async openReservations() {
    return Number(await this.script("openReservations", "genopsV1OpenReservations"));
  }
  async markOnce(key, expiresAt) {
    const until = expiresAt == null ? "" : String(expiresAt);
    return await this.script("markOnce", "genopsV1MarkOnce", key, until) === 1;
  }
  /** Records a pending approval; a record with the same id is replaced. */
  async createApproval(record) {
    const json = JSON.stringify(record);
    const over = record.status === "pending" ? record.expiresAt : record.decidedAt ?? record.createdAt;
    await this.script(
      "createApproval",
      "genopsV1CreateApproval",
      record.id,
      json,
      record.status,
      String(record.createdAt),
      String(this.approvalTtl(over)),
      this.channel
    );
  }
  async decideApproval(id, decision) {
    const reply = await this.script(
      "decideApproval",
      "genopsV1DecideApproval",
      id,
      decision.status,
      decision.decidedBy,
      decision.reason === void 0 ? "0" : "1",
      decision.reason ?? "",
      String(this.approvalTtl(this.now())),
      this.channel
    );
    return reply ? decodeApproval(reply, 0) : void 0;
  }
  async getApproval(id) {
    return this.readApproval(id, "getApproval");
  }
  async listApprovals(filter = {}) {
    const reply = await this.script("listApprovals", "genopsV1ListApprovals", filter.status ?? "");
    const listed = [];
    for (let index = 0; index + APPROVAL_FIELDS.length <= reply.length; index += APPROVAL_FIELDS.length)
      listed.push({ record: decodeApproval(reply, index), seq: Number(reply[index + 5]) });
    listed.sort((a, b) => b.record.createdAt - a.record.createdAt || b.seq - a.seq);
    return listed.map((entry) => entry.record);
  }
  /**
   * Resolves as soon as any process decides the approval (a pub/sub message on a connection opened on
   * first use), at once when it is already decided, or with the still-pending record after `timeoutMs`
   * of real time. Rejects (a {@link RedisStoreError}) when Redis cannot be reached to start waiting.
   */
  async waitForApproval(id, timeoutMs) {
    const record = await this.readApproval(id, "waitForApproval");
    if (record?.status !== "pending" || timeoutMs <= 0) return record;
    await this.subscribe();
    return new Promise((resolve) => {
      let done = false;
      const waiter = {
        record,
        finish: (current) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const waiting2 = this.waiters.get(id);
          waiting2?.delete(waiter);
          if (waiting2?.size === 0) this.waiters.delete(id);
          resolve(current);
        }
      };
      const timer = setTimeout(
        () => {
          this.readApproval(id, "waitForApproval").then(
            (current) => waiter.finish(current ?? record),
            () => waiter.finish(record)
          );
        },
        Math.min(timeoutMs, MAX_TIMER_MS)
      );
      timer.unref();
      let waiting = this.waiters.get(id);
      if (!waiting) this.waiters.set(id, waiting = /* @__PURE__ */ new Set());
      waiting.add(waiter);
      void this.wake(id);
    });
  }
  async appendAudit(entries) {
    if (entries.length === 0) return [];
    const copies = entries.map(
      (entry) => ({
        type: entry.type,
        at: entry.at,
        subject: entry.subject,
        data: JSON.parse(JSON.stringify(entry.data))
      })
    );
    return new Promise((resolve, reject) => {
      this.auditQueue.push({ entries: copies, resolve, reject });
      void this.drainAudit();
    });
  }
  async readAudit(options = {}) {
    const fromSeq = Math.floor(options.fromSeq ?? 1);
    const limit = options.limit === void 0 ? void 0 : Math.floor(options.limit);
    if (limit !== void 0 && limit <= 0) return [];
    const start = fromSeq <= 1 ? "-" : `${fromSeq}-0`;
    const key = `${this.namespace}audit`;
    const entries = await this.run(
      "readAudit",
      (client) => limit === void 0 ? client.xrange(key, start, "+") : client.xrange(key, start, "+", "COUNT", limit)
    );
    return entries.map(([, fields]) => JSON.parse(fields[1] ?? "null"));
  }
  /**
   * Resolves every pending `waitForApproval` with the record as it is now, then quits the connections
   * the store opened (a `client` passed in is left open).
   */
  async close() {
    this.closing ??= (async () => {
      await Promise.all(
        [...this.waiters.keys()].map(async (id) => {
          const current = await this.readApproval(id, "close").catch(() => void 0);
          for (const waiter of [...this.waiters.get(id) ?? []]) waiter.finish(current ?? waiter.record);
        })
      );
      this.closed = true;
      const subscriber = this.subscriber;
      this.subscriber = void 0;
      if (subscriber) await quit(subscriber, this.timeoutMs);
      this.client.off("error", this.onError);
      this.client.off("ready", this.onReady);
      if (this.ownsClient) await quit(this.client, this.timeoutMs);
    })();
    return this.closing;
  }
  // ---- Commands ------------------------------------------------------------------------------------
  /** Runs one of the scripts with the namespace, retention and clock in front of `args`. */
  script(operation, name, ...args) {
    return this.run(
      operation,
      () => this.commands[name](this.namespace, String(this.retentionMs), String(this.now()), ...args)
    );
  }
  /**
   * Runs a command once the connection is ready, failing at once while it is known to be down and after
   * {@link timeoutMs} without a reply; every failure becomes a {@link RedisStoreError}.
   */
  async run(operation, command) {
    if (this.closed) throw this.failure(operation, "the store is closed");
    if (this.client.status !== "ready") await this.whenReady(operation);
    let timer;
    try {
      return await Promise.race([
        command(this.client),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(this.failure(operation, `no reply within ${this.timeoutMs} ms${this.statusNote()}`)),
            this.timeoutMs
          );
        })
      ]);
    } catch (error) {
      throw this.wrap(operation, error);
    } finally {
      clearTimeout(timer);
    }
  }
  /** Waits for a connection being established; fails at once when it is known to be down. */
  async whenReady(operation) {
    const client = this.client;
    switch (client.status) {
      case "ready":
        return;
      case "end":
        throw this.failure(operation, `the connection is closed${this.causeNote()}`);
      case "reconnecting":
      case "disconnecting":
        throw this.failure(operation, `the connection is down${this.causeNote()}; reconnecting`);
      case "wait":
        client.connect().catch(() => {
        });
        break;
    }
    this.connecting ??= new Promise((resolve) => {
      const finish = (reason2) => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("reconnecting", onDown);
        client.off("end", onDown);
        this.connecting = void 0;
        resolve(reason2);
      };
      const onReady = () => finish();
      const onDown = () => finish(`cannot connect${this.causeNote()}`);
      const timer = setTimeout(
        () => finish(`not connected within ${this.timeoutMs} ms${this.causeNote()}`),
        this.timeoutMs
      );
      client.on("ready", onReady);
      client.on("reconnecting", onDown);
      client.on("end", onDown);
    });
    const reason = await this.connecting;
    if (reason !== void 0) throw this.failure(operation, reason);
  }
  async readApproval(id, operation) {
    const key = `${this.namespace}approval:${id}`;
    const fields = await this.run(operation, (client) => client.hmget(key, ...APPROVAL_FIELDS));
    return fields[0] == null ? void 0 : decodeApproval(fields, 0);
  }
  /** TTL (ms) of an approval that stops mattering at `over` (epoch ms): kept for the retention after it. */
  approvalTtl(over) {
    const ttl = Math.ceil(over + this.retentionMs - this.now());
    return Number.isFinite(ttl) ? Math.max(ttl, MIN_APPROVAL_TTL_MS) : this.retentionMs;
  }
  // ---- Approval wake-ups ---------------------------------------------------------------------------
  /** Opens the subscriber connection and subscribes to decisions (once; again after a failure). */
  subscribe() {
    this.subscription ??= this.openSubscriber().catch((error) => {
      this.subscription = void 0;
      throw error;
    });
    return this.subscription;
  }
  async openSubscriber() {
    const override = { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false };
    const subscriber = this.client.isCluster ? this.client.duplicate(void 0, override) : this.client.duplicate(override);
    subscriber.on("error", () => {
    });
    subscriber.on("message", (channel, id) => {
      if (channel === this.channel) void this.wake(id);
    });
    try {
      await this.run("waitForApproval", () => subscriber.subscribe(this.channel));
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    subscriber.on("ready", () => {
      subscriber.subscribe(this.channel).then(
        () => {
          for (const id of this.waiters.keys()) void this.wake(id);
        },
        () => {
        }
      );
    });
    if (this.closed) subscriber.disconnect();
    else this.subscriber = subscriber;
  }
  /** Reads an awaited approval and finishes its waiters when it has been decided. */
  async wake(id) {
    if (!this.waiters.get(id)?.size) return;
    const record = await this.readApproval(id, "waitForApproval").catch(() => void 0);
    if (!record || record.status === "pending") return;
    for (const waiter of [...this.waiters.get(id) ?? []]) waiter.finish(structuredClone(record));
  }
  // ---- Audit ---------------------------------------------------------------------------------------
  /** Appends queued batches, combining those waiting into one script run, in order. */
  async drainAudit() {
    if (this.auditDraining) return;
    this.auditDraining = true;
    try {
      while (this.auditQueue.length > 0) {
        let count = 0;
        let take = 0;
        while (take < this.auditQueue.length && (take === 0 || count + this.auditQueue[take].entries.length <= AUDIT_BATCH))
          count += this.auditQueue[take++].entries.length;
        const batch = this.auditQueue.splice(0, take);
        try {
          const records = await this.appendChained(batch.flatMap((item) => item.entries));
          let offset = 0;
          for (const item of batch) {
            item.resolve(records.slice(offset, offset + item.entries.length));
            offset += item.entries.length;
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.auditDraining = false;
    }
  }
  /** Hashes `entries` onto the tip this instance expects and appends them if the tip has not moved. */
  async appendChained(entries) {
    for (let attempt = 0; attempt < AUDIT_ATTEMPTS; attempt++) {
      const tip = this.auditTip;
      const records = chainAuditEntries(tip, entries);
      const last = records[records.length - 1];
      const pairs = records.flatMap((record) => [String(record.seq), JSON.stringify(record)]);
      const reply = await this.script(
        "appendAudit",
        "genopsV1AppendAudit",
        String(tip?.seq ?? 0),
        tip?.hash ?? GENESIS_HASH,
        this.maxAuditRecords === void 0 ? "" : String(this.maxAuditRecords),
        String(last.seq),
        last.hash,
        ...pairs
      );
      if (reply[0] === 1) {
        this.auditTip = { seq: last.seq, hash: last.hash };
        return records;
      }
      const seq = Number(reply[1]);
      this.auditTip = seq === 0 ? void 0 : { seq, hash: String(reply[2]) };
    }
    throw this.failure("appendAudit", `the audit chain's tip kept moving (${AUDIT_ATTEMPTS} attempts)`);
  }
  // ---- Errors --------------------------------------------------------------------------------------
  failure(operation, reason, cause) {
    return new RedisStoreError({ server: this.server, namespace: this.prefix, operation, reason, cause });
  }
  wrap(operation, error) {
    if (RedisStoreError.isInstance(error)) return error;
    const message = error?.message ?? String(error);
    if (error?.name === "ReplyError" && message.startsWith("genops:")) return new Error(message);
    if (error?.name === "ReplyError") return this.failure(operation, `Redis replied "${message}"`, error);
    if (error?.name === "MaxRetriesPerRequestError" || message.includes("Stream isn't writeable") || message.includes("Connection is closed"))
      return this.failure(operation, `the connection was lost${this.causeNote() || " (socket closed)"}`, error);
    return this.failure(operation, message, error);
  }
  causeNote() {
    return this.lastError ? ` (${this.lastError.message})` : "";
  }
  statusNote() {
    return this.client.status === "ready" ? "" : ` (connection ${this.client.status}${this.causeNote()})`;
  }
};
function encodeLines(lines) {
  return JSON.stringify(
    lines.map((line) => [
      line.key,
      line.budget,
      line.unit,
      String(line.limit),
      String(line.amount),
      line.enforce ? "1" : "0",
      line.expiresAt == null ? "" : String(line.expiresAt),
      line.rolling ? String(line.rolling.windowMs) : "",
      line.rolling ? String(line.rolling.bucketMs) : ""
    ])
  );
}
function decodeStates(reply, start) {
  const states = [];
  for (let index = start; index + 6 <= reply.length; index += 6) {
    states.push({
      key: String(reply[index]),
      budget: String(reply[index + 1]),
      unit: String(reply[index + 2]),
      limit: parseNumber(reply[index + 3]),
      used: parseNumber(reply[index + 4]),
      reserved: parseNumber(reply[index + 5])
    });
  }
  return states;
}
function decodeApproval(reply, start) {
  const record = JSON.parse(String(reply[start]));
  record.status = String(reply[start + 1]);
  const decidedAt = reply[start + 2];
  const decidedBy = reply[start + 3];
  const reason = reply[start + 4];
  if (decidedAt != null) record.decidedAt = parseNumber(decidedAt);
  if (decidedBy != null) record.decidedBy = String(decidedBy);
  if (reason != null) record.decisionReason = String(reason);
  return record;
}
function parseNumber(value) {
  if (typeof value === "number") return value;
  if (value === "inf") return Number.POSITIVE_INFINITY;
  if (value === "-inf") return Number.NEGATIVE_INFINITY;
  return Number(value);
}
function positive(value, fallback) {
  return value !== void 0 && Number.isFinite(value) && value > 0 ? value : fallback;
}
function describeUrl(url) {
  try {
    const parsed = new URL(url);
    const port = parsed.port || "6379";
    const db = parsed.pathname && parsed.pathname !== "/" ? parsed.pathname : "";
    return `${parsed.protocol}//${parsed.hostname}:${port}${db}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
function describeClient(client) {
  if (client.isCluster) return "Redis Cluster";
  const options = client.options;
  if (options.path) return `redis+unix://${options.path}`;
  const db = options.db ? `/${options.db}` : "";
  return `${options.tls ? "rediss" : "redis"}://${options.host ?? "127.0.0.1"}:${options.port ?? 6379}${db}`;
}
async function quit(client, timeoutMs) {
  if (client.status === "end") return;
  let timer;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("quit timed out")), timeoutMs);
      })
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

// ../../../../../tmp/stores/baseredis/src/open-store.ts
var EXPECTED = "expected redis://[user:password@]host:port[/db] or rediss://... (TLS), optionally with ?prefix=<namespace>&failMode=open|closed&timeoutMs=<ms>";
function openStore(url, options = {}) {
  const { url: serverUrl, options: fromUrl } = parseRedisUrl(url);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== void 0));
  return new RedisStore({ ...fromUrl, ...given, url: serverUrl });
}
function parseRedisUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`genops: "${redact(url)}" is not a Redis store URL (${EXPECTED})`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new Error(`genops: "${redact(url)}" is not a Redis store URL (${EXPECTED})`);
  const options = {};
  for (const [name, value] of [...parsed.searchParams]) {
    if (name === "failMode") {
      if (value !== "open" && value !== "closed")
        throw new Error(`genops: the Redis store URL "${redact(url)}" has failMode=${value} (${EXPECTED})`);
      options.failMode = value;
    } else if (name === "timeoutMs") {
      if (!/^\d+$/.test(value) || Number(value) <= 0)
        throw new Error(`genops: the Redis store URL "${redact(url)}" has timeoutMs=${value} (${EXPECTED})`);
      options.timeoutMs = Number(value);
    } else if (name === "prefix") {
      options.prefix = value;
    } else {
      continue;
    }
    parsed.searchParams.delete(name);
  }
  return { url: parsed.toString(), options };
}
function redact(url) {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

// ../../../../../tmp/stores/baseredis/src/version.ts
var VERSION = typeof __PACKAGE_VERSION__ !== "undefined" ? __PACKAGE_VERSION__ : "0.0.0-test";
export {
  RedisStore,
  RedisStoreError,
  VERSION,
  openStore,
  parseRedisUrl
};
