import {
  type CoatcheckError,
  invalidOption,
  isCoatcheckError,
  isExpired,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  storeError,
  type TouchUpdate,
} from '@coatcheck/core';
import { expiredAt, liveAt, toFields, toRecord } from './document.js';
import { type AutoRemove, createSessionIndexes } from './indexes.js';
import { type MongoCollectionLike, type MongoDbLike, missingCollectionMethod } from './mongo-client.js';

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
   * - `'interval'`: the store runs {@link MongoStore.deleteExpired} every `autoRemoveIntervalSeconds`,
   *   for servers that refuse TTL indexes (FerretDB, some DocumentDB and Cosmos DB versions).
   * - `'off'`: nothing; run `deleteExpired()` yourself (a cron job).
   * @default 'native'
   */
  autoRemove?: AutoRemove;
  /** How often `autoRemove: 'interval'` deletes expired sessions, in seconds. @default 600 */
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
 * One document per session, `_id` = the session id. Every method is one single-document operation:
 * compare-and-set is an update filtered on id, version and deadline, so it needs neither transactions
 * nor a replica set.
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
  private readonly autoRemoveIntervalMs: number;
  private readonly onSweepError: (error: CoatcheckError) => void;
  private indexesReady: boolean;
  private indexesPending: Promise<void> | null = null;
  private sweepTimer: ReturnType<typeof setTimeout> | null = null;
  private sweeping: Promise<void> | null = null;
  private closed = false;

  constructor(options: MongoStoreOptions) {
    if (!options || typeof options !== 'object') invalidOption('options', 'must be an object');
    this.collection = resolveCollection(options);
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
    this.autoRemoveIntervalMs = intervalSeconds * 1000;
    if (options.onSweepError !== undefined && typeof options.onSweepError !== 'function') {
      invalidOption('onSweepError', 'must be a function');
    }
    this.onSweepError =
      options.onSweepError ??
      ((error) => console.warn(`[coatcheck] MongoStore sweep failed: ${error.message}`));
    const ensureIndexesOnStart = options.ensureIndexesOnStart ?? true;
    if (typeof ensureIndexesOnStart !== 'boolean') invalidOption('ensureIndexesOnStart', 'must be a boolean');

    this.indexesReady = !ensureIndexesOnStart;
    // Started now so it overlaps the app's start-up; a failure surfaces from the first store call.
    if (ensureIndexesOnStart) this.startupIndexes().catch(() => {});
    if (this.autoRemove === 'interval') this.scheduleSweep();
  }

  /**
   * Creates the indexes the store relies on: one on `userId` (for listing and revoking a user's
   * sessions) and one on `expiresAt`, a TTL index when `autoRemove` is `'native'`. Safe to call
   * repeatedly and from several processes.
   * @throws `CoatcheckError` `TTL_INDEX_UNSUPPORTED` when the server refuses the TTL index; the message
   *   names `autoRemove: 'interval'`, which works everywhere. `STORE_ERROR` for other failures.
   */
  ensureIndexes(): Promise<void> {
    return createSessionIndexes(this.collection, this.autoRemove);
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
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
  }

  /** Resolves once the start-up indexes exist; every store call waits for it. */
  private async startupIndexes(): Promise<void> {
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

  private scheduleSweep(): void {
    // A timeout re-armed after each sweep, not an interval: a slow sweep never overlaps the next one.
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.deleteExpired().then(
        () => {},
        (error: unknown) => this.onSweepError(storeError('MongoStore.deleteExpired', error)),
      );
      void this.sweeping.finally(() => {
        this.sweeping = null;
        if (!this.closed) this.scheduleSweep();
      });
    }, this.autoRemoveIntervalMs);
    // The timer alone must not keep the process alive.
    this.sweepTimer.unref?.();
  }
}

function resolveCollection(options: MongoStoreOptions): MongoCollectionLike {
  const { db, collection, collectionName } = options;
  if (db !== undefined && collection !== undefined)
    invalidOption('db', 'and `collection` exclude each other');
  if (collection !== undefined) {
    if (collectionName !== undefined) invalidOption('collectionName', 'only applies with `db`');
    const missing = missingCollectionMethod(collection);
    if (missing) invalidOption('collection', `must be a mongodb Collection (it has no ${missing}())`);
    return collection;
  }
  if (db === undefined) invalidOption('db', 'or `collection` is required');
  if (typeof db?.collection !== 'function')
    invalidOption('db', 'must be a mongodb Db (it has no collection())');
  const name = collectionName ?? 'sessions';
  if (typeof name !== 'string' || name.length === 0 || /[$\0]/.test(name) || name.startsWith('system.')) {
    invalidOption('collectionName', `must be a valid collection name (got ${JSON.stringify(name)})`);
  }
  return db.collection(name);
}
