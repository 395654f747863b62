import {
  invalidOption,
  isExpired,
  recordExpiresAt,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type TouchUpdate,
} from '@coatcheck/core/store';
import { assertRedisClient, type RedisClientLike } from './client.js';
import { keepScriptsLoaded } from './preload.js';
import { recordFromHash, recordToHashFields } from './record-hash.js';
import {
  ALL_SCRIPTS,
  CREATE,
  CREATE_INDEXED,
  DELETE,
  DELETE_IF_OWNED,
  INDEX_ADD,
  INDEX_READ,
  type LuaScript,
  REPLACE,
  runScript,
  TOUCH,
} from './scripts.js';

/** Options of {@link createRedisStore}. Redis deletes expired records itself, so there is no expiry option. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key: records live at `<prefix>session:<id>`, per-user indexes at
   * `<prefix>user:<userId>`. Give each app (or each test run) its own.
   * @default 'coatcheck:'
   */
  prefix?: string;
  /**
   * The store's clock (epoch ms). It decides which records have expired when they are read, and it is the
   * `now` the Lua scripts receive: a key's TTL is its record's deadline minus `now`, so Redis's own clock
   * never matters. Give it the clock you give `createSessions({ now })`.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * The store {@link createRedisStore} returns: Coatcheck's {@link SessionStore} with the per-user index,
 * `close()`, and the names of the keys it writes.
 *
 * - A record is a hash whose TTL is its deadline (the earlier of idle and absolute), so Redis deletes it:
 *   there is nothing to sweep, and no `deleteExpired`.
 * - `create`, `replace` (compare-and-set on `version`), `touch` and the deletes are Lua scripts on one key:
 *   atomic on the server, one round trip, and valid on Cluster whatever slot the key hashes to. The one
 *   exception: on a standalone server (a `Redis` client whose server says `redis_mode:standalone`), a
 *   logged-in record and its index entry are created by one two-key script.
 * - The store loads those scripts (`SCRIPT LOAD`) on the client's connection, and on a Cluster on every
 *   master node's, as it opens (it never opens one itself) and after every reconnection (a restart, a
 *   failover), so calls find them cached. A call that still answers `NOSCRIPT` (sent before the load on its
 *   connection, like the one that opened a lazy connection, or after `SCRIPT FLUSH` under a live connection)
 *   is retried with `EVAL`: one more round trip, once.
 * - A user's sessions are listed by a sorted set per user (score: the record's absolute deadline). It lives
 *   in another slot than the records, so it is written *before* a record gains an owner and cleaned
 *   *after* a record is deleted: an interrupted step leaves at most a stale entry, which is never
 *   returned, never deletes anyone else's record, and is dropped once its deadline passes.
 */
export interface RedisSessionStore extends SessionStore {
  /**
   * Lists the user's live sessions. Two round trips: the index (dropping entries past their deadline),
   * then every record in parallel.
   */
  listByUser(userId: string): Promise<StoredSession[]>;
  /**
   * Deletes the user's live sessions, except `options.exceptId`. Three round trips: the index, the owned
   * records deleted in parallel (each only if it still belongs to `userId`), then their index entries.
   * Interrupted, it leaves the not-yet-deleted records indexed, so calling it again finishes the job.
   * @returns how many live sessions were deleted.
   */
  deleteByUser(userId: string, options?: { exceptId?: string }): Promise<number>;
  /**
   * Removes the listeners the store added to the client's connection events. The client stays open (it is
   * yours) and the store keeps working; its scripts are just no longer reloaded after a reconnection.
   */
  close(): Promise<void>;
  /** The key of the record with store id `id`: `<prefix>session:<id>`. */
  recordKey(id: string): string;
  /** The key of `userId`'s index of record ids: `<prefix>user:<userId>`. */
  userIndexKey(userId: string): string;
}

/**
 * Creates a session store on Redis or Redis Cluster through an ioredis client you made (ioredis 5 or 6).
 *
 * ```ts
 * const client = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
 * const store = createRedisStore(client, { prefix: 'myapp:' });
 * ```
 *
 * @param client an ioredis `Redis` or `Cluster`. The store never builds, configures, connects or closes it;
 *   it listens to its connection events to load its Lua scripts, and `close()` removes those listeners.
 *   Recommended so that requests fail fast with `STORE_ERROR` while Redis is unreachable:
 *   `maxRetriesPerRequest: 1` on a `Redis`; `enableOfflineQueue: false` and
 *   `redisOptions: { maxRetriesPerRequest: 1 }` on a `Cluster` (then wait for its `ready` event at start-up).
 * @param options see {@link RedisStoreOptions}.
 * @throws `INVALID_OPTION` naming the option: `client` lacks a command the store sends, `options` is not
 *   an object, `prefix` is not a string or `now` is not a function.
 */
export function createRedisStore(
  client: RedisClientLike,
  options: RedisStoreOptions = {},
): RedisSessionStore {
  assertRedisClient(client);
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const prefix = options.prefix ?? 'coatcheck:';
  if (typeof prefix !== 'string') invalidOption('prefix', `must be a string (got ${typeof prefix})`);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
  return new RedisStore(client, prefix, now);
}

/** See {@link RedisSessionStore}; only {@link createRedisStore} makes one. */
class RedisStore implements RedisSessionStore {
  private readonly stopLoadingScripts: () => void;
  /**
   * Whether a script may touch two keys: only on one standalone server, where every key is local. Asked
   * once (`INFO server`), at the first create of a logged-in record: a plain `Redis` client may also talk to
   * a sharding proxy (twemproxy, Envoy), which routes a script by its first key alone, or to a sharded
   * Redis Enterprise database. Neither says `redis_mode:standalone`; a Cluster is never asked.
   */
  private singleNode: Promise<boolean> | undefined;

