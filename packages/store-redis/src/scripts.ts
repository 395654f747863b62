import { createHash } from 'node:crypto';
import type { RedisClientLike } from './client.js';

/**
 * Every atomic step is one Lua script on exactly one key, so each runs on the node that owns that key's
 * slot and Redis Cluster needs no hash tags or cross-slot transactions. The one exception,
 * {@link CREATE_INDEXED}, runs only on a single node, where every key is local. All scripts take the app's clock
 * (`now`, epoch ms) as an argument and set relative TTLs from it, so a clock difference between the app
 * and Redis neither shortens nor lengthens sessions.
 *
 * Rule for every script: once a key may have been deleted, the script does not touch it again. While its
 * slot is migrating, a key that vanished mid-script counts as "not local", and Redis aborts the script
 * halfway (scripts do not roll back). So records are overwritten in place, never deleted and rewritten.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

const PRELUDE = `
-- A record is live until the earlier of its two deadlines (Redis's own TTL removes it then too).
-- Both arguments are hash values, false when the key holds no record.
local function isLiveAt(idle, absolute, now)
  return idle and absolute and math.min(tonumber(idle), tonumber(absolute)) > now
end

local function isLive(key, now)
  local deadlines = redis.call('HMGET', key, 'idleExpiresAt', 'absoluteExpiresAt')
  return isLiveAt(deadlines[1], deadlines[2], now)
end

-- Keeps the key until the deadline (epoch ms, on the app's clock, as now is), rounded up so Redis never
-- expires it early. A deadline already reached deletes the key at once.
local function keepUntil(key, deadline, now)
  local ttl = math.ceil(deadline - now)
  if ttl > 0 then
    redis.call('PEXPIRE', key, string.format('%d', ttl))
  else
    redis.call('DEL', key)
  end
end

-- Overwrites the record with the field/value pairs argv[from..], drops nullable fields the new record
-- leaves out, and sets the TTL. A record already past its deadline (ttl <= 0) is written as gone.
local NULLABLE = { 'userId', 'authenticatedAt', 'ip', 'userAgent' }
local function writeRecord(key, ttl, argv, from)
  if tonumber(ttl) <= 0 then
    redis.call('DEL', key)
    return
  end
  local present = {}
  for i = from, #argv, 2 do present[argv[i]] = true end
  local absent = {}
  for _, field in ipairs(NULLABLE) do
    if not present[field] then absent[#absent + 1] = field end
  end
  redis.call('HSET', key, unpack(argv, from))
  if #absent > 0 then redis.call('HDEL', key, unpack(absent)) end
  redis.call('PEXPIRE', key, ttl)
end

-- Adds or raises the user index entry of id (never lowers it), drops entries whose deadline has passed,
-- and keeps the key alive exactly as long as its latest entry. false when the deadline has passed.
local function indexAdd(key, now, deadline, id)
  -- A dead entry would be pruned at once, possibly deleting the key under the script.
  if deadline <= now then return false end
  -- Add before pruning: the new entry is live, so pruning can never delete the key under the script.
  redis.call('ZADD', key, 'GT', deadline, id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  keepUntil(key, tonumber(latest[2]), now)
  return true
end
`;

function script(body: string): LuaScript {
  const source = `${PRELUDE}\n${body.trim()}\n`;
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: record. ARGV: now, ttlMs, ...hash fields.
 * Writes the record unless a live one holds the key. 1 = written (or, with ttlMs <= 0, accepted as
 * already expired), 0 = a live record is there.
 */
export const CREATE = script(`
if isLive(KEYS[1], tonumber(ARGV[1])) then return 0 end
writeRecord(KEYS[1], ARGV[2], ARGV, 3)
return 1
`);

/**
 * KEYS: record, its owner's user index. ARGV: now, ttlMs, absoluteExpiresAt, id, ...hash fields.
 * {@link CREATE} and {@link INDEX_ADD} in one round trip, for a single node only (the two keys are in
 * different Cluster slots). 1 = written, 0 = a live record is there (nothing written).
 */
export const CREATE_INDEXED = script(`
local now = tonumber(ARGV[1])
if isLive(KEYS[1], now) then return 0 end
indexAdd(KEYS[2], now, tonumber(ARGV[3]), ARGV[4])
writeRecord(KEYS[1], ARGV[2], ARGV, 5)
return 1
`);

