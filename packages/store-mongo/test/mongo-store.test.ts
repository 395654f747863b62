import { randomBytes, randomUUID } from 'node:crypto';
import { type CoatcheckError, createSessions, isCoatcheckError, type SessionRecord } from '@coatcheck/core';
import { makeRecord, newId } from '@coatcheck/store-test-suite';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createMongoStore, ferretDbVersion, INDEX_NAMES, type MongoStoreOptions } from '../src/index.js';
import { openTestDb } from './harness.js';

const testDb = openTestDb((url, options) => new MongoClient(url, options));
const { server, db } = testDb;
const unreachableClients: MongoClient[] = [];
afterAll(async () => {
  await testDb.dispose();
  await Promise.all(unreachableClients.map((client) => client.close()));
});

/**
 * A store on a collection of its own, so tests never see each other's documents. No TTL index and no
 * sweeper unless asked: the expiry cases decide when expired documents go.
 */
function storeOn(options: Omit<MongoStoreOptions, 'collectionName'> = {}) {
  const collectionName = `sessions_${randomUUID().slice(0, 8)}`;
  const store = createMongoStore(db, { collectionName, expiry: 'off', ...options });
  return { store, raw: db.collection(collectionName) };
}

/** A client whose every operation fails: nothing listens on port 1. */
function unreachableDb() {
  const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
  unreachableClients.push(client);
  return client.db('unreachable');
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const expiredRecord = (): SessionRecord => makeRecord({ idleExpiresAt: Date.now() - 1_000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`Mongo store on ${server.name}`, () => {
  describe('stored documents', () => {
    it('round-trips data keys that BSON or the server would refuse as field names', async () => {
      const { store, raw } = storeOn();
      const id = newId();
      const data = {
        'a.b': 1,
        $where: 'not an operator',
        'nul\u0000key': 'x',
        nested: { 'c.d': [{ $ref: 'kept' }] },
        large: 'é'.repeat(128 * 1024),
      };
      await store.create(id, makeRecord({ data }));
      expect((await store.get(id))?.data).toEqual(data);
      expect(typeof (await raw.findOne({ _id: id as never }))?.data).toBe('string');
    });

    it('keeps the deadline as a Date for the TTL index, and touch moves it', async () => {
      const { store, raw } = storeOn();
      const id = newId();
      const record = makeRecord({
        idleExpiresAt: Date.now() + 60_000,
        absoluteExpiresAt: Date.now() + 30_000,
      });
      await store.create(id, record);
      const stored = await raw.findOne({ _id: id as never });
      expect(stored?.expiresAt).toEqual(new Date(record.absoluteExpiresAt));
      expect(stored?.idleExpiresAt).toBe(record.idleExpiresAt);

      const idleExpiresAt = Date.now() + 20_000;
      expect(await store.touch(id, { idleExpiresAt, lastSeenAt: Date.now() })).toBe(true);
      expect((await raw.findOne({ _id: id as never }))?.expiresAt).toEqual(new Date(idleExpiresAt));
    });

    it('accepts a Collection instead of a Db', async () => {
      const name = `given_${randomUUID().slice(0, 8)}`;
      const store = createMongoStore(db.collection(name), { expiry: 'off' });
      const id = newId();
      await store.create(id, makeRecord({ data: { via: 'collection' } }));
      expect(await db.collection(name).countDocuments({ _id: id as never })).toBe(1);
      await store.close();
    });

    it('works end to end under createSessions: save, reload, log in, revoke everywhere', async () => {
      const { store } = storeOn();
      const sessions = createSessions({
        store,
        secrets: randomBytes(32).toString('base64url'),
        cookie: { secure: false },
      });
      const cookieOf = (headers: Array<[string, string]>) =>
        headers.find(([name]) => name === 'Set-Cookie')?.[1].split(';')[0] ?? '';

      const first = await sessions.load({});
      first.set('cart', ['apple']);
      const cookie = cookieOf((await sessions.commit(first)).headers);
      const again = await sessions.load({ cookie });
      expect(again.get('cart')).toEqual(['apple']);

      const user = `user-${randomUUID()}`;
      await again.login(user);
      const loggedIn = cookieOf((await sessions.commit(again)).headers);
      expect(await sessions.listForUser(user)).toHaveLength(1);
      expect(await sessions.revokeAll(user)).toBe(1);
      expect((await sessions.load({ cookie: loggedIn })).get('cart')).toBeUndefined();
      await sessions.close();
    });
  });

  describe('indexes', () => {
    it('ensureIndexes() creates the user and deadline indexes, and is safe to repeat', async () => {
      const { store, raw } = storeOn({ ensureIndexesOnStart: false });
      await store.ensureIndexes();
      await store.ensureIndexes();
      const indexes = await raw.indexes();
      expect(indexes.find((index) => index.name === INDEX_NAMES.userId)?.key).toEqual({ userId: 1 });
      const deadline = indexes.find((index) => index.name === INDEX_NAMES.expiresAt);
      expect(deadline?.key).toEqual({ expiresAt: 1 });
      expect(deadline?.expireAfterSeconds).toBeUndefined();
    });

    it('creates the indexes on start unless told not to', async () => {
      const started = storeOn();
      await started.store.get(newId());
      expect((await started.raw.indexes()).map((index) => index.name)).toContain(INDEX_NAMES.userId);

      const manual = storeOn({ ensureIndexesOnStart: false });
      await manual.store.create(newId(), makeRecord());
      expect((await manual.raw.indexes()).map((index) => index.name)).not.toContain(INDEX_NAMES.userId);
    });

    it.runIf(server.ttlIndexes)("creates a TTL index with expiry: 'native'", async () => {
      const { store, raw } = storeOn({ expiry: 'native', ensureIndexesOnStart: false });
      await store.ensureIndexes();
      const deadline = (await raw.indexes()).find((index) => index.name === INDEX_NAMES.expiresAt);
      expect(deadline?.expireAfterSeconds).toBe(0);
    });

    it.runIf(!server.ttlIndexes)("names expiry: 'sweep' when the server refuses the TTL index", async () => {
      const { store } = storeOn({ expiry: 'native', ensureIndexesOnStart: false });
      const error = (await store.ensureIndexes().catch((caught: unknown) => caught)) as CoatcheckError;
      expect(isCoatcheckError(error, 'TTL_INDEX_UNSUPPORTED')).toBe(true);
      expect(error.message).toContain("pass `expiry: 'sweep'` to `createMongoStore()`");
      expect(error.cause).toBeInstanceOf(Error);
    });

    it.runIf(!server.ttlIndexes)(
      'reports the refused TTL index to onError at start-up, and throws it from every call, when indexes are created on start',
      async () => {
        const onError = vi.fn();
        const { store } = storeOn({ expiry: 'native', onError });
        // Before any store call: the start-up index creation reports it as soon as the server refuses.
        await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1), { timeout: 10_000 });
        const [reported] = onError.mock.calls[0] as [CoatcheckError];
        expect(reported.code).toBe('TTL_INDEX_UNSUPPORTED');
        expect(reported.message).toMatch(/TTL index/);
        expect(reported.message).toContain("`expiry: 'native'` (the default)");
        expect(reported.message).toContain("pass `expiry: 'sweep'` to `createMongoStore()`");
        expect(reported.message).toMatch(/every call of a store that creates its indexes on start fails/);

        const sessions = createSessions({ store, secrets: randomBytes(32).toString('base64url') });
        const session = await sessions.load({});
        session.set('n', 1);
        const error = (await sessions.commit(session).catch((caught: unknown) => caught)) as CoatcheckError;
        expect(error).toMatchObject({ code: 'TTL_INDEX_UNSUPPORTED' });
        expect(error.message).toContain("expiry: 'sweep'");
        // Configuration, not an outage: it keeps failing the same way rather than half-working.
        await expect(store.get(newId())).rejects.toMatchObject({ code: 'TTL_INDEX_UNSUPPORTED' });
        // Reported once, at start-up; the calls report it to their callers.
        expect(onError).toHaveBeenCalledTimes(1);
      },
    );

    it.runIf(!server.ttlIndexes)(
      'logs the refused TTL index with console.error when no onError is given, and survives a throwing one',
      async () => {
        const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
        try {
          storeOn({ expiry: 'native' });
          await vi.waitFor(() => expect(logged).toHaveBeenCalledTimes(1), { timeout: 10_000 });
          expect(logged.mock.calls[0]?.[0]).toMatchObject({ code: 'TTL_INDEX_UNSUPPORTED' });

          const failure = new Error('onError itself failed');
          storeOn({
            expiry: 'native',
            onError: () => {
              throw failure;
            },
          });
          await vi.waitFor(() => expect(logged).toHaveBeenCalledWith(failure), { timeout: 10_000 });
        } finally {
          logged.mockRestore();
        }
      },
    );

    it('reports nothing at start-up for an outage: the call that meets it reports it', async () => {
      const onError = vi.fn();
      const store = createMongoStore(unreachableDb(), { onError });
      await expect(store.get(newId())).rejects.toMatchObject({ code: 'STORE_ERROR' });
      expect(onError).not.toHaveBeenCalled();
    });
    if (server.ttlIndexes)
      console.info(`[store-mongo] ${server.name} accepts TTL indexes: refusal cases skipped`);
    else console.info(`[store-mongo] ${server.name} refuses TTL indexes: the TTL index case is skipped`);
  });

  describe('removing expired sessions', () => {
    it("expiry: 'sweep' deletes them on its interval, until close()", async () => {
      const { store, raw } = storeOn({ expiry: 'sweep', sweepIntervalSeconds: 0.2 });
      const live = newId();
      await store.create(live, makeRecord());
      const swept = newId();
      await store.create(swept, expiredRecord());
      await waitFor(async () => (await raw.countDocuments({ _id: swept as never })) === 0);
      expect(await store.get(live)).not.toBeNull();

      await store.close();
      const kept = newId();
      await store.create(kept, expiredRecord());
      await sleep(1_000); // five intervals
      expect(await raw.countDocuments({ _id: kept as never })).toBe(1);
      expect(await store.get(kept)).toBeNull(); // closed, the store still answers
    });

    it("expiry: 'off' never deletes them itself: deleteExpired() does", async () => {
      const { store, raw } = storeOn({ expiry: 'off', sweepIntervalSeconds: 0.1 });
      const id = newId();
      await store.create(id, expiredRecord());
      await sleep(1_000); // ten intervals, had it swept
      expect(await raw.countDocuments({ _id: id as never })).toBe(1);
      expect(await store.get(id)).toBeNull();
      expect(await store.deleteExpired()).toBe(1);
      expect(await raw.countDocuments({ _id: id as never })).toBe(0);
    });

    it('reports a failed sweep to onError as STORE_ERROR, and keeps sweeping', async () => {
      const failures: CoatcheckError[] = [];
      const store = createMongoStore(unreachableDb(), {
        expiry: 'sweep',
        sweepIntervalSeconds: 0.1,
        ensureIndexesOnStart: false,
        onError: (error) => failures.push(error),
      });
      await vi.waitFor(() => expect(failures.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
      await store.close();
      expect(failures[0]?.code).toBe('STORE_ERROR');
      expect(failures[0]?.cause).toBeInstanceOf(Error);
    });

    it('reads, writes and sweeps by the `now` clock', async () => {
      const realNow = Date.now();
      let clockMs = realNow + 120_000; // two minutes ahead of the documents
      const { store: ahead, raw } = storeOn({ now: () => clockMs });
      const onTime = createMongoStore(raw, { expiry: 'off' }); // the real clock, on the same collection
      const id = newId();
      const user = `user-${randomUUID()}`;
      // Live for another minute by the real clock, so only the store's own clock can call it expired.
      const record = makeRecord({ userId: user, idleExpiresAt: realNow + 60_000 });
      expect(await onTime.create(id, record)).toBe(true);
      expect(await ahead.get(id)).toBeNull();
      expect(await ahead.replace(id, { ...record, version: 2 }, 1)).toBe(false);
      expect(await ahead.touch(id, { idleExpiresAt: clockMs + 60_000, lastSeenAt: clockMs })).toBe(false);
      expect(await ahead.listByUser(user)).toEqual([]);
      expect(await ahead.deleteByUser(user)).toBe(0);
      expect(await onTime.get(id)).not.toBeNull();
      // An id whose document is expired by the clock can be taken over by a create.
      const deadline = clockMs + 60_000;
      const renewed = makeRecord({ idleExpiresAt: deadline, absoluteExpiresAt: deadline, data: { n: 2 } });
      expect(await ahead.create(id, renewed)).toBe(true);
      expect((await ahead.get(id))?.data).toEqual({ n: 2 });

      // deleteExpired() and the sweeper go by the clock too: move it past every deadline.
      clockMs += 120_000;
      await onTime.create(newId(), makeRecord());
      expect(await ahead.deleteExpired()).toBe(2);
      await onTime.create(newId(), makeRecord());
      const sweeping = createMongoStore(raw, {
        expiry: 'sweep',
        sweepIntervalSeconds: 0.2,
        now: () => clockMs,
      });
      await waitFor(async () => (await raw.countDocuments({})) === 0);
      await sweeping.close();
    });
  });

  describe('the server it runs on', () => {
    const ferretDbV1 = !server.atomicUpdates;

    it('ferretDbVersion() names FerretDB, and nothing else', async () => {
      const version = await ferretDbVersion(db);
      expect(version === null ? 'MongoDB' : `FerretDB ${version}`).toBe(
        server.name.split(' ').slice(0, 2).join(' '),
      );
    });

    /** A fresh copy of the store's modules: the warning is given once per process. */
    async function freshStoreModule() {
      vi.resetModules();
      return import('../src/index.js');
    }
    const quiet = { ensureIndexesOnStart: false, expiry: 'off' } as const;
    const collectionName = () => `warn_${randomUUID().slice(0, 8)}`;

    /** Clients of both drivers on the test server, closed after the test. */
    async function clientsOn(options: { maxPoolSize?: number }, url = server.url) {
      const { MongoClient: MongoClient6 } = await import('mongodb-v6');
      return [new MongoClient(url, options), new MongoClient6(url, options)] as const;
    }

    it(`${ferretDbV1 ? 'warns' : 'does not warn'} on first use, with the default pool, that FerretDB v1 needs one process and maxPoolSize: 1`, async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const defaultPool = new MongoClient(server.url);
      try {
        const fresh = await freshStoreModule();
        const defaultDb = defaultPool.db(db.databaseName);
        expect(defaultPool.options.maxPoolSize).toBe(100);
        const first = fresh.createMongoStore(defaultDb, { ...quiet, collectionName: collectionName() });
        expect(warn).not.toHaveBeenCalled();
        await first.get(newId());
        const second = fresh.createMongoStore(defaultDb, { ...quiet, collectionName: collectionName() });
        await second.create(newId(), makeRecord());
        expect(warn).toHaveBeenCalledTimes(ferretDbV1 ? 1 : 0);
        if (ferretDbV1) {
          const [message] = warn.mock.calls[0] as [string];
          expect(message).toContain(`FerretDB ${await ferretDbVersion(db)}`);
          expect(message).toMatch(/a touch can undo a save/);
          expect(message).toMatch(/one app process and a MongoClient with `maxPoolSize: 1`/);
          expect(message).toContain("this store's client has `maxPoolSize: 100`");
          expect(message).toMatch(/development and demos/);
        }
      } finally {
        warn.mockRestore();
        await defaultPool.close();
      }
    });

    it('does not warn when the client already has maxPoolSize: 1 (driver 6 and 7, option or URL)', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const url = new URL(server.url);
      url.searchParams.set('maxPoolSize', '1');
      const onePool = [...(await clientsOn({ maxPoolSize: 1 })), ...(await clientsOn({}, url.href))];
      const defaultPool = new MongoClient(server.url);
      try {
        const fresh = await freshStoreModule();
        for (const client of onePool) {
          expect(client.options.maxPoolSize).toBe(1);
          const oneDb = client.db(db.databaseName);
          const viaDb = fresh.createMongoStore(oneDb, { ...quiet, collectionName: collectionName() });
          await viaDb.get(newId());
          const viaCollection = fresh.createMongoStore(oneDb.collection(collectionName()), quiet);
          await viaCollection.get(newId());
        }
        expect(warn).not.toHaveBeenCalled();
        // Silence came from the pool size, not from a warning already given: a default pool still gets it.
        const defaultDb = defaultPool.db(db.databaseName);
        const unlimited = fresh.createMongoStore(defaultDb, { ...quiet, collectionName: collectionName() });
        await unlimited.get(newId());
        expect(warn).toHaveBeenCalledTimes(ferretDbV1 ? 1 : 0);
      } finally {
        warn.mockRestore();
        await Promise.all([...onePool, defaultPool].map((client) => client.close()));
      }
    });

    it('asks a Collection given instead of a Db through its db, and reads its pool size', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const [defaultPool7, defaultPool6] = await clientsOn({});
      try {
        for (const client of [defaultPool7, defaultPool6]) {
          const fresh = await freshStoreModule();
          const collection = client.db(db.databaseName).collection(collectionName());
          await fresh.createMongoStore(collection, { expiry: 'off' }).get(newId());
        }
        expect(warn).toHaveBeenCalledTimes(ferretDbV1 ? 2 : 0);
      } finally {
        warn.mockRestore();
        await Promise.all([defaultPool7.close(), defaultPool6.close()]);
      }
    });

    it('keeps a failed server check to itself: the call fails through its own operation', async () => {
      const store = createMongoStore(unreachableDb(), { ensureIndexesOnStart: false, expiry: 'off' });
      await expect(store.get(newId())).rejects.toThrow();
      await expect(store.get(newId())).rejects.toThrow();
    });
  });

  describe('outages', () => {
    it('turns an unreachable server into STORE_ERROR with the driver error as cause', async () => {
      const store = createMongoStore(unreachableDb(), { ensureIndexesOnStart: false });
      const sessions = createSessions({ store, secrets: randomBytes(32).toString('base64url') });
      const session = await sessions.load({});
      session.set('n', 1);
      const error = await sessions.commit(session).catch((caught: unknown) => caught);
      expect(isCoatcheckError(error, 'STORE_ERROR')).toBe(true);
      expect((error as CoatcheckError).cause).toBeInstanceOf(Error);
    });

    it('reports index creation against an unreachable server as STORE_ERROR', async () => {
      const store = createMongoStore(unreachableDb(), { ensureIndexesOnStart: false });
      await expect(store.ensureIndexes()).rejects.toMatchObject({ code: 'STORE_ERROR' });
    });
  });
});
