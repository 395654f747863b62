import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { LIVE_MS, makeRecord, newId, PAST_DEADLINE_MS, sleep } from './fixtures.js';

/** A record is dead at the earlier of its two deadlines, whether or not the backend has removed it yet. */
export const expiryCases = {
  'expiry/past-idle-deadline': {
    title: 'reads a record past its idle deadline as null, even if not yet deleted',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      await store.create(id, makeRecord({ idleExpiresAt: now - 1, absoluteExpiresAt: now + 60_000 }));
      expect(await store.get(id)).toBeNull();
    },
  },

  'expiry/past-absolute-deadline': {
    title: 'reads a record past its absolute deadline as null, whatever its idle deadline',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      await store.create(id, makeRecord({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now - 1 }));
      expect(await store.get(id)).toBeNull();
    },
  },

  'expiry/deadline-passes': {
    title: 'expires a live record when its deadline passes',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      await store.create(id, makeRecord({ idleExpiresAt: now + LIVE_MS, absoluteExpiresAt: now + 60_000 }));
      expect(await store.get(id)).not.toBeNull();
      await sleep(PAST_DEADLINE_MS);
      expect(await store.get(id)).toBeNull();
    },
  },

  'expiry/reuse-expired-id': {
    title: 'lets create reuse the id of an expired record',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      await store.create(id, makeRecord({ idleExpiresAt: now - 1 }));
      expect(await store.create(id, makeRecord({ data: { fresh: true } }))).toBe(true);
      expect((await store.get(id))?.data).toEqual({ fresh: true });
    },
  },

  'expiry/no-replace-or-touch': {
    title: 'refuses to replace or touch an expired record',
    async run({ store }) {
      const id = newId();
      const now = Date.now();
      await store.create(id, makeRecord({ idleExpiresAt: now - 1 }));
      expect(await store.replace(id, { ...makeRecord(), version: 2 }, 1)).toBe(false);
      expect(await store.touch(id, { idleExpiresAt: now + 60_000, lastSeenAt: now })).toBe(false);
      expect(await store.get(id)).toBeNull();
    },
  },

  'expiry/delete-expired': {
    title: 'deleteExpired() removes expired records and keeps live ones',
    needs: 'deleteExpired',
    async run({ store }) {
      const now = Date.now();
      const dead = newId();
      const alive = newId();
      await store.create(dead, makeRecord({ idleExpiresAt: now - 1 }));
      await store.create(alive, makeRecord());
      expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
      expect(await store.get(alive)).not.toBeNull();
      expect(await store.create(dead, makeRecord({ data: { reused: true } }))).toBe(true);
    },
  },
} satisfies CaseTable;