  constructor(
    private readonly client: RedisClientLike,
    private readonly prefix: string,
    private readonly now: () => number,
  ) {
    this.stopLoadingScripts = keepScriptsLoaded(client, ALL_SCRIPTS);
  }

  async close(): Promise<void> {
    this.stopLoadingScripts();
  }

  recordKey(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  userIndexKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  /**
   * One round trip. Elsewhere than on a standalone server, two when the record has a user: the index entry,
   * in another slot, is written first. (The first logged-in create also asks the server what it is, once.)
   */
  async create(id: string, record: SessionRecord): Promise<boolean> {
    const now = this.now();
    const ttlMs = ttlOf(record, now);
    if (record.userId !== null && ttlMs > 0 && (await this.isSingleNode())) {
      const created = await this.run(
        CREATE_INDEXED,
        [this.recordKey(id), this.userIndexKey(record.userId)],
        [String(now), String(ttlMs), String(record.absoluteExpiresAt), id, ...recordToHashFields(record)],
      );
      return created === 1;
    }
    if (record.userId !== null && ttlMs > 0) await this.index(record.userId, id, record, now);
    const created = await this.run(CREATE, this.recordKey(id), [
      String(now),
      String(ttlMs),
      ...recordToHashFields(record),
    ]);
    return created === 1;
  }

  /** One round trip (`HGETALL`). */
  async get(id: string): Promise<SessionRecord | null> {
    const record = recordFromHash(await this.client.hgetall(this.recordKey(id)));
    return record && !isExpired(record, this.now()) ? record : null;
  }

  /**
   * One round trip. A replace that gives the record a new owner or a later absolute deadline (core never
   * does either: login creates a new record) first learns so from the script, indexes, and retries: three.
   */
  async replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const now = this.now();
    const key = this.recordKey(id);
    const ttlMs = ttlOf(record, now);
    const args = (indexed: boolean) => [
      String(now),
      String(ttlMs),
      String(expectedVersion),
      indexed ? '1' : '0',
      record.userId ?? '',
      record.userId === null ? '0' : '1',
      String(record.absoluteExpiresAt),
      ...recordToHashFields(record),
    ];
    // A record already past its deadline is deleted, not written: there is no owner to index it under.
    let replaced = await this.run(REPLACE, key, args(ttlMs <= 0));
    if (replaced === -1 && record.userId !== null) {
      await this.index(record.userId, id, record, now);
      replaced = await this.run(REPLACE, key, args(true));
    }
    return replaced === 1;
  }

  /** One round trip; sends two numbers, never the data. */
  async touch(id: string, update: TouchUpdate): Promise<boolean> {
    const touched = await this.run(TOUCH, this.recordKey(id), [
      String(this.now()),
      String(update.idleExpiresAt),
      String(update.lastSeenAt),
    ]);
    return touched === 1;
  }

  /** One round trip, plus one to clean the owner's index when the record had a user. */
  async delete(id: string): Promise<void> {
    const owner = await this.run(DELETE, this.recordKey(id), []);
    // Record first, index second: if this is interrupted, a stale entry remains and is ignored.
    if (typeof owner === 'string') await this.client.zrem(this.userIndexKey(owner), id);
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const ids = await this.indexedIds(userId);
    const now = this.now();
    const records = await Promise.all(
      ids.map(async (id) => recordFromHash(await this.client.hgetall(this.recordKey(id)))),
    );
    // Stale entries (record gone, or now another user's) are skipped, not removed: a create may be
    // between writing its index entry and its record, and removing that entry would hide a live session.
    return ids.flatMap((id, i) => {
      const record = records[i];
      return record && record.userId === userId && !isExpired(record, now) ? [{ id, record }] : [];
    });
  }

  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    const ids = (await this.indexedIds(userId)).filter((id) => id !== options.exceptId);
    const now = String(this.now());
    const deleted = await Promise.all(
      ids.map(async (id) => (await this.run(DELETE_IF_OWNED, this.recordKey(id), [now, userId])) === 1),
    );
    const deletedIds = ids.filter((_, i) => deleted[i]);
    if (deletedIds.length > 0) await this.client.zrem(this.userIndexKey(userId), ...deletedIds);
    return deletedIds.length;
  }

  private isSingleNode(): Promise<boolean> {
    const { client } = this;
    this.singleNode ??=
      (client as { isCluster?: unknown }).isCluster !== false || typeof client.info !== 'function'
        ? Promise.resolve(false)
        : client.info('server').then(
            (info) => /^redis_mode:standalone\r?$/m.test(String(info)),
            (error: unknown) => {
              // Refused (a proxy without INFO): one key per script from now on. No answer (the server is
              // down): one key per script this time, and ask again next time.
              if ((error as { name?: unknown } | null)?.name !== 'ReplyError') this.singleNode = undefined;
              return false;
            },
          );
    return this.singleNode;
  }

  /** Writes (or raises) `id`'s entry in its owner's index; must precede the record write. */
  private async index(userId: string, id: string, record: SessionRecord, now: number): Promise<void> {
    await this.run(INDEX_ADD, this.userIndexKey(userId), [String(now), String(record.absoluteExpiresAt), id]);
  }

  private async indexedIds(userId: string): Promise<string[]> {
    return (await this.run(INDEX_READ, this.userIndexKey(userId), [String(this.now())])) as string[];
  }

  private run(
    script: LuaScript,
    keys: string | readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    return runScript(this.client, script, keys, args);
  }
}

/** Milliseconds until the record's deadline, rounded up so Redis never expires a key early. */
function ttlOf(record: SessionRecord, nowMs: number): number {
  return Math.ceil(recordExpiresAt(record) - nowMs);
}
