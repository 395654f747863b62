export type { RedisClientLike } from './client.js';
export { createRedisStore, type RedisSessionStore, type RedisStoreOptions } from './redis-store.js';
