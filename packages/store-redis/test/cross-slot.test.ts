import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisClientLike, type RedisSessionStore } from '../src/index.js';
import { CREATE, CREATE_INDEXED, DELETE_IF_OWNED, type LuaScript, REPLACE } from '../src/scripts.js';
import { deleteKeysWithPrefix, newId, randomPrefix, record, topologies } from './helpers.js';

/**
 * A record and its owner's index live in different slots (on Cluster, usually on different nodes), so
 * the store orders the two writes. These tests cut each multi-key operation between its steps, on a real
 * server, and check that nothing is lost and nothing stays reachable that should not.
 */
describe.each(topologies)('operations that span slots, interrupted ($name)', ({ connect }) => {
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

  /** The same store, on a client that fails the commands `fails` picks (a crash or an outage then). */
  function storeFailing(fails: (command: string, args: unknown[]) => boolean): RedisSessionStore {
    const faulty = new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          fails(String(property), args)
            ? Promise.reject(new Error(`injected failure of ${String(property)}`))
            : value.apply(target, args);
      },
    }) as RedisClientLike;
    return createRedisStore(faulty, { prefix });
  }

  const running = (script: LuaScript, key?: string) => (command: string, args: unknown[]) =>
    (command === 'evalsha' || command === 'eval') &&
    (args[0] === script.sha1 || args[0] === script.source) &&
    (key === undefined || args[2] === key);

  it('an interrupted create leaves no reachable session, at most an index entry that is ignored', async () => {
    const user = `user-${newId()}`;
    const id = newId();
    // On one node the record and its index entry are written by one script: it fails as a whole.
    const singleNode = client instanceof Redis;
    const failing = storeFailing(running(singleNode ? CREATE_INDEXED : CREATE));
    await expect(failing.create(id, record({ userId: user }))).rejects.toThrow('injected failure');
    if (singleNode) expect(await client.zscore(store.userIndexKey(user), id)).toBeNull();
    else expect(await client.zscore(store.userIndexKey(user), id)).not.toBeNull();
    expect(await store.get(id)).toBeNull();
    expect(await store.listByUser(user)).toEqual([]);
    expect(await store.deleteByUser(user)).toBe(0);

    const next = newId();
    expect(await store.create(next, record({ userId: user }))).toBe(true);
    expect((await store.listByUser(user)).map((s) => s.id)).toEqual([next]);
  });

  it('an interrupted change of owner leaves the record with its old owner, still revocable', async () => {
    const [before, after] = [`user-${newId()}`, `user-${newId()}`];
    const id = newId();
    await store.create(id, record({ userId: before }));
    let replaceCalls = 0;
    const failSecondReplace = (command: string, args: unknown[]) =>
      running(REPLACE)(command, args) && ++replaceCalls === 2;
    await expect(
      storeFailing(failSecondReplace).replace(id, record({ userId: after, version: 2 }), 1),
    ).rejects.toThrow('injected failure');

    expect(await store.get(id)).toMatchObject({ userId: before, version: 1 });
    expect(await store.listByUser(after)).toEqual([]);
    expect(await store.deleteByUser(after)).toBe(0);
    expect(await store.get(id)).not.toBeNull();
    expect(await store.deleteByUser(before)).toBe(1);
    expect(await store.get(id)).toBeNull();
  });

  it("a stale entry left by a change of owner never deletes the new owner's session", async () => {
    const [before, after] = [`user-${newId()}`, `user-${newId()}`];
    const id = newId();
    await store.create(id, record({ userId: before }));
    expect(await store.replace(id, record({ userId: after, version: 2 }), 1)).toBe(true);
    expect(await client.zscore(store.userIndexKey(before), id)).not.toBeNull();
    expect(await store.deleteByUser(before)).toBe(0);
    expect((await store.listByUser(after)).map((s) => s.id)).toEqual([id]);
  });

  it('an interrupted deleteByUser keeps the sessions it did not reach indexed; a second call ends them', async () => {
    const user = `user-${newId()}`;
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await store.create(id, record({ userId: user }));
    const survivor = ids[1] as string;
    const failing = storeFailing(running(DELETE_IF_OWNED, store.recordKey(survivor)));
    await expect(failing.deleteByUser(user)).rejects.toThrow('injected failure');

    expect((await store.listByUser(user)).map((s) => s.id)).toEqual([survivor]);
    expect(await store.deleteByUser(user)).toBe(1);
    expect(await store.listByUser(user)).toEqual([]);
    for (const id of ids) expect(await store.get(id)).toBeNull();
  });

  it('a delete interrupted before its index cleanup leaves an entry that is never listed', async () => {
    const user = `user-${newId()}`;
    const id = newId();
    await store.create(id, record({ userId: user }));
    await expect(storeFailing((command) => command === 'zrem').delete(id)).rejects.toThrow(
      'injected failure',
    );
    expect(await store.get(id)).toBeNull();
    expect(await store.listByUser(user)).toEqual([]);
    expect(await store.deleteByUser(user)).toBe(0);
  });
});
