import {
  assertMethods,
  type CoatcheckError,
  invalidOption,
  isExpired,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type Sweeper,
  startSweeper,
  type TouchUpdate,
} from '@coatcheck/core/store';
import { expiredAt, liveAt, toFields, toRecord } from './document.js';
import { sweepSettings } from './expiry.js';
import {
  ferretDbVersion,
  hasOneConnection,
  isFerretDbV1,
  type MongoCommandTarget,
  warnAboutFerretDbOnce,
} from './ferretdb.js';
import { createSessionIndexes, type Expiry, isTtlRefusal } from './indexes.js';
import {
  COLLECTION_METHODS,
  type MongoCollectionLike,
  type MongoDbLike,
  type MongoServerHandle,
} from './mongo-client.js';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions {
  /**
   * The collection's name, when the store is given a `Db` (refused with a `Collection`).
   * @default 'sessions'
   */
  collectionName?: string;
  /**
   * How expired sessions leave the collection. Reads never return them either way.
   * - `'native'`: a TTL index on `expiresAt`; the server deletes them (MongoDB checks once a minute).
   * - `'sweep'`: the store calls {@link MongoSessionStore.deleteExpired} every `sweepIntervalSeconds`, on a
   *   timer that does not keep the process alive; `close()` stops it. For servers that refuse TTL indexes
   *   (FerretDB, some DocumentDB and Cosmos DB versions).
   * - `'off'`: nothing; call `deleteExpired()` yourself, e.g. from a cron job.
   *
   * To switch an existing collection between `'native'` and the others, drop the `coatcheck_expiresAt`
   * index first: a server keeps one index per key.
   * @default 'native'
   */
  expiry?: 'native' | 'sweep' | 'off';
  /**
   * With `expiry: 'sweep'`: seconds from the end of one sweep to the start of the next (the first runs one
   * interval after construction), so sweeps never overlap. At most 2147483 (24 days, a timer's limit).
   * @default 300
   */
  sweepIntervalSeconds?: number;
  /**
   * Called with the errors of the store's own background work, which no request awaits: a failed sweep
   * (`STORE_ERROR`, the driver's error as `cause`; sweeping goes on), and a TTL index the server refused
   * while the indexes were created on start (`TTL_INDEX_UNSUPPORTED`, so it shows before any request does).
   * @default logs the error with `console.error`
   */
  onError?: (error: CoatcheckError) => void;
  /**
   * Create the indexes (see {@link MongoSessionStore.ensureIndexes}) when the store is constructed; store
   * calls wait for them. Turn it off when your deployment creates indexes, and call `ensureIndexes()` there.
   * @default true
   */
  ensureIndexesOnStart?: boolean;
  /**
   * Clock (epoch ms) that decides which sessions have expired, for reads, writes and `deleteExpired()`.
   * A TTL index (`expiry: 'native'`) deletes by the server's clock instead.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * The store {@link createMongoStore} returns: Coatcheck's {@link SessionStore} with the per-user index,
 * plus its indexes, `deleteExpired` and `close`.
 *
 * One document per session, `_id` = the session id. Every method on one session is a single-document
 * operation, atomic on MongoDB: compare-and-set is an update filtered on id, version and deadline, so it
 * needs neither transactions nor a replica set. `listByUser`, `deleteByUser` and `deleteExpired` are
 * multi-document operations: each document is deleted atomically, the set as a whole is not.
 */
export interface MongoSessionStore extends SessionStore {
  /** The collection the sessions live in. */
  readonly collection: MongoCollectionLike;
  /**
   * Creates the indexes the store relies on: one on `userId` (for listing and revoking a user's
   * sessions) and one on `expiresAt`, a TTL index with `expiry: 'native'`. Safe to call repeatedly and
   * from several processes.
   * @throws `CoatcheckError` `TTL_INDEX_UNSUPPORTED` when the server refuses the TTL index; the message
   *   names `expiry: 'sweep'`, which works everywhere. `STORE_ERROR` for other failures.
   */
  ensureIndexes(): Promise<void>;
  /** Lists the user's live sessions, on the `userId` index. */
  listByUser(userId: string): Promise<StoredSession[]>;
  /**
   * Deletes the user's live sessions; expired ones are left to the TTL index or the sweep, so the count
   * is of sessions that were still valid.
   * @returns how many live sessions were deleted.
   */
  deleteByUser(userId: string, options?: { exceptId?: string }): Promise<number>;
  /**
   * Deletes every expired session, on the `expiresAt` index. `expiry: 'sweep'` calls it on a timer; with
   * `'off'`, run it from a cron job.
   * @returns how many sessions were deleted.
   */
  deleteExpired(): Promise<number>;
  /**
   * Stops the sweeper of `expiry: 'sweep'` and waits for a sweep in progress. It leaves the client open
   * (it is yours to close), and the store still answers calls; it only stops sweeping. Calling it again
   * is harmless.
   */
  close(): Promise<void>;
}

const EXPIRY_MODES: readonly unknown[] = ['native', 'sweep', 'off'] satisfies Expiry[];
const DUPLICATE_KEY = 11000;

/**
 * Creates a session store in MongoDB, or any server speaking its wire protocol, through the `mongodb`
 * client you made (driver 6 or 7); the store never opens or closes a connection. Pass a `Db` (the store
 * uses its `collectionName` collection) or a `Collection`.
 *
 * ```ts
 * const client = new MongoClient(process.env.MONGO_URL!);
 * const store = createMongoStore(client.db('app'));
 * ```
 *
 * On FerretDB v1 pass `expiry: 'sweep'` (it refuses TTL indexes) and give the client `maxPoolSize: 1`: its
 * filtered updates are not atomic across connections, so the store warns once without it (see the README).
 *
 * @param dbOrCollection a `Db` or a `Collection` from your client.
 * @param options see {@link MongoStoreOptions}.
 * @throws `INVALID_OPTION` naming the option: `dbOrCollection` is neither a `Db` nor a `Collection`,
 *   `expiry` is not `'native'`, `'sweep'` or `'off'`, or another option has the wrong type or range.
 */
const RENAMED_OPTIONS: Record<string, string> = {
  autoRemove: "`expiry` ('native' | 'sweep' | 'off')",
  autoRemoveIntervalSeconds: '`sweepIntervalSeconds`',
  onSweepError: '`onError`',
};

export function createMongoStore(
  dbOrCollection: MongoDbLike | MongoCollectionLike,
  options: MongoStoreOptions = {},
): MongoSessionStore {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  // Names from before 1.0: refused by name, so an upgrade cannot silently lose its expiry settings.
  for (const [old, now] of Object.entries(RENAMED_OPTIONS)) {
    if (old in options) invalidOption(old, `was renamed: use ${now}`);
  }
  const collection = resolveCollection(dbOrCollection, options.collectionName);
  const expiry = options.expiry ?? 'native';
  if (!EXPIRY_MODES.includes(expiry)) {
    invalidOption('expiry', `must be 'native', 'sweep' or 'off' (got ${JSON.stringify(expiry)})`);
  }
  const { intervalSeconds, onError } = sweepSettings(options);
  const ensureIndexesOnStart = options.ensureIndexesOnStart ?? true;
  if (typeof ensureIndexesOnStart !== 'boolean') invalidOption('ensureIndexesOnStart', 'must be a boolean');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');

  return new MongoStore(collection, {
    expiry,
    now,
    onError,
    sweepIntervalSeconds: expiry === 'sweep' ? intervalSeconds : null,
    ensureIndexesOnStart,
  });
}

/** See {@link MongoSessionStore}; only {@link createMongoStore} makes one. */
class MongoStore implements MongoSessionStore {
  readonly collection: MongoCollectionLike;
  readonly #expiry: Expiry;
  readonly #now: () => number;
  readonly #server: MongoServerHandle | undefined;
  #indexesReady = true;
  #indexesPending: Promise<void> | null = null;
  #serverCheck: Promise<void> | null = null;
  #waitForServerCheck = true;
  readonly #sweeper: Sweeper | null = null;

  constructor(
    collection: MongoCollectionLike,
    settings: {
      expiry: Expiry;
      now: () => number;
      onError: (error: CoatcheckError) => void;
      /** `null` for no sweeper. */
      sweepIntervalSeconds: number | null;
      ensureIndexesOnStart: boolean;
    },
  ) {
    const { expiry, now, onError, sweepIntervalSeconds, ensureIndexesOnStart } = settings;
    this.collection = collection;
    this.#expiry = expiry;
    this.#now = now;
    this.#server = collection.db;
    if (ensureIndexesOnStart) {
      this.#indexesReady = false;
      // Started now so it overlaps the app's start-up; every store call waits for it and throws its
      // failure. Nobody awaits this one, so a refused TTL index, which is configuration, is reported at
      // once and shows at start-up rather than at the first login. An outage is left to the store call
      // that meets it, which retries.
      this.#startupIndexes().catch((error: unknown) => {
        if (isTtlRefusal(error)) report(onError, error);
      });
    }
    if (sweepIntervalSeconds !== null) {
      this.#sweeper = startSweeper(this, { intervalSeconds: sweepIntervalSeconds, onError });
    }
  }

  async ensureIndexes(): Promise<void> {
    await this.#checkServerOnce();
    await createSessionIndexes(this.collection, this.#expiry);
  }

  async create(id: string, record: SessionRecord): Promise<boolean> {
    await this.#startupIndexes();
    const fields = toFields(record);
    try {
      await this.collection.insertOne({ _id: id, ...fields });
      return true;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== DUPLICATE_KEY) throw error;
    }
    // The id is taken, but an expired record the server has not deleted yet does not count.
    const { matchedCount } = await this.collection.replaceOne({ _id: id, ...expiredAt(this.#now()) }, fields);
    return matchedCount === 1;
  }

  async get(id: string): Promise<SessionRecord | null> {
    await this.#startupIndexes();
    // By `_id` alone, with the deadline checked here: MongoDB does the same index lookup either way, and
    // FerretDB v1 only uses an index for a filter that is exactly `{ _id }` (it scans for anything else).
    const document = await this.collection.findOne({ _id: id });
    const record = document ? toRecord(document) : null;
    return record && !isExpired(record, this.#now()) ? record : null;
  }

  async replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    await this.#startupIndexes();
    const { matchedCount } = await this.collection.replaceOne(
      { _id: id, version: expectedVersion, ...liveAt(this.#now()) },
      toFields(record),
    );
    return matchedCount === 1;
  }

  async touch(id: string, update: TouchUpdate): Promise<boolean> {
    await this.#startupIndexes();
    // The absolute deadline is not at hand, but core caps the idle deadline at it, so the new idle
    // deadline is the record's deadline. (An uncapped one only delays removal: reads stay exact.)
    const { matchedCount } = await this.collection.updateOne(
      { _id: id, ...liveAt(this.#now()) },
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
    await this.#startupIndexes();
    await this.collection.deleteOne({ _id: id });
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    await this.#startupIndexes();
    const documents = await this.collection.find({ userId, ...liveAt(this.#now()) }).toArray();
    return documents.map((document) => ({
      id: (document as { _id: string })._id,
      record: toRecord(document),
    }));
  }

  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    await this.#startupIndexes();
    const except = options.exceptId === undefined ? {} : { _id: { $ne: options.exceptId } };
    const { deletedCount } = await this.collection.deleteMany({ userId, ...except, ...liveAt(this.#now()) });
    return deletedCount;
  }

  async deleteExpired(): Promise<number> {
    await this.#startupIndexes();
    const { deletedCount } = await this.collection.deleteMany({ expiresAt: { $lte: new Date(this.#now()) } });
    return deletedCount;
  }

  async close(): Promise<void> {
    await this.#sweeper?.stop();
  }

  /** Resolves once the start-up indexes exist; every store call waits for it. */
  async #startupIndexes(): Promise<void> {
    await this.#checkServerOnce();
    if (this.#indexesReady) return;
    this.#indexesPending ??= this.ensureIndexes().then(
      () => {
        this.#indexesReady = true;
      },
      (error: unknown) => {
        // An outage is retried by the next call; a refused TTL index is configuration, so it keeps failing.
        if (!isTtlRefusal(error)) this.#indexesPending = null;
        throw error;
      },
    );
    return this.#indexesPending;
  }

  /**
   * Asks the server what it is (`buildInfo`, one round trip, on first use) and warns once per process on
   * FerretDB v1, unless the client has `maxPoolSize: 1`. Advisory: a failure (an outage the calling
   * operation reports itself) is not thrown; later calls ask again in the background, so an outage never
   * costs each request a second timeout.
   */
  #checkServerOnce(): Promise<void> {
    const server = this.#server;
    if (typeof server?.command !== 'function') return Promise.resolve();
    this.#serverCheck ??= ferretDbVersion(server as MongoCommandTarget).then(
      (version) => {
        if (version !== null && isFerretDbV1(version) && !hasOneConnection(server.client)) {
          warnAboutFerretDbOnce(version, server.client);
        }
      },
      () => {
        this.#serverCheck = null;
        this.#waitForServerCheck = false;
      },
    );
    return this.#waitForServerCheck ? this.#serverCheck : Promise.resolve();
  }
}

/** A throwing `onError` must not become an unhandled rejection that ends the process. */
function report(onError: (error: CoatcheckError) => void, error: CoatcheckError): void {
  try {
    onError(error);
  } catch (failure) {
    console.error(failure);
  }
}

/** The collection of a `Db` (by `collectionName`) or the `Collection` itself, checked for what the store calls. */
function resolveCollection(dbOrCollection: unknown, collectionName: unknown): MongoCollectionLike {
  // A Db opens collections; a Collection has no collection() of its own (driver 6 and 7).
  if (typeof (dbOrCollection as Partial<MongoDbLike> | null)?.collection === 'function') {
    const name = collectionName ?? 'sessions';
    if (typeof name !== 'string' || name.length === 0 || /[$\0]/.test(name) || name.startsWith('system.')) {
      invalidOption('collectionName', `must be a valid collection name (got ${JSON.stringify(name)})`);
    }
    return (dbOrCollection as MongoDbLike).collection(name);
  }
  const isClient = typeof (dbOrCollection as { db?: unknown } | null)?.db === 'function';
  assertMethods<MongoCollectionLike>(dbOrCollection, 'dbOrCollection', COLLECTION_METHODS, {
    expected: 'a mongodb Db or Collection',
    ...(isClient ? { hint: "pass `client.db('app')` rather than the MongoClient" } : {}),
  });
  if (collectionName !== undefined) {
    invalidOption('collectionName', 'only applies to a Db: the store was given a Collection');
  }
  return dbOrCollection;
}
