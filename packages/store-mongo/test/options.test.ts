import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoStore, type MongoStoreOptions } from '../src/index.js';

// Never connected: constructing a store with ensureIndexesOnStart off sends nothing.
const client = new MongoClient('mongodb://127.0.0.1:1/');
const db = client.db('options');
afterAll(() => client.close());

function refused(options: unknown) {
  return expect(() => new MongoStore({ ensureIndexesOnStart: false, ...(options as MongoStoreOptions) }));
}

describe('MongoStore options', () => {
  it('needs exactly one of db and collection', () => {
    refused({}).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('`db`') }),
    );
    refused({ db, collection: db.collection('sessions') }).toThrow(
      /`db` and `collection` exclude each other/,
    );
    expect(() => new MongoStore(undefined as unknown as MongoStoreOptions)).toThrow(/`options`/);
  });

  it('says which method is missing when something else is passed as the collection or db', () => {
    refused({ collection: db }).toThrow(
      /`collection` must be a mongodb Collection \(it has no insertOne\(\) method\)/,
    );
    refused({ db: db.collection('sessions') }).toThrow(/`db` must be a mongodb Db/);
  });

  it('refuses an invalid collection name, or one given with a collection', () => {
    for (const collectionName of ['', 'a$b', 'system.sessions', 42]) {
      refused({ db, collectionName }).toThrow(/`collectionName` must be a valid collection name/);
    }
    refused({ collection: db.collection('sessions'), collectionName: 'x' }).toThrow(
      /`collectionName` only applies/,
    );
  });

  it('refuses an unknown autoRemove mode and a non-positive interval', () => {
    refused({ db, autoRemove: 'ttl' }).toThrow(
      /`autoRemove` must be 'native', 'interval' or 'off' \(got ttl\)/,
    );
    for (const autoRemoveIntervalSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
      refused({ db, autoRemoveIntervalSeconds }).toThrow(
        /`autoRemoveIntervalSeconds` must be a positive number/,
      );
    }
  });

  it('refuses a non-boolean ensureIndexesOnStart and a non-function onSweepError', () => {
    expect(() => new MongoStore({ db, ensureIndexesOnStart: 'yes' as never })).toThrow(
      /`ensureIndexesOnStart`/,
    );
    refused({ db, onSweepError: 'log' }).toThrow(/`onSweepError` must be a function/);
  });

  it('accepts a Db or a Collection from driver 6 too', async () => {
    const { MongoClient: MongoClient6 } = await import('mongodb-v6');
    const client6 = new MongoClient6('mongodb://127.0.0.1:1/');
    const db6 = client6.db('options');
    const stores = [
      new MongoStore({ db: db6, ensureIndexesOnStart: false }),
      new MongoStore({ collection: db6.collection('sessions'), ensureIndexesOnStart: false }),
    ];
    expect(stores.map((store) => store.collection.constructor.name)).toEqual(['Collection', 'Collection']);
    await client6.close();
  });
});
