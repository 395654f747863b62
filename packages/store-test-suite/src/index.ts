import { randomUUID } from 'node:crypto';
import type { SessionRecord, SessionStore } from '@coatcheck/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What a backend cannot do; each `false` skips the cases that need it, and the skip is printed. */
export interface StoreCapabilities {
  /**
   * The store keeps records it has not deleted yet past their deadline (no native expiry), so
   * `deleteExpired()` must remove them. `false` for Redis-like stores where the backend expires keys.
   * @default true when the store has a `deleteExpired` method
   */
  deleteExpired?: boolean;
}

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /** Shown in the test names, e.g. `'RedisStore (cluster)'`. */
  name: string;
  /** Builds the store under test; called once before the cases run. */
  createStore: () => SessionStore | Promise<SessionStore>;
  /** Tears down what `createStore` built (close clients). `store.close()` is called first. */
  dispose?: (store: SessionStore) => void | Promise<void>;
  /** What the backend lacks. */
  capabilities?: StoreCapabilities;
  /** How many concurrent writers the concurrency case runs. @default 20 */
  concurrentWriters?: number;
}

/**
 * Runs every case of the Coatcheck store contract against a store, as vitest tests. Call it at the top
 * level of a test file:
 *
 * ```ts
 * import { runStoreConformance } from '@coatcheck/store-test-suite';
 * runStoreConformance({ name: 'MyStore', createStore: () => new MyStore(client) });
 * ```
 *
 * Cases use fresh random ids and user ids, so they never need the backend to be empty and two runs
 * against one server never collide.
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const writers = options.concurrentWriters ?? 20;

  describe(`${options.name} — store contract`, () => {
    // The per-user index is optional in core's contract; these cases still expect it.
    let store: Required<SessionStore>;
    beforeAll(async () => {
      store = (await options.createStore()) as Required<SessionStore>;
    });
    afterAll(async () => {
      await store?.close?.();
      await options.dispose?.(store);
    });

    describe('create and get', () => {
      it('creates a record only if the id is absent', async () => {
        const id = newId();
        expect(await store.create(id, makeRecord({ data: { n: 1 } }))).toBe(true);
        expect(await store.create(id, makeRecord({ data: { n: 2 } }))).toBe(false);
        expect((await store.get(id))?.data).toEqual({ n: 1 });
      });

      it(`creates a record exactly once when ${writers} creates of one id race`, async () => {
        const id = newId();
        const results = await Promise.all(
          Array.from({ length: writers }, (_, writer) => store.create(id, makeRecord({ data: { writer } }))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get(id))?.data).toEqual({ writer: results.indexOf(true) });
      });

      it('reads an unknown id as null', async () => {
        expect(await store.get(newId())).toBeNull();
      });

      it('round-trips every field of the record', async () => {
        const id = newId();
        const record = makeRecord({
          userId: newUser(),
          authenticatedAt: Date.now() - 5_000,
          ip: '2001:db8::1',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) conformance',
          data: { nested: { list: [1, 'two', null, true], empty: {} }, zero: 0, no: false },
        });
        await store.create(id, record);
        expect(await store.get(id)).toEqual(record);
      });

      it('round-trips null metadata', async () => {
        const id = newId();
        const record = makeRecord({ ip: null, userAgent: null, authenticatedAt: null, userId: null });
        await store.create(id, record);
        expect(await store.get(id)).toEqual(record);
      });

      it('keeps unicode and large values intact', async () => {
        const id = newId();
        const unicode = 'añ 中文 🧥🎟️ \u0000 \u2028 "quoted" \\ \'';
        const large = 'x'.repeat(256 * 1024);
        await store.create(id, makeRecord({ data: { unicode, large, [unicode]: 'key' } }));
        const read = await store.get(id);
        expect(read?.data.unicode).toBe(unicode);
        expect(read?.data.large).toBe(large);
        expect(read?.data[unicode]).toBe('key');
      });

      it('returns independent copies: changing a read record does not change the store', async () => {
        const id = newId();
        await store.create(id, makeRecord({ data: { list: [1] } }));
        const read = (await store.get(id)) as SessionRecord;
        (read.data.list as number[]).push(2);
        expect((await store.get(id))?.data.list).toEqual([1]);
      });
    });

    describe('expiry', () => {
      it('reads a record past its idle deadline as null, even if not yet deleted', async () => {
        const id = newId();
        const now = Date.now();
        await store.create(id, makeRecord({ idleExpiresAt: now - 1, absoluteExpiresAt: now + 60_000 }));
        expect(await store.get(id)).toBeNull();
      });

      it('reads a record past its absolute deadline as null, whatever its idle deadline', async () => {
        const id = newId();
        const now = Date.now();
        await store.create(id, makeRecord({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now - 1 }));
        expect(await store.get(id)).toBeNull();
      });

      it('expires a live record when its deadline passes', async () => {
        const id = newId();
        const now = Date.now();
        await store.create(id, makeRecord({ idleExpiresAt: now + LIVE_MS, absoluteExpiresAt: now + 60_000 }));
        expect(await store.get(id)).not.toBeNull();
        await sleep(PAST_DEADLINE_MS);
        expect(await store.get(id)).toBeNull();
      });

      it('lets create reuse the id of an expired record', async () => {
        const id = newId();
        const now = Date.now();
        await store.create(id, makeRecord({ idleExpiresAt: now - 1 }));
        expect(await store.create(id, makeRecord({ data: { fresh: true } }))).toBe(true);
        expect((await store.get(id))?.data).toEqual({ fresh: true });
      });

      it('refuses to replace or touch an expired record', async () => {
        const id = newId();
        const now = Date.now();
        const expired = makeRecord({ idleExpiresAt: now - 1 });
        await store.create(id, expired);
        expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
        expect(await store.touch(id, { idleExpiresAt: now + 60_000, lastSeenAt: now })).toBe(false);
        expect(await store.get(id)).toBeNull();
      });

      const sweeps = options.capabilities?.deleteExpired ?? true;
      it.skipIf(!sweeps)('deleteExpired() removes expired records and keeps live ones', async () => {
        if (!store.deleteExpired)
          throw new Error('capabilities.deleteExpired is on but the store has no deleteExpired()');
        const now = Date.now();
        const dead = newId();
        const alive = newId();
        await store.create(dead, makeRecord({ idleExpiresAt: now - 1 }));
        await store.create(alive, makeRecord());
        expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
        expect(await store.get(alive)).not.toBeNull();
        expect(await store.create(dead, makeRecord({ data: { reused: true } }))).toBe(true);
      });
      if (!sweeps) logSkip(options.name, 'deleteExpired', 'the backend expires records natively');
    });

    describe('compare-and-set', () => {
      it('replaces when the version matches, and bumps it', async () => {
        const id = newId();
        await store.create(id, makeRecord({ data: { n: 1 } }));
        const next = { ...makeRecord({ data: { n: 2 } }), version: 2 };
        expect(await store.replace(id, next, 1)).toBe(true);
        expect(await store.get(id)).toEqual(next);
      });

      it('refuses a replace based on a stale version and keeps the newer data', async () => {
        const id = newId();
        await store.create(id, makeRecord({ data: { n: 1 } }));
        expect(await store.replace(id, { ...makeRecord({ data: { n: 2 } }), version: 2 }, 1)).toBe(true);
        expect(await store.replace(id, { ...makeRecord({ data: { n: 3 } }), version: 2 }, 1)).toBe(false);
        expect((await store.get(id))?.data).toEqual({ n: 2 });
      });

      it('never re-creates a deleted record (no resurrection)', async () => {
        const id = newId();
        await store.create(id, makeRecord());
        await store.delete(id);
        expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
        expect(await store.get(id)).toBeNull();
      });

      it('refuses to replace an id that never existed', async () => {
        const id = newId();
        expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
        expect(await store.get(id)).toBeNull();
      });

      it(`lets exactly one of ${writers} concurrent writers of one version win`, async () => {
        const id = newId();
        await store.create(id, makeRecord({ data: { winner: null } }));
        const results = await Promise.all(
          Array.from({ length: writers }, (_, writer) =>
            store.replace(id, { ...makeRecord({ data: { winner: writer } }), version: 2 }, 1),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.get(id))?.data.winner).toBe(results.indexOf(true));
      });

      it(`loses no increment from ${writers} concurrent read-modify-write loops`, async () => {
        const id = newId();
        await store.create(id, makeRecord({ data: { count: 0 } }));
        await Promise.all(
          Array.from({ length: writers }, async () => {
            for (;;) {
              const current = (await store.get(id)) as SessionRecord;
              const next = {
                ...current,
                version: current.version + 1,
                data: { count: (current.data.count as number) + 1 },
              };
              if (await store.replace(id, next, current.version)) return;
            }
          }),
        );
        const final = await store.get(id);
        expect(final?.data.count).toBe(writers);
        expect(final?.version).toBe(writers + 1);
      });
    });

    describe('touch', () => {
      it('extends the idle deadline without changing data or version', async () => {
        const id = newId();
        const now = Date.now();
        const record = makeRecord({ data: { keep: 'me' }, idleExpiresAt: now + LIVE_MS });
        await store.create(id, record);
        const update = { idleExpiresAt: now + 60_000, lastSeenAt: now + 10 };
        expect(await store.touch(id, update)).toBe(true);
        expect(await store.get(id)).toEqual({ ...record, ...update });
        await sleep(PAST_DEADLINE_MS);
        expect(await store.get(id)).not.toBeNull();
      });

      it('does not make a stale compare-and-set succeed', async () => {
        const id = newId();
        await store.create(id, makeRecord());
        await store.touch(id, { idleExpiresAt: Date.now() + 120_000, lastSeenAt: Date.now() });
        expect(await store.replace(id, { ...makeRecord({ data: { n: 1 } }), version: 2 }, 1)).toBe(true);
        expect(await store.replace(id, { ...makeRecord({ data: { n: 2 } }), version: 2 }, 1)).toBe(false);
      });

      it('never re-creates a deleted record', async () => {
        const id = newId();
        await store.create(id, makeRecord());
        await store.delete(id);
        expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
          false,
        );
        expect(await store.get(id)).toBeNull();
      });
    });

    describe('delete', () => {
      it('deletes one record and leaves the others', async () => {
        const [a, b] = [newId(), newId()];
        await store.create(a, makeRecord());
        await store.create(b, makeRecord());
        await store.delete(a);
        expect(await store.get(a)).toBeNull();
        expect(await store.get(b)).not.toBeNull();
      });

      it('treats deleting a missing record as success', async () => {
        await expect(store.delete(newId())).resolves.toBeUndefined();
      });
    });

    describe('per-user index', () => {
      it("lists exactly a user's live records", async () => {
        const user = newUser();
        const mine = [newId(), newId(), newId()];
        for (const id of mine) await store.create(id, makeRecord({ userId: user, data: { id } }));
        await store.create(newId(), makeRecord({ userId: newUser() }));
        await store.create(newId(), makeRecord({ userId: null }));
        await store.create(newId(), makeRecord({ userId: user, idleExpiresAt: Date.now() - 1 }));
        const listed = await store.listByUser(user);
        expect(listed.map((s) => s.id).sort()).toEqual([...mine].sort());
        for (const { id, record } of listed) expect(record.data).toEqual({ id });
      });

      it('forgets deleted and replaced-away records', async () => {
        const [user, other] = [newUser(), newUser()];
        const [deleted, replacedAway, kept] = [newId(), newId(), newId()];
        for (const id of [deleted, replacedAway, kept]) await store.create(id, makeRecord({ userId: user }));
        await store.delete(deleted);
        expect(await store.replace(replacedAway, { ...makeRecord({ userId: other }), version: 2 }, 1)).toBe(
          true,
        );
        expect((await store.listByUser(user)).map((s) => s.id)).toEqual([kept]);
        expect((await store.listByUser(other)).map((s) => s.id)).toEqual([replacedAway]);
        expect(await store.deleteByUser(user)).toBe(1);
        expect(await store.get(replacedAway)).not.toBeNull();
      });

      it('lists nothing for a user without sessions', async () => {
        expect(await store.listByUser(newUser())).toEqual([]);
      });

      it('drops records from the listing once they expire', async () => {
        const user = newUser();
        const id = newId();
        await store.create(id, makeRecord({ userId: user, idleExpiresAt: Date.now() + LIVE_MS }));
        expect(await store.listByUser(user)).toHaveLength(1);
        await sleep(PAST_DEADLINE_MS);
        expect(await store.listByUser(user)).toEqual([]);
      });

      it("deletes all of a user's records and no one else's", async () => {
        const user = newUser();
        const other = newId();
        const mine = [newId(), newId(), newId()];
        for (const id of mine) await store.create(id, makeRecord({ userId: user }));
        await store.create(other, makeRecord({ userId: newUser() }));
        expect(await store.deleteByUser(user)).toBe(3);
        for (const id of mine) expect(await store.get(id)).toBeNull();
        expect(await store.get(other)).not.toBeNull();
        expect(await store.listByUser(user)).toEqual([]);
      });

      it("deletes all of a user's records except one", async () => {
        const user = newUser();
        const [keep, a, b] = [newId(), newId(), newId()];
        for (const id of [keep, a, b]) await store.create(id, makeRecord({ userId: user }));
        expect(await store.deleteByUser(user, { exceptId: keep })).toBe(2);
        expect(await store.get(keep)).not.toBeNull();
        expect(await store.get(a)).toBeNull();
        expect((await store.listByUser(user)).map((s) => s.id)).toEqual([keep]);
      });

      it('treats user ids that differ only by trailing spaces or case as different users', async () => {
        // Some SQL collations compare 'u' and 'u ' (PAD SPACE) or 'u' and 'U' as equal: the store must not.
        const base = `u-${randomUUID()}`;
        const users = [base, `${base} `, base.toUpperCase()];
        const ids = users.map(() => newId());
        for (const [i, user] of users.entries())
          await store.create(ids[i] as string, makeRecord({ userId: user }));
        for (const [i, user] of users.entries()) {
          expect(
            (await store.listByUser(user)).map((s) => s.id),
            JSON.stringify(user),
          ).toEqual([ids[i]]);
        }
        expect(await store.deleteByUser(base)).toBe(1);
        expect(await store.get(ids[0] as string)).toBeNull();
        expect(await store.get(ids[1] as string)).not.toBeNull();
        expect(await store.get(ids[2] as string)).not.toBeNull();
        expect(await store.deleteByUser(`${base} `)).toBe(1);
        expect(await store.get(ids[2] as string)).not.toBeNull();
        expect((await store.listByUser(base.toUpperCase())).map((s) => s.id)).toEqual([ids[2]]);
      });

      it('returns 0 for a user without sessions', async () => {
        expect(await store.deleteByUser(newUser())).toBe(0);
      });

      it('indexes a record under its new user when a replace changes the user', async () => {
        const [before, after] = [newUser(), newUser()];
        const id = newId();
        await store.create(id, makeRecord({ userId: before }));
        expect(await store.replace(id, { ...makeRecord({ userId: after }), version: 2 }, 1)).toBe(true);
        expect(await store.listByUser(before)).toEqual([]);
        expect((await store.listByUser(after)).map((s) => s.id)).toEqual([id]);
      });

      it(`indexes all of ${writers} sessions a user creates concurrently`, async () => {
        const user = newUser();
        const ids = Array.from({ length: writers }, newId);
        await Promise.all(ids.map((id) => store.create(id, makeRecord({ userId: user }))));
        expect((await store.listByUser(user)).map((s) => s.id).sort()).toEqual([...ids].sort());
        expect(await store.deleteByUser(user)).toBe(writers);
      });
    });
  });
}

/**
 * Deadline of the records the expiry cases watch die, and how long they wait for it: a loaded machine can
 * take a second between two calls, so the record must outlive the first check with room to spare.
 */
const LIVE_MS = 2_000;
const PAST_DEADLINE_MS = 2_500;

/** A live record with sensible defaults (deadlines a minute ahead, version 1). */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    data: {},
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    authenticatedAt: null,
    idleExpiresAt: now + 60_000,
    absoluteExpiresAt: now + 120_000,
    version: 1,
    ip: '203.0.113.7',
    userAgent: 'conformance-suite',
    ...overrides,
  };
}

/** A random id shaped like a real one (43 base64url characters). */
export function newId(): string {
  return Buffer.from(randomUUID() + randomUUID())
    .toString('base64url')
    .slice(0, 43);
}

function newUser(): string {
  return `user-${randomUUID()}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function logSkip(name: string, what: string, why: string): void {
  console.info(`[store-test-suite] ${name}: skipping "${what}" cases: ${why}`);
}
