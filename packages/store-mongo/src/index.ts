export type { SessionFields } from './document.js';
export { ferretDbVersion, type MongoCommandTarget } from './ferretdb.js';
export { INDEX_NAMES } from './indexes.js';
export type {
  MongoClientLike,
  MongoCollectionLike,
  MongoDbLike,
  MongoDocument,
  MongoServerHandle,
} from './mongo-client.js';
export { createMongoStore, type MongoSessionStore, type MongoStoreOptions } from './mongo-store.js';
