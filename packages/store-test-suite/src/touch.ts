import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { LIVE_MS, makeRecord, newId, PAST_DEADLINE_MS, sleep } from './fixtures.js';

/** `touch` slides the idle deadline and nothing else, so it never conflicts with a save. */
export const touchCases = {
  'touch/extends-idle-deadline': {
    title: 'extends the idle deadline without changing data or version',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      const record = makeRecord({ data: { keep: 'me' }, idleExpiresAt: now + LIVE_MS });
      await store.create(id, record);
      const update = { idleExpiresAt: now + 60_000, lastSeenAt: now + 10 };
      expect(await store.touch(id, update)).toBe(true);
      expect(await store.get(id)).toEqual({ ...record, ...update });
      await sleep(PAST_DEADLINE_MS);
      expect(await store.get(id)).not.toBeNull();
    },
  },

  'touch/keeps-version': {
    title: 'does not make a stale compare-and-set succeed',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord());
      await store.touch(id, { idleExpiresAt: Date.now() + 120_000, lastSeenAt: Date.now() });
      expect(await store.replace(id, { ...makeRecord({ data: { n: 1 } }), version: 2 }, 1)).toBe(true);
      expect(await store.replace(id, { ...makeRecord({ data: { n: 2 } }), version: 2 }, 1)).toBe(false);
    },
  },

  'touch/no-resurrection': {
    title: 'never re-creates a deleted record',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord());
      await store.delete(id);
      expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
        false,
      );
      expect(await store.get(id)).toBeNull();
    },
  },
} satisfies CaseTable;
