import type { SessionRecord } from '@coatcheck/core/store';
import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { makeRecord, newId, newUserId } from './fixtures.js';

/** Many requests of one session at once (`concurrentWriters` of them): exactly one wins, nothing is lost. */
export const concurrencyCases = {
  'concurrency/racing-creates': {
    title: ({ writers }) => `creates a record exactly once when ${writers} creates of one id race`,
    async run({ store, writers }) {
      const id = newId();
      const results = await Promise.all(
        Array.from({ length: writers }, (_, writer) => store.create(id, makeRecord({ data: { writer } }))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(id))?.data).toEqual({ writer: results.indexOf(true) });
    },
  },

  'concurrency/racing-replaces': {
    title: ({ writers }) => `lets exactly one of ${writers} concurrent writers of one version win`,
    async run({ store, writers }) {
      const id = newId();
      await store.create(id, makeRecord({ data: { winner: null } }));
      const results = await Promise.all(
        Array.from({ length: writers }, (_, writer) =>
          store.replace(id, { ...makeRecord({ data: { winner: writer } }), version: 2 }, 1),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(id))?.data.winner).toBe(results.indexOf(true));
    },
  },

  'concurrency/read-modify-write-loops': {
    title: ({ writers }) => `loses no increment from ${writers} concurrent read-modify-write loops`,
    async run({ store, writers }) {
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
    },
  },

  'concurrency/racing-indexed-creates': {
    title: ({ writers }) => `indexes all of ${writers} sessions a user creates concurrently`,
    needs: 'userIndex',
    async run({ store, writers }) {
      const user = newUserId();
      const ids = Array.from({ length: writers }, newId);
      await Promise.all(ids.map((id) => store.create(id, makeRecord({ userId: user }))));
      expect((await store.listByUser(user)).map((s) => s.id).sort()).toEqual([...ids].sort());
      expect(await store.deleteByUser(user)).toBe(writers);
    },
  },
} satisfies CaseTable;
