import { randomUUID } from 'node:crypto';
import { CoatcheckError, createSessions, type Sessions } from '@coatcheck/core';
import { sessionIdOf } from '@coatcheck/core/testing';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.js';
import {
  clusterSeeds,
  connectCluster,
  cookieOf,
  newId,
  randomPrefix,
  record,
  SECRET,
  sleep,
} from './helpers.js';

interface ClusterNode {
  id: string;
  host: string;
  port: number;
  admin: Redis;
}

type Phase = 'before' | 'migrating' | 'asking' | 'moved';

/**
 * Moves the slot of a key from one master to another — the steps `redis-cli --cluster reshard` takes —
 * while writers keep using it. During the move the old owner answers ASK for the migrated key; after it,
 * every client with the old slot map gets MOVED; ioredis follows both. Each phase lasts until the writers
 * have succeeded a few times in it, so every phase is really exercised (progress, not a clock, decides).
 */
describe('resharding while writing (Redis Cluster)', () => {
  let client: Cluster;
  let nodes: ClusterNode[];

  beforeAll(async () => {
    client = connectCluster();
    nodes = await Promise.all(
      clusterSeeds().map(async ({ host, port }) => {
        const admin = new Redis({ host, port });
        return { id: (await admin.call('CLUSTER', 'MYID')) as string, host, port, admin };
      }),
    );
  });
  afterAll(async () => {
    await client.quit();
    for (const node of nodes ?? []) await node.admin.quit();
  });

  async function ownerOfSlot(slot: number): Promise<ClusterNode> {
    const ranges = (await nodes[0]?.admin.call('CLUSTER', 'SLOTS')) as Array<
      [number, number, [string, number, string]]
    >;
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    const owner = nodes.find((node) => node.id === range?.[2][2]);
    if (!owner) throw new Error(`no master owns slot ${slot}`);
    return owner;
  }

  /**
   * Runs `write` in `concurrency` loops while the slot of `key` moves to another master.
   * @returns how many writes succeeded in each phase.
   */
  async function migrateWhileWriting(
    key: string,
    concurrency: number,
    write: (worker: number) => Promise<boolean>,
  ): Promise<Record<Phase, number>> {
    const slot = (await client.cluster('KEYSLOT', key)) as number;
    const source = await ownerOfSlot(slot);
    const target = nodes.find((node) => node !== source) as ClusterNode;
    const succeeded: Record<Phase, number> = { before: 0, migrating: 0, asking: 0, moved: 0 };
    let phase: Phase = 'before';
    let stop = false;
    const loops = Array.from({ length: concurrency }, async (_, worker) => {
      while (!stop) if (await write(worker)) succeeded[phase]++;
    });
    const afterSomeWrites = async () => {
      const wanted = succeeded[phase] + 5;
      for (let waited = 0; succeeded[phase] < wanted; waited += 20) {
        if (waited > 30_000) throw new Error(`writers made no progress while ${phase}`);
        await sleep(20);
      }
    };
    try {
      await afterSomeWrites();
      phase = 'migrating';
      await target.admin.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
      await source.admin.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
      await afterSomeWrites();
      phase = 'asking';
      const keys = (await source.admin.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
      expect(keys).toContain(key);
      await source.admin.call('MIGRATE', target.host, target.port, '', 0, 10_000, 'KEYS', ...keys);
      await afterSomeWrites();
      phase = 'moved';
      for (const node of [target, source, ...nodes.filter((n) => n !== source && n !== target)]) {
        await node.admin.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
      }
      await afterSomeWrites();
    } finally {
      stop = true;
      await Promise.allSettled(loops);
    }
    await Promise.all(loops);
    expect(await target.admin.exists(key)).toBe(1);
    expect(await source.admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
    return succeeded;
  }

  const total = (counts: Record<Phase, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

  it('loses no save while the slot of the session record moves', async () => {
    const store = createRedisStore(client, { prefix: randomPrefix() });
    // Two app instances (each its own Sessions, as two processes would be) saving one session.
    const apps: Sessions[] = [1, 2].map(() =>
      createSessions({ store, secrets: [SECRET], cookie: { secure: false } }),
    );
    const first = await apps[0]!.load();
    first.set('count', 0);
    await first.login('grace');
    const cookie = cookieOf((await apps[0]!.commit(first)).headers);
    const id = sessionIdOf(first) as string;

    const saves = await migrateWhileWriting(store.recordKey(id), 4, async (worker) => {
      const app = apps[worker % 2]!;
      const session = await app.load({ cookie });
      session.update((data) => ({ ...data, count: (data.count as number) + 1 }));
      try {
        await app.commit(session);
        return true;
      } catch (error) {
        // Losing many races in a row is a refused save, not a lost one: it is not counted.
        if (error instanceof CoatcheckError && error.code === 'CONFLICT_RETRIES_EXHAUSTED') return false;
        throw error;
      }
    });

    const final = await apps[1]!.load({ cookie });
    expect(final.get('count')).toBe(total(saves));
    expect(final.userId).toBe('grace');
    expect((await store.listByUser('grace')).map((s) => s.id)).toEqual([id]);
  });

  it("indexes every session created while the slot of the user's index moves", async () => {
    const store = createRedisStore(client, { prefix: randomPrefix() });
    const user = `user-${randomUUID()}`;
    const created: string[] = [];
    const seed = newId();
    await store.create(seed, record({ userId: user }));
    created.push(seed);

    const creates = await migrateWhileWriting(store.userIndexKey(user), 3, async () => {
      const id = newId();
      if (!(await store.create(id, record({ userId: user })))) return false;
      created.push(id);
      return true;
    });

    expect(created).toHaveLength(total(creates) + 1);
    expect((await store.listByUser(user)).map((s) => s.id).sort()).toEqual([...created].sort());
    expect(await store.deleteByUser(user)).toBe(created.length);
  });
});
