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
}

/** The part of the `mongodb` driver's `Db` the store calls: opening a collection by name. */
export interface MongoDbLike {
  collection(name: string): MongoCollectionLike;
}

const COLLECTION_METHODS = [
  'insertOne',
  'findOne',
  'find',
  'replaceOne',
  'updateOne',
  'deleteOne',
  'deleteMany',
  'createIndex',
] as const;

/** The first method `value` lacks to be used as a collection, or `null` when it has them all. */
export function missingCollectionMethod(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return COLLECTION_METHODS[0];
  const methods = value as Record<string, unknown>;
  return COLLECTION_METHODS.find((method) => typeof methods[method] !== 'function') ?? null;
}
