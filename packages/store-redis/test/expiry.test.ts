import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisSessionStore } from '../src/index.js';
import { INDEX_ADD, runScript } from '../src/scripts.js';
import { deleteKeysWithPrefix, newId, randomPrefix, record, sleep, topologies } from './helpers.js';

describe.each(topologies)('native expiry ($name)', ({ connect }) => {
  let client: Redis | Cluster;
  let store: RedisSessionStore;
  const prefix = randomPrefix();

  beforeAll(() => {
    client = connect();
    store = createRedisStore(client, { prefix });
  });
  afterAll(async () => {
    // Cluster nodes are thrown away after the run; the shared standalone server is cleaned.
    if (client instanceof Redis) await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  /**
   * The key's TTL matches `deadline`: at most the time left when the write began (it cannot be longer than
   * the TTL the write set) and, on a loaded machine, not much less than the time left now.
   */
  async function expectTtlOf(key: string, deadline: number, writeStartedAt: number) {
    const ttlMs = await client.pttl(key);
    expect(ttlMs).toBeLessThanOrEqual(deadline - writeStartedAt + 1);
    expect(ttlMs).toBeGreaterThan(deadline - Date.now() - 10_000);
  }

  it('gives a record the TTL of its idle deadline when that comes first', async () => {
    const id = newId();
    const startedAt = Date.now();
    const r = record({ idleExpiresAt: startedAt + 30_000, absoluteExpiresAt: startedAt + 90_000 });
    await store.create(id, r);
    await expectTtlOf(store.recordKey(id), r.idleExpiresAt, startedAt);
  });

  it('gives a record the TTL of its absolute deadline when that comes first', async () => {
    const id = newId();
    const startedAt = Date.now();
    const r = record({ idleExpiresAt: startedAt + 90_000, absoluteExpiresAt: startedAt + 30_000 });
    await store.create(id, r);
    await expectTtlOf(store.recordKey(id), r.absoluteExpiresAt, startedAt);
  });

  it('moves the TTL with touch and replace, never past the absolute deadline', async () => {
    const id = newId();
    const now = Date.now();
    const r = record({ idleExpiresAt: now + 20_000, absoluteExpiresAt: now + 60_000 });
    await store.create(id, r);

    const key = store.recordKey(id);
    let startedAt = Date.now();
    await store.touch(id, { idleExpiresAt: now + 40_000, lastSeenAt: now });
    await expectTtlOf(key, now + 40_000, startedAt);

    startedAt = Date.now();
    await store.touch(id, { idleExpiresAt: now + 500_000, lastSeenAt: now });
    await expectTtlOf(key, r.absoluteExpiresAt, startedAt);

    startedAt = Date.now();
    await store.replace(id, { ...r, idleExpiresAt: now + 10_000, version: 2 }, 1);
    await expectTtlOf(key, now + 10_000, startedAt);
  });

  // Deadlines 2 s ahead and a 2.5 s wait: a loaded machine may take a second between two commands.
  it('lets Redis delete the key itself when the deadline passes', async () => {
    const id = newId();
    await store.create(id, record({ idleExpiresAt: Date.now() + 2_000 }));
    expect(await client.exists(store.recordKey(id))).toBe(1);
    await sleep(2_500);
    expect(await client.exists(store.recordKey(id))).toBe(0);
  });

  it("keeps a user's index only as long as their latest session may live", async () => {
    const user = `user-${newId()}`;
    const now = Date.now();
    await store.create(newId(), record({ userId: user, absoluteExpiresAt: now + 90_000 }));
    const startedAt = Date.now();
    await store.create(newId(), record({ userId: user, absoluteExpiresAt: now + 30_000 }));
    await expectTtlOf(store.userIndexKey(user), now + 90_000, startedAt);
  });

  it('drops index entries whose deadline has passed when the index is read', async () => {
    const user = `user-${newId()}`;
    const now = Date.now();
    await store.create(
      newId(),
      record({ userId: user, idleExpiresAt: now + 2_000, absoluteExpiresAt: now + 2_000 }),
    );
    const lasting = newId();
    await store.create(lasting, record({ userId: user }));
    expect(await client.zcard(store.userIndexKey(user))).toBe(2);
    await sleep(2_500);
    expect((await store.listByUser(user)).map((s) => s.id)).toEqual([lasting]);
    expect(await client.zrange(store.userIndexKey(user), 0, -1)).toEqual([lasting]);
  });

  it('writes nothing for a record that is already past its deadline', async () => {
    const id = newId();
    const user = `user-${newId()}`;
    expect(await store.create(id, record({ userId: user, idleExpiresAt: Date.now() - 1 }))).toBe(true);
    expect(await client.exists(store.recordKey(id))).toBe(0);
    expect(await client.exists(store.userIndexKey(user))).toBe(0);
  });

  it('lets a replace that changes the owner with a deadline already passed delete the record', async () => {
    const id = newId();
    const [before, after] = [`user-${newId()}`, `user-${newId()}`];
    await store.create(id, record({ userId: before }));
    const now = Date.now();
    const dead = record({ userId: after, idleExpiresAt: now - 1, absoluteExpiresAt: now - 1, version: 2 });
    expect(await store.replace(id, dead, 1)).toBe(true);
    expect(await client.exists(store.recordKey(id))).toBe(0);
    expect(await client.exists(store.userIndexKey(after))).toBe(0);
    expect(await store.listByUser(before)).toEqual([]);
    expect(await store.listByUser(after)).toEqual([]);
  });

  it('the index script writes nothing for an entry whose deadline has passed', async () => {
    const key = store.userIndexKey(`user-${newId()}`);
    const now = Date.now();
    expect(await runScript(client, INDEX_ADD, key, [String(now), String(now - 1), newId()])).toBe(0);
    expect(await client.exists(key)).toBe(0);
  });
});

describe.each(topologies)("the store's clock, the now option ($name)", ({ connect }) => {
  let client: Redis | Cluster;
  const prefix = randomPrefix();

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    if (client instanceof Redis) await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it("sets every TTL from the store's clock, not from Redis's or the machine's", async () => {
    // An hour behind: by the machine's clock, every deadline below has already passed.
    const clockMs = Date.now() - 3_600_000;
    const store = createRedisStore(client, { prefix, now: () => clockMs });
    const id = newId();
    const user = `user-${newId()}`;
    const r = record({ userId: user, idleExpiresAt: clockMs + 30_000, absoluteExpiresAt: clockMs + 90_000 });
    expect(await store.create(id, r)).toBe(true);
    await expectTtlBetween(store.recordKey(id), 20_000, 30_000);
    await expectTtlBetween(store.userIndexKey(user), 80_000, 90_000);

    expect(await store.touch(id, { idleExpiresAt: clockMs + 60_000, lastSeenAt: clockMs })).toBe(true);
    await expectTtlBetween(store.recordKey(id), 50_000, 60_000);
    expect(await store.replace(id, { ...r, idleExpiresAt: clockMs + 40_000, version: 2 }, 1)).toBe(true);
    await expectTtlBetween(store.recordKey(id), 30_000, 40_000);
    expect((await store.listByUser(user)).map((s) => s.id)).toEqual([id]);
  });

  it("reads, writes and lists by the store's clock: past a deadline on it, a record still in Redis is dead", async () => {
    let clockMs = Date.now();
    const store = createRedisStore(client, { prefix, now: () => clockMs });
    const id = newId();
    const user = `user-${newId()}`;
    const r = record({ userId: user, idleExpiresAt: clockMs + 60_000, absoluteExpiresAt: clockMs + 120_000 });
    await store.create(id, r);

    clockMs += 61_000;
    expect(await client.exists(store.recordKey(id))).toBe(1);
    expect(await store.get(id)).toBeNull();
    expect(await store.touch(id, { idleExpiresAt: clockMs + 60_000, lastSeenAt: clockMs })).toBe(false);
    expect(await store.replace(id, { ...r, version: 2 }, 1)).toBe(false);
    expect(await store.listByUser(user)).toEqual([]);

    const fresh = record({ idleExpiresAt: clockMs + 60_000, absoluteExpiresAt: clockMs + 120_000 });
    expect(await store.create(id, fresh)).toBe(true);
    expect(await store.get(id)).toEqual(fresh);
    expect(await store.deleteByUser(user)).toBe(0);
  });

  /** The key's TTL is within [min, max] ms: at most what the write set, not much less on a loaded machine. */
  async function expectTtlBetween(key: string, minMs: number, maxMs: number): Promise<void> {
    const ttlMs = await client.pttl(key);
    expect(ttlMs).toBeGreaterThan(minMs);
    expect(ttlMs).toBeLessThanOrEqual(maxMs);
  }
});
