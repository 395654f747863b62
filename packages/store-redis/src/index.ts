export type { RedisClientLike } from './client.js';
export { createRedisStore, RedisStore, type RedisStoreOptions } from './redis-store.js';
