import {
  assertMethods,
  type CoatcheckError,
  invalidOption,
  isCoatcheckError,
  isExpired,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type Sweeper,
  startSweeper,
  type TouchUpdate,
} from '@coatcheck/core';
import { expiredAt, liveAt, toFields, toRecord } from './document.js';
import {
  ferretDbVersion,
  hasOneConnection,
  isFerretDbV1,
  type MongoCommandTarget,
  warnAboutFerretDbOnce,
} from './ferretdb.js';
import { type AutoRemove, createSessionIndexes } from './indexes.js';
import {
  COLLECTION_METHODS,
  type MongoCollectionLike,
  type MongoDbLike,
  type MongoServerHandle,
} from './mongo-client.js';

/** Options of {@link MongoStore}. Pass `db` or `collection`, not both. */
export interface MongoStoreOptions {
  /** A `Db` from your `mongodb` client (driver 6 or 7); the store uses its `collectionName` collection. */
  db?: MongoDbLike;
  /** The collection to use, from your `mongodb` client (driver 6 or 7). Instead of `db`. */
  collection?: MongoCollectionLike;
  /** The collection's name when `db` is given. @default 'sessions' */
  collectionName?: string;
  /**
   * How expired sessions are deleted. Reads never return them either way.
   * - `'native'`: a TTL index; the server deletes them (MongoDB checks once a minute).
   * - `'interval'`: the store runs {@link MongoStore.deleteExpired} every `autoRemoveIntervalSeconds`
   *   with core's `startSweeper`, for servers that refuse TTL indexes (FerretDB, some DocumentDB and
   *   Cosmos DB versions).
   * - `'off'`: nothing; run `deleteExpired()` yourself (a cron job).
   * @default 'native'
   */
  autoRemove?: AutoRemove;
  /**
   * Seconds from the end of one `autoRemove: 'interval'` sweep to the start of the next (the first runs
   * one interval after construction). @default 600
   */
  autoRemoveIntervalSeconds?: number;
  /**
   * Create the indexes (see {@link MongoStore.ensureIndexes}) when the store is constructed; store calls
   * wait for them. Turn it off when your deployment creates indexes, and call `ensureIndexes()` there.
   * @default true
   */
  ensureIndexesOnStart?: boolean;
  /**
   * Called when a sweep of `autoRemove: 'interval'` fails (the store keeps sweeping).
   * @default logs the error with `console.warn`
   */
  onSweepError?: (error: CoatcheckError) => void;
}

const AUTO_REMOVE_MODES: readonly AutoRemove[] = ['native', 'interval', 'off'];
const DUPLICATE_KEY = 11000;

/**
 * Keeps sessions in MongoDB, or any server speaking its wire protocol, through the `mongodb` client you
 * pass in (the store never opens or closes a connection).
 *
 * One document per session, `_id` = the session id. Every method on one session is a single-document
 * operation, atomic on MongoDB: compare-and-set is an update filtered on id, version and deadline, so it
 * needs neither transactions nor a replica set. `listByUser`, `deleteByUser` and `deleteExpired` are
 * multi-document operations: each document is deleted atomically, the set as a whole is not.
 *
 * On FerretDB v1 the store warns once (see the README) unless its client has `maxPoolSize: 1`: filtered
 * updates are not atomic there across connections. FerretDB also refuses the TTL index of the default
 * `autoRemove: 'native'`; use `'interval'` there.
 *
 * ```ts
 * const client = new MongoClient(process.env.MONGO_URL!);
 * const store = new MongoStore({ db: client.db('app') });
 * ```
 */
export class MongoStore implements SessionStore {
  /** The collection the sessions live in. */
  readonly collection: MongoCollectionLike;
  private readonly autoRemove: AutoRemove;
  private readonly server: MongoServerHandle | undefined;
  private indexesReady: boolean;
  private indexesPending: Promise<void> | null = null;
  private serverCheck: Promise<void> | null = null;
  private waitForServerCheck = true;
  private readonly sweeper: Sweeper | null;

