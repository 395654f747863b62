import { MongoClient } from 'mongodb';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createMongoStore, type MongoStoreOptions } from '../src/index.js';

// Never connected: constructing a store with ensureIndexesOnStart off sends nothing.
const client = new MongoClient('mongodb://127.0.0.1:1/');
const db = client.db('options');
afterAll(() => client.close());

function refused(target: unknown, options: unknown = {}) {
  return expect(() =>
    createMongoStore(target as never, { ensureIndexesOnStart: false, ...(options as MongoStoreOptions) }),
  );
}

describe('createMongoStore options', () => {
  it('needs a Db or a Collection, and says which method is missing', () => {
    refused(undefined).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining(
          '`dbOrCollection` must be a mongodb Db or Collection (it has no insertOne() method)',
        ),
      }),
    );
    refused({ insertOne() {} }).toThrow(
      /`dbOrCollection` must be a mongodb Db or Collection \(it has no findOne\(\)/,
    );
    refused(client).toThrow(/pass `client.db\('app'\)` rather than the MongoClient/);
    expect(() => createMongoStore(db, null as never)).toThrow(/`options` must be an object/);
  });

  it('refuses the options renamed before 1.0 by their old name, naming the new one', () => {
    refused(db, { autoRemove: 'interval' }).toThrow(/`autoRemove` was renamed: use `expiry`/);
    refused(db, { autoRemoveIntervalSeconds: 60 }).toThrow(
      /`autoRemoveIntervalSeconds` was renamed: use `sweepIntervalSeconds`/,
    );
    refused(db, { onSweepError: () => {} }).toThrow(/`onSweepError` was renamed: use `onError`/);
  });

  it('refuses an invalid collection name, or one given with a collection', () => {
    for (const collectionName of ['', 'a$b', 'system.sessions', 42]) {
      refused(db, { collectionName }).toThrow(/`collectionName` must be a valid collection name/);
    }
    refused(db.collection('sessions'), { collectionName: 'x' }).toThrow(
      /`collectionName` only applies to a Db: the store was given a Collection/,
    );
  });

  it('refuses an unknown expiry mode, naming the three', () => {
    for (const expiry of ['interval', 'ttl', true]) {
      refused(db, { expiry }).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTION',
          message: expect.stringContaining(
            `\`expiry\` must be 'native', 'sweep' or 'off' (got ${JSON.stringify(expiry)})`,
          ),
        }),
      );
    }
  });

  it('checks sweepIntervalSeconds, onError, ensureIndexesOnStart and now, whatever the expiry mode', () => {
    for (const expiry of ['native', 'sweep', 'off'] as const) {
      // 2147484 s is past what a timer can wait: Node would fire it after 1 ms, sweeping without pause.
      for (const sweepIntervalSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2_147_484, '60']) {
        refused(db, { expiry, sweepIntervalSeconds }).toThrow(
          /`sweepIntervalSeconds` must be a number of seconds above 0 and at most 2147483/,
        );
      }
      refused(db, { expiry, onError: 'log' }).toThrow(/`onError` must be a function/);
      refused(db, { expiry, now: 1_767_225_600_000 }).toThrow(/`now` must be a function/);
    }
    expect(() => createMongoStore(db, { ensureIndexesOnStart: 'yes' as never })).toThrow(
      /`ensureIndexesOnStart` must be a boolean/,
    );
  });

  it('accepts a Db or a Collection from driver 6 too', async () => {
    const { MongoClient: MongoClient6 } = await import('mongodb-v6');
    const client6 = new MongoClient6('mongodb://127.0.0.1:1/');
    const db6 = client6.db('options');
    const stores = [
      createMongoStore(db6, { ensureIndexesOnStart: false }),
      createMongoStore(db6.collection('sessions'), { ensureIndexesOnStart: false }),
    ];
    expect(stores.map((store) => store.collection.constructor.name)).toEqual(['Collection', 'Collection']);
    const names = stores.map(
      (store) => (store.collection as unknown as { collectionName: string }).collectionName,
    );
    expect(names).toEqual(['sessions', 'sessions']);
    await client6.close();
  });
});

describe('createMongoStore expiry timers', () => {
  /** A stand-in collection that counts sweeps (`deleteMany`); nothing else is called. */
  function sweepCounter() {
    const sweeps: unknown[] = [];
    const unused = () => Promise.reject(new Error('not expected in this test'));
    const collection = {
      insertOne: unused,
      findOne: unused,
      find: () => ({ toArray: unused }),
      replaceOne: unused,
      updateOne: unused,
      deleteOne: unused,
      createIndex: unused,
      deleteMany: async (filter: Record<string, unknown>) => {
        sweeps.push(filter);
        return { deletedCount: 0 };
      },
    };
    return { sweeps, collection };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("expiry: 'sweep' deletes every 300 s by default, from the end of the previous sweep, until close()", async () => {
    vi.useFakeTimers();
    const { sweeps, collection } = sweepCounter();
    const store = createMongoStore(collection, { expiry: 'sweep', ensureIndexesOnStart: false });
    await vi.advanceTimersByTimeAsync(299_999);
    expect(sweeps).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(sweeps).toHaveLength(2);
    await store.close();
    await store.close(); // harmless twice
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(sweeps).toHaveLength(2);
  });

  it("never sweeps with expiry 'native' (the default) or 'off'", async () => {
    vi.useFakeTimers();
    const { sweeps, collection } = sweepCounter();
    createMongoStore(collection, { ensureIndexesOnStart: false, sweepIntervalSeconds: 1 });
    createMongoStore(collection, { expiry: 'off', ensureIndexesOnStart: false, sweepIntervalSeconds: 1 });
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(sweeps).toHaveLength(0);
  });
});
