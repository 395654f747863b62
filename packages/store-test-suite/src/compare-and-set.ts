import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { makeRecord, newId } from './fixtures.js';

/** `replace` on `version`: what keeps a late save from losing an update or resurrecting a session. */
export const compareAndSetCases = {
  'compare-and-set/matching-version': {
    title: 'replaces when the version matches, and bumps it',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord({ data: { n: 1 } }));
      const next = { ...makeRecord({ data: { n: 2 } }), version: 2 };
      expect(await store.replace(id, next, 1)).toBe(true);
      expect(await store.get(id)).toEqual(next);
    },
  },

  'compare-and-set/stale-version': {
    title: 'refuses a replace based on a stale version and keeps the newer data',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord({ data: { n: 1 } }));
      expect(await store.replace(id, { ...makeRecord({ data: { n: 2 } }), version: 2 }, 1)).toBe(true);
      expect(await store.replace(id, { ...makeRecord({ data: { n: 3 } }), version: 2 }, 1)).toBe(false);
      expect((await store.get(id))?.data).toEqual({ n: 2 });
    },
  },

  'compare-and-set/no-resurrection': {
    title: 'never re-creates a deleted record (no resurrection)',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord());
      await store.delete(id);
      expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
      expect(await store.get(id)).toBeNull();
    },
  },

  'compare-and-set/unknown-id': {
    title: 'refuses to replace an id that never existed',
    async run({ store }) {
      const id = newId();
      expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
      expect(await store.get(id)).toBeNull();
    },
  },
} satisfies CaseTable;
