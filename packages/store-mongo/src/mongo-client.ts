import type { MongoCommandTarget } from './ferretdb.js';

/** A document, query filter or update, as the driver takes it. */
export type MongoDocument = Record<string, unknown>;

/**
 * The parts of the `mongodb` driver's `Collection` the store calls. Typed by shape rather than imported,
 * so a `Collection` from driver 6 or 7 fits and the store never pins the user's driver version. The
 * parameter types are deliberately wide: the driver's own are generic over the collection's schema.
 */
export interface MongoCollectionLike {
  insertOne(document: MongoDocument): Promise<unknown>;
  findOne(filter: MongoDocument): Promise<unknown>;
  find(filter: MongoDocument): { toArray(): Promise<unknown[]> };
  replaceOne(filter: MongoDocument, replacement: MongoDocument): Promise<{ matchedCount: number }>;
  updateOne(filter: MongoDocument, update: MongoDocument): Promise<{ matchedCount: number }>;
  deleteOne(filter: MongoDocument): Promise<unknown>;
  deleteMany(filter: MongoDocument): Promise<{ deletedCount: number }>;
  createIndex(
    keys: Record<string, 1>,
    options: { name: string; expireAfterSeconds?: number },
  ): Promise<string>;
  /** The collection's `Db`, which the store asks once which server it is (to warn on FerretDB v1). */
  readonly db?: MongoServerHandle;
}

/**
 * The part of the `mongodb` driver's `MongoClient` the store reads: its resolved options, where
 * `maxPoolSize` is always set (100 unless the options or the URL say otherwise), in driver 6 and 7.
 */
export interface MongoClientLike {
  readonly options?: { readonly maxPoolSize?: number };
}

/**
 * What the store asks about the server behind a `Db`: `buildInfo` (one command, on first use) and the
 * pool size of the `Db`'s client. Both are optional, so a wrapper without them still works (and, on
 * FerretDB v1, gets the warning).
 */
export interface MongoServerHandle extends Partial<MongoCommandTarget> {
  /** The `MongoClient` the `Db` belongs to (`db.client` in driver 6 and 7). */
  readonly client?: MongoClientLike;
}

/**
 * The part of the `mongodb` driver's `Db` the store calls: opening a collection by name, and once
 * `buildInfo`, to learn which server it is (to warn on FerretDB v1 unless the client has one connection).
 */
export interface MongoDbLike extends MongoServerHandle {
  collection(name: string): MongoCollectionLike;
}

/** The methods a `collection` option must have. */
export const COLLECTION_METHODS = [
  'insertOne',
  'findOne',
  'find',
  'replaceOne',
  'updateOne',
  'deleteOne',
  'deleteMany',
  'createIndex',
] as const;
