import { CoatcheckError } from '@coatcheck/core';
import { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis-v6';
import { describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisClientLike, RedisStore } from '../src/index.js';

describe('RedisStore options', () => {
  const lazyRedis = () => new Redis({ lazyConnect: true });

  it('accepts an ioredis Redis or Cluster as the client (checked by the type checker too)', () => {
    const redis: RedisClientLike = lazyRedis();
    const cluster: RedisClientLike = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(new RedisStore({ client: redis })).toBeInstanceOf(RedisStore);
    expect(createRedisStore({ client: cluster, prefix: 'app:' })).toBeInstanceOf(RedisStore);
  });

  it('accepts ioredis 6 clients too (checked by the type checker too)', () => {
    const redis: RedisClientLike = new Redis6({ lazyConnect: true });
    const cluster: RedisClientLike = new Cluster6([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(new RedisStore({ client: redis })).toBeInstanceOf(RedisStore);
    expect(new RedisStore({ client: cluster })).toBeInstanceOf(RedisStore);
  });

  it('puts every key under the prefix, coatcheck: by default', () => {
    const client = lazyRedis();
    expect(new RedisStore({ client }).recordKey('abc')).toBe('coatcheck:session:abc');
    expect(new RedisStore({ client }).userIndexKey('u1')).toBe('coatcheck:user:u1');
    expect(new RedisStore({ client, prefix: 'shop:' }).recordKey('abc')).toBe('shop:session:abc');
  });

  it.each([
    ['no options', undefined, /`options`/],
    ['no client', {}, /`client`.*evalsha/],
    ['a client without the commands the store sends', { client: { get: () => null } }, /`client`.*evalsha/],
    ['a client missing one command', { client: { evalsha() {}, eval() {}, hgetall() {} } }, /zrem/],
    ['a prefix that is not a string', { client: lazyRedis(), prefix: 42 }, /`prefix`/],
  ])('refuses %s with INVALID_OPTION naming the option', (_, options, message) => {
    const construct = () => new RedisStore(options as never);
    expect(construct).toThrow(CoatcheckError);
    expect(construct).toThrow(message);
    try {
      construct();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_OPTION' });
    }
  });

  it('leaves a lazy client unconnected, and close() removes the listeners it added', async () => {
    const client = lazyRedis();
    const counts = () => ['ready', 'close', 'connecting'].map((event) => client.listenerCount(event));
    const before = counts();
    const store = new RedisStore({ client });
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
      const store = new RedisStore({ client });
      // Several failed connection attempts: every load sent meanwhile has been rejected (an unhandled
      // rejection would fail the run).
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
      await store.close();
      client.disconnect();
    },
  );
});
