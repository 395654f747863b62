import { CoatcheckError, createSessions } from '@coatcheck/core';
import { PORT_RANGES, RedisTestCluster } from '@coatcheck/test-utils';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.js';
import { DedicatedRedis } from './dedicated-redis.js';
import { cookieOf, SECRET } from './helpers.js';

function nextEvent(client: Redis | Cluster, event: 'ready' | 'close' | 'end'): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

async function failureOf(promise: Promise<unknown>): Promise<CoatcheckError> {
  const failure = await promise.then(
    () => {
      throw new Error('succeeded while Redis was down');
    },
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(CoatcheckError);
  expect(failure).toMatchObject({ code: 'STORE_ERROR' });
  expect((failure as CoatcheckError).cause).toBeInstanceOf(Error);
  return failure as CoatcheckError;
}

describe('a dropped connection (standalone server stopped and restarted)', () => {
  let server: DedicatedRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await DedicatedRedis.create();
    // The options the README recommends: fail a request after one reconnection attempt, not twenty.
    client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
    // Connection errors while the server is down are expected; without a listener ioredis prints them.
    client.on('error', () => undefined);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.destroy();
  });

  it('gives load() a STORE_ERROR with the cause while down, and the first request after works', async () => {
    const sessions = createSessions({
      store: createRedisStore(client),
      secrets: [SECRET],
      cookie: { secure: false },
    });
    const session = await sessions.load();
    session.set('cart', ['apple']);
    await session.login('ada');
    const cookie = cookieOf((await sessions.commit(session)).headers);

    const closed = nextEvent(client, 'close');
    await server.stop();
    await closed;

    expect((await failureOf(sessions.load({ cookie }))).message).toMatch(/store\.get failed/);

    const ready = nextEvent(client, 'ready');
    await server.start();
    await ready;

    // The very first request after reconnecting: a read, then a save. (The restarted server lost its
    // scripts; the store loaded them again on `ready`: round-trips.test.ts counts what that costs.)
    const loaded = await sessions.load({ cookie });
    expect(loaded.userId).toBe('ada');
    expect(loaded.get('cart')).toEqual(['apple']);
    loaded.set('cart', ['apple', 'pear']);
    await sessions.commit(loaded);
    expect((await sessions.load({ cookie })).get('cart')).toEqual(['apple', 'pear']);
  });
});

describe('a dropped connection (Redis Cluster stopped and started again)', () => {
  let cluster: RedisTestCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await RedisTestCluster.start(PORT_RANGES.storeRedisCluster);
    const seeds = cluster.seeds();
    // The options the README recommends for Cluster: commands fail at once while it is not connected,
    // instead of waiting in ioredis' offline queue until the cluster is back.
    client = new Cluster(seeds, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => undefined);
    await nextEvent(client, 'ready');
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });

  it('gives load() and commit() a STORE_ERROR while down, and the first request after works', async () => {
    const sessions = createSessions({
      store: createRedisStore(client),
      secrets: [SECRET],
      cookie: { secure: false },
    });
    const session = await sessions.load();
    session.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(session)).headers);

    await cluster.stop();
    expect((await failureOf(sessions.load({ cookie }))).message).toMatch(/store\.get failed/);
    const unsaved = await sessions.load();
    unsaved.set('cart', ['pear']);
    expect((await failureOf(sessions.commit(unsaved))).message).toMatch(/store\.create failed/);

    // The script starts an empty cluster (its nodes keep no data): the old session is gone, and the
    // first request after reconnecting gets a new one without an error.
    await cluster.start();
    if (client.status !== 'ready') await nextEvent(client, 'ready');
    const afterOutage = await sessions.load({ cookie });
    expect(afterOutage.isNew).toBe(true);
    afterOutage.set('cart', ['plum']);
    const newCookie = cookieOf((await sessions.commit(afterOutage)).headers);
    expect((await sessions.load({ cookie: newCookie })).get('cart')).toEqual(['plum']);
  });
});
