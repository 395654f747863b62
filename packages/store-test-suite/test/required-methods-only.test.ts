import { MemoryStore } from '@coatcheck/core';
import type { SessionStore } from '@coatcheck/core/store';
import { expect, it, vi } from 'vitest';
import { makeRecord, newId, runStoreConformance } from '../src/index.js';

/**
 * A store with only the required methods, which also refuses to delete a missing record. Every case that
 * would call a method it lacks, or that it fails, must be skipped: if one ran, this run would fail.
 */
function createMinimalStore(): SessionStore {
  const inner = new MemoryStore();
  return {
    create: (id, record) => inner.create(id, record),
    get: (id) => inner.get(id),
    replace: (id, record, expectedVersion) => inner.replace(id, record, expectedVersion),
    touch: (id, update) => inner.touch(id, update),
    async delete(id) {
      if ((await inner.get(id)) === null) throw new Error(`no record ${id}`);
      await inner.delete(id);
    },
  };
}

const printed = vi.spyOn(console, 'info');
let created: SessionStore | undefined;
let disposed = 0;
let readTooEarly: unknown;

runStoreConformance({
  name: 'Minimal store',
  createStore: () => {
    created = createMinimalStore();
    return created;
  },
  dispose: () => {
    disposed++;
  },
  skip: {
    'records/delete-missing': 'this store throws on a missing record',
    'races/destroy-vs-regenerate':
      'this store throws on a missing record, which ends racing each other delete',
  },
  additionalTests: (suite) => {
    try {
      void suite.store;
    } catch (error) {
      readTooEarly = error;
    }

    it('gets the store createStore built, before dispose', async () => {
      expect(suite.store).toBe(created);
      expect(disposed).toBe(0);
      const id = newId();
      expect(await suite.store.create(id, makeRecord())).toBe(true);
    });

    it('says when the store is read while tests are being registered', () => {
      expect(String(readTooEarly)).toMatch(/suite\.store was read before createStore\(\) ran/);
    });

    it('prints why each case is skipped: by name, and for each optional part the store lacks', () => {
      const lines = printed.mock.calls.map((args) => String(args[0]));
      expect(lines).toContain(
        '[store-test-suite] Minimal store: skipping "records/delete-missing": this store throws on a missing record',
      );
      const index = lines.find((line) => line.includes('no per-user index'));
      expect(index).toMatch(
        /^\[store-test-suite\] Minimal store: skipping 12 cases \(user-index\/list-exactly-mine, .*concurrency\/racing-indexed-creates, races\/revoke-all-vs-regenerate, races\/revoke-all-vs-login\): the store has no per-user index \(listByUser and deleteByUser\)$/,
      );
      expect(lines).toContain(
        '[store-test-suite] Minimal store: skipping "expiry/delete-expired": the store has no deleteExpired(), which a backend that expires records itself does not need',
      );
    });
  },
});