/**
 * KEYS: record. ARGV: now, ttlMs, expectedVersion, indexed ('1' when the caller has already indexed the
 * new owner), userId ('' for none), hasUserId ('1'/'0'), absoluteExpiresAt, ...hash fields.
 * Compare-and-set. 1 = replaced, 0 = missing, expired or another version, -1 = the record would gain an
 * owner or a later absolute deadline than the owner's index holds: index it first, then call again.
 */
export const REPLACE = script(`
local now = tonumber(ARGV[1])
local current = redis.call('HMGET', KEYS[1], 'version', 'idleExpiresAt', 'absoluteExpiresAt', 'userId')
if not current[1] or tonumber(current[1]) ~= tonumber(ARGV[3]) then return 0 end
if not isLiveAt(current[2], current[3], now) then return 0 end
if ARGV[4] ~= '1' and ARGV[6] == '1'
    and (current[4] ~= ARGV[5] or tonumber(ARGV[7]) > tonumber(current[3])) then
  return -1
end
writeRecord(KEYS[1], ARGV[2], ARGV, 8)
return 1
`);

/**
 * KEYS: record. ARGV: now, idleExpiresAt, lastSeenAt.
 * Rewrites only the two fields and the TTL; data and version stay. 1 = touched, 0 = missing or expired.
 */
export const TOUCH = script(`
local now = tonumber(ARGV[1])
local deadlines = redis.call('HMGET', KEYS[1], 'idleExpiresAt', 'absoluteExpiresAt')
if not isLiveAt(deadlines[1], deadlines[2], now) then return 0 end
redis.call('HSET', KEYS[1], 'idleExpiresAt', ARGV[2], 'lastSeenAt', ARGV[3])
keepUntil(KEYS[1], math.min(tonumber(ARGV[2]), tonumber(deadlines[2])), now)
return 1
`);

/** KEYS: record. Deletes it; returns its owner's user id (nil when anonymous or missing). */
export const DELETE = script(`
local owner = redis.call('HGET', KEYS[1], 'userId')
redis.call('DEL', KEYS[1])
return owner
`);

/**
 * KEYS: record. ARGV: now, userId.
 * Deletes the record only if `userId` owns it, so a stale index entry can never delete someone else's
 * session. 1 = a live record was deleted, 0 = otherwise.
 */
export const DELETE_IF_OWNED = script(`
local record = redis.call('HMGET', KEYS[1], 'userId', 'idleExpiresAt', 'absoluteExpiresAt')
if record[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if isLiveAt(record[2], record[3], tonumber(ARGV[1])) then return 1 end
return 0
`);

/**
 * KEYS: user index (sorted set: member = record id, score = the record's absolute deadline).
 * ARGV: now, absoluteExpiresAt, id.
 * Adds or raises the entry (never lowers it), drops entries whose deadline has passed, and keeps the key
 * alive exactly as long as its latest entry. 1 = indexed, 0 = the deadline has passed (nothing written).
 */
export const INDEX_ADD = script(`
if indexAdd(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]) then return 1 end
return 0
`);

/** KEYS: user index. ARGV: now. Drops entries whose deadline has passed and returns the remaining ids. */
export const INDEX_READ = script(`
local live = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[1], '+inf', 'BYSCORE')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return live
`);

/** Every script the store runs, for loading them all on a connection (see `preload.ts`). */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  CREATE,
  CREATE_INDEXED,
  REPLACE,
  TOUCH,
  DELETE,
  DELETE_IF_OWNED,
  INDEX_ADD,
  INDEX_READ,
];

/**
 * Runs `script` on `key` with `EVALSHA`, falling back to `EVAL` (which also caches it) when the node
 * answers `NOSCRIPT`. The store loads its scripts on each connection as it opens (`preload.ts`), so that
 * happens only for a call sent before that load, or after the cache was emptied under a live connection
 * (`SCRIPT FLUSH`, a failover behind a proxy).
 */
export async function runScript(
  client: RedisClientLike,
  { source, sha1 }: LuaScript,
  keys: string | readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const keyList = typeof keys === 'string' ? [keys] : keys;
  try {
    return await client.evalsha(sha1, keyList.length, ...keyList, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(source, keyList.length, ...keyList, ...args);
  }
}
