import { CoatcheckError, storeError } from '@coatcheck/core/store';
import type { MongoCollectionLike } from './mongo-client.js';

/** How expired records leave the collection; see `MongoStoreOptions.expiry`. */
export type Expiry = 'native' | 'sweep' | 'off';

/** Names the store gives its indexes, so they are easy to find and drop. */
export const INDEX_NAMES = { userId: 'coatcheck_userId', expiresAt: 'coatcheck_expiresAt' } as const;

// IndexOptionsConflict, IndexKeySpecsConflict: an index with these keys exists with other options.
// Their messages quote the requested spec (`expireAfterSeconds` included), so they are ruled out first.
const CONFLICT_CODES = new Set([85, 86]);
// BadValue, CannotCreateIndex, CommandNotSupported, InvalidIndexSpecificationOption, NotImplemented:
// what MongoDB-compatible servers answer when they do not do TTL on an arbitrary field.
const TTL_REFUSAL_CODES = new Set([2, 67, 115, 197, 238]);

/**
 * Creates the per-user index and the deadline index, a TTL index when `expiry` is `'native'`.
 * Idempotent: an index that already exists with the same options is left alone.
 */
export async function createSessionIndexes(collection: MongoCollectionLike, expiry: Expiry): Promise<void> {
  await createIndex(collection, { userId: 1 }, { name: INDEX_NAMES.userId });
  const ttl = expiry === 'native';
  try {
    // expireAfterSeconds 0: a document is due when the clock passes its `expiresAt`.
    await collection.createIndex(
      { expiresAt: 1 },
      { name: INDEX_NAMES.expiresAt, ...(ttl ? { expireAfterSeconds: 0 } : {}) },
    );
  } catch (error) {
    if (ttl && refusesTtl(error)) {
      throw new CoatcheckError(
        'TTL_INDEX_UNSUPPORTED',
        `the database refused the TTL index that the Mongo store's \`expiry: 'native'\` (the default) needs ` +
          `(${messageOf(error)}). FerretDB, some DocumentDB and Cosmos DB versions have no TTL indexes: pass ` +
          "`expiry: 'sweep'` to `createMongoStore()` so the store deletes expired sessions on a timer instead. " +
          'Until then, every call of a store that creates its indexes on start fails with this error.',
        { cause: error },
      );
    }
    throw indexError(error);
  }
}

/** Whether `error` is the server refusing the TTL index: configuration, so never worth retrying. */
export function isTtlRefusal(error: unknown): error is CoatcheckError {
  return error instanceof CoatcheckError && error.code === 'TTL_INDEX_UNSUPPORTED';
}

async function createIndex(
  collection: MongoCollectionLike,
  keys: Record<string, 1>,
  options: { name: string },
): Promise<void> {
  try {
    await collection.createIndex(keys, options);
  } catch (error) {
    throw indexError(error);
  }
}

function refusesTtl(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'number' || CONFLICT_CODES.has(code)) return false;
  return TTL_REFUSAL_CODES.has(code) || /expireAfterSeconds|\bTTL\b/i.test(messageOf(error));
}

function indexError(error: unknown): CoatcheckError {
  return storeError('creating the session indexes', error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
