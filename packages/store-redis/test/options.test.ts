import { CoatcheckError } from '@coatcheck/core';
import { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis-v6';
import { describe, expect, it, vi } from 'vitest';
import * as entry from '../src/index.js';
import { createRedisStore, type RedisClientLike } from '../src/index.js';

describe('createRedisStore(client, options)', () => {
  const lazyRedis = () => new Redis({ lazyConnect: true });

  it('is the one way to make a store: the package exports no class', () => {
    expect(Object.keys(entry)).toEqual(['createRedisStore']);
  });

  it('accepts an ioredis Redis or Cluster as the client (checked by the type checker too)', () => {
    const redis: RedisClientLike = lazyRedis();
    const cluster: RedisClientLike = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(createRedisStore(redis).recordKey('a')).toBe('coatcheck:session:a');
    expect(createRedisStore(cluster, { prefix: 'app:' }).recordKey('a')).toBe('app:session:a');
  });

  it('accepts ioredis 6 clients too (checked by the type checker too)', () => {
    const redis: RedisClientLike = new Redis6({ lazyConnect: true });
    const cluster: RedisClientLike = new Cluster6([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(createRedisStore(redis).recordKey('a')).toBe('coatcheck:session:a');
    expect(createRedisStore(cluster).recordKey('a')).toBe('coatcheck:session:a');
  });

  it('puts every key under the prefix, coatcheck: by default', () => {
    const client = lazyRedis();
    expect(createRedisStore(client).recordKey('abc')).toBe('coatcheck:session:abc');
    expect(createRedisStore(client).userIndexKey('u1')).toBe('coatcheck:user:u1');
    expect(createRedisStore(client, { prefix: 'shop:' }).userIndexKey('u1')).toBe('shop:user:u1');
  });

  it.each([
    ['no client', [undefined], /`client`.*evalsha/],
    ['a client without the commands the store sends', [{ get: () => null }], /`client`.*evalsha/],
    ['a client missing one command', [{ evalsha() {}, eval() {}, hgetall() {} }], /`client`.*zrem/],
    ['options that are not an object', [lazyRedis(), 'app:'], /`options`/],
    ['a prefix that is not a string', [lazyRedis(), { prefix: 42 }], /`prefix`/],
    ['a now that is not a function', [lazyRedis(), { now: 1_700_000_000_000 }], /`now`/],
  ])('refuses %s with INVALID_OPTION naming the option', (_, args, message) => {
    const create = () => (createRedisStore as (...args: unknown[]) => unknown)(...args);
    expect(create).toThrow(CoatcheckError);
    expect(create).toThrow(message);
    try {
      create();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_OPTION' });
    }
  });

  it('leaves a lazy client unconnected, and close() removes the listeners it added', async () => {
    const client = lazyRedis();
    const counts = () => ['ready', 'close', 'connecting'].map((event) => client.listenerCount(event));
    const before = counts();
    const store = createRedisStore(client);
    expect(counts()).toEqual(before.map((count) => count + 1));
    expect(client.status).toBe('wait');
    await store.close();
    expect(counts()).toEqual(before);
    expect(client.status).toBe('wait');
  });

  it.each([
    [
      'a Redis with the offline queue',
      () => new Redis({ port: 1, maxRetriesPerRequest: 1, retryStrategy: () => 20 }),
    ],
    [
      'a Redis without the offline queue',
      () => new Redis({ port: 1, enableOfflineQueue: false, retryStrategy: () => 20 }),
    ],
    ['a Cluster', () => new Cluster([{ host: '127.0.0.1', port: 1 }], { clusterRetryStrategy: () => 20 })],
  ])(
    'is created on %s whose server is down without throwing, and its script loads fail silently',
    async (_, connect) => {
      const client = connect();
      const errors: unknown[] = [];
      client.on('error', (error: unknown) => errors.push(error));
      const store = createRedisStore(client);
      // Several failed connection attempts: every load sent meanwhile has been rejected (an unhandled
      // rejection would fail the run).
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
      await store.close();
      client.disconnect();
    },
  );
});
