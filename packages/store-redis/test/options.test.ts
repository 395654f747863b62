import { CoatcheckError } from '@coatcheck/core';
import { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis-v6';
import { describe, expect, it } from 'vitest';
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
});