  constructor(options: MongoStoreOptions) {
    if (!options || typeof options !== 'object') invalidOption('options', 'must be an object');
    this.collection = resolveCollection(options);
    this.server = options.db ?? this.collection.db;
    this.autoRemove = options.autoRemove ?? 'native';
    if (!AUTO_REMOVE_MODES.includes(this.autoRemove)) {
      invalidOption(
        'autoRemove',
        `must be 'native', 'interval' or 'off' (got ${String(options.autoRemove)})`,
      );
    }
    const intervalSeconds = options.autoRemoveIntervalSeconds ?? 600;
    if (typeof intervalSeconds !== 'number' || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0) {
      invalidOption(
        'autoRemoveIntervalSeconds',
        `must be a positive number (got ${String(intervalSeconds)})`,
      );
    }
    if (options.onSweepError !== undefined && typeof options.onSweepError !== 'function') {
      invalidOption('onSweepError', 'must be a function');
    }
    const onSweepError =
      options.onSweepError ??
      ((error: CoatcheckError) => console.warn(`[coatcheck] MongoStore sweep failed: ${error.message}`));
    const ensureIndexesOnStart = options.ensureIndexesOnStart ?? true;
    if (typeof ensureIndexesOnStart !== 'boolean') invalidOption('ensureIndexesOnStart', 'must be a boolean');

    this.indexesReady = !ensureIndexesOnStart;
    // Started now so it overlaps the app's start-up. Every store call waits for it and throws its failure;
    // a refused TTL index is also logged right away, so it shows at start-up, not at the first login.
    if (ensureIndexesOnStart) this.startupIndexes().catch(logConfigurationError);
    this.sweeper =
      this.autoRemove === 'interval' ? startSweeper(this, { intervalSeconds, onError: onSweepError }) : null;
  }

  /**
   * Creates the indexes the store relies on: one on `userId` (for listing and revoking a user's
   * sessions) and one on `expiresAt`, a TTL index when `autoRemove` is `'native'`. Safe to call
   * repeatedly and from several processes.
   * @throws `CoatcheckError` `TTL_INDEX_UNSUPPORTED` when the server refuses the TTL index; the message
   *   names `autoRemove: 'interval'`, which works everywhere. `STORE_ERROR` for other failures.
   */
  async ensureIndexes(): Promise<void> {
    await this.checkServerOnce();
    await createSessionIndexes(this.collection, this.autoRemove);
  }

