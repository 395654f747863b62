import { createRedisStore } from '@coatcheck/store-redis';
import RedisStore from 'connect-redis';
import { Redis } from 'ioredis';
import { countIoredis } from '../counters.mjs';
import { coatcheckExpressApp, expressSessionApp } from './common.mjs';

/** An ioredis client as the store-redis README makes one, with its commands counted. */
export function redisClient(config, counter) {
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', (error) => console.error('redis:', error.message));
  countIoredis(client, counter);
  return client;
}

export const contenders = {
  async 'express-session + connect-redis'(config, counter) {
    const client = redisClient(config, counter);
    return expressSessionApp(new RedisStore({ client, prefix: `${config.prefix}cr:` }));
  },
  async 'coatcheck + store-redis'(config, counter) {
    const client = redisClient(config, counter);
    return coatcheckExpressApp({ store: createRedisStore(client, { prefix: `${config.prefix}cc:` }) });
  },
};