  async create(id: string, record: SessionRecord): Promise<boolean> {
    await this.startupIndexes();
    const fields = toFields(record);
    try {
      await this.collection.insertOne({ _id: id, ...fields });
      return true;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== DUPLICATE_KEY) throw error;
    }
    // The id is taken, but an expired record the server has not deleted yet does not count.
    const { matchedCount } = await this.collection.replaceOne({ _id: id, ...expiredAt(Date.now()) }, fields);
    return matchedCount === 1;
  }

  async get(id: string): Promise<SessionRecord | null> {
    await this.startupIndexes();
    // By `_id` alone, with the deadline checked here: MongoDB does the same index lookup either way, and
    // FerretDB v1 only uses an index for a filter that is exactly `{ _id }` (it scans for anything else).
    const document = await this.collection.findOne({ _id: id });
    const record = document ? toRecord(document) : null;
    return record && !isExpired(record) ? record : null;
  }

  async replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    await this.startupIndexes();
    const { matchedCount } = await this.collection.replaceOne(
      { _id: id, version: expectedVersion, ...liveAt(Date.now()) },
      toFields(record),
    );
    return matchedCount === 1;
  }

  async touch(id: string, update: TouchUpdate): Promise<boolean> {
    await this.startupIndexes();
    // The absolute deadline is not at hand, but core caps the idle deadline at it, so the new idle
    // deadline is the record's deadline. (An uncapped one only delays removal: reads stay exact.)
    const { matchedCount } = await this.collection.updateOne(
      { _id: id, ...liveAt(Date.now()) },
      {
        $set: {
          idleExpiresAt: update.idleExpiresAt,
          lastSeenAt: update.lastSeenAt,
          expiresAt: new Date(update.idleExpiresAt),
        },
      },
    );
    return matchedCount === 1;
  }

  async delete(id: string): Promise<void> {
    await this.startupIndexes();
    await this.collection.deleteOne({ _id: id });
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    await this.startupIndexes();
    const documents = await this.collection.find({ userId, ...liveAt(Date.now()) }).toArray();
    return documents.map((document) => ({
      id: (document as { _id: string })._id,
      record: toRecord(document),
    }));
  }

  /**
   * Deletes the user's live sessions; expired ones are left to the TTL index or sweep, so the count
   * is of sessions that were still valid.
   */
  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    await this.startupIndexes();
    const except = options.exceptId === undefined ? {} : { _id: { $ne: options.exceptId } };
    const { deletedCount } = await this.collection.deleteMany({ userId, ...except, ...liveAt(Date.now()) });
    return deletedCount;
  }

  /**
   * Deletes every expired session. `autoRemove: 'interval'` calls it on a timer; with `'off'`, run it
   * from a cron job. Uses the `expiresAt` index.
   * @returns how many sessions were deleted.
   */
  async deleteExpired(): Promise<number> {
    await this.startupIndexes();
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: new Date() } });
    return deletedCount;
  }

  /** Stops the `autoRemove: 'interval'` timer and waits for a sweep in progress. Leaves the client open. */
  async close(): Promise<void> {
    await this.sweeper?.stop();
  }

  /** Resolves once the start-up indexes exist; every store call waits for it. */
  private async startupIndexes(): Promise<void> {
    await this.checkServerOnce();
    if (this.indexesReady) return;
    this.indexesPending ??= this.ensureIndexes().then(
      () => {
        this.indexesReady = true;
      },
      (error: unknown) => {
        // An outage is retried by the next call; a refused TTL index is configuration, so it keeps failing.
        if (!isCoatcheckError(error, 'TTL_INDEX_UNSUPPORTED')) this.indexesPending = null;
        throw error;
      },
    );
    return this.indexesPending;
  }

  /**
   * Asks the server what it is (`buildInfo`, one round trip, on first use) and warns once per process on
   * FerretDB v1, unless the client has `maxPoolSize: 1`. Advisory: a failure (an outage the calling
   * operation reports itself) is not thrown; later calls ask again in the background, so an outage never
   * costs each request a second timeout.
   */
  private checkServerOnce(): Promise<void> {
    const server = this.server;
    if (typeof server?.command !== 'function') return Promise.resolve();
    this.serverCheck ??= ferretDbVersion(server as MongoCommandTarget).then(
      (version) => {
        if (version !== null && isFerretDbV1(version) && !hasOneConnection(server.client)) {
          warnAboutFerretDbOnce(version, server.client);
        }
      },
      () => {
        this.serverCheck = null;
        this.waitForServerCheck = false;
      },
    );
    return this.waitForServerCheck ? this.serverCheck : Promise.resolve();
  }
}

/**
 * For the start-up index creation, which nobody awaits: a refused TTL index is configuration, so it is
 * logged at once. Anything else (an outage) is left to the store call that meets it, which retries.
 */
function logConfigurationError(error: unknown): void {
  if (!isCoatcheckError(error, 'TTL_INDEX_UNSUPPORTED')) return;
  console.error(`${error.message} Until then, every call of this store fails with TTL_INDEX_UNSUPPORTED.`);
}

function resolveCollection(options: MongoStoreOptions): MongoCollectionLike {
  const { db, collection, collectionName } = options;
  if (db !== undefined && collection !== undefined)
    invalidOption('db', 'and `collection` exclude each other');
  if (collection !== undefined) {
    if (collectionName !== undefined) invalidOption('collectionName', 'only applies with `db`');
    assertMethods<MongoCollectionLike>(collection, 'collection', COLLECTION_METHODS, {
      expected: 'a mongodb Collection',
    });
    return collection;
  }
  if (db === undefined) invalidOption('db', 'or `collection` is required');
  assertMethods<MongoDbLike>(db, 'db', ['collection'], { expected: 'a mongodb Db' });
  const name = collectionName ?? 'sessions';
  if (typeof name !== 'string' || name.length === 0 || /[$\0]/.test(name) || name.startsWith('system.')) {
    invalidOption('collectionName', `must be a valid collection name (got ${JSON.stringify(name)})`);
  }
  return db.collection(name);
}
