import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { LIVE_MS, makeRecord, newId, newUserId, PAST_DEADLINE_MS, sleep } from './fixtures.js';

/**
 * The optional per-user index (`listByUser`, `deleteByUser`): what device lists and "log out everywhere"
 * rely on. Every case but the first needs it.
 */
export const userIndexCases = {
  'user-index/both-or-neither': {
    title: 'has both listByUser and deleteByUser, or neither',
    async run({ store }) {
      expect(typeof store.deleteByUser, 'the per-user index is listByUser and deleteByUser, or neither').toBe(
        typeof store.listByUser,
      );
    },
  },

  'user-index/list-exactly-mine': {
    title: "lists exactly a user's live records",
    needs: 'userIndex',
    async run({ store }) {
      const user = newUserId();
      const mine = [newId(), newId(), newId()];
      for (const id of mine) await store.create(id, makeRecord({ userId: user, data: { id } }));
      await store.create(newId(), makeRecord({ userId: newUserId() }));
      await store.create(newId(), makeRecord({ userId: null }));
      await store.create(newId(), makeRecord({ userId: user, idleExpiresAt: Date.now() - 1 }));
      const listed = await store.listByUser(user);
      expect(listed.map((s) => s.id).sort()).toEqual([...mine].sort());
      for (const { id, record } of listed) expect(record.data).toEqual({ id });
    },
  },

  'user-index/forget-deleted-and-replaced': {
    title: 'forgets deleted and replaced-away records',
    needs: 'userIndex',
    async run({ store }) {
      const [user, other] = [newUserId(), newUserId()];
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
    },
  },

  'user-index/list-unknown-user': {
    title: 'lists nothing for a user without sessions',
    needs: 'userIndex',
    async run({ store }) {
      expect(await store.listByUser(newUserId())).toEqual([]);
    },
  },

  'user-index/list-drops-expired': {
    title: 'drops records from the listing once they expire',
    needs: 'userIndex',
    async run({ store }) {
      const user = newUserId();
      await store.create(newId(), makeRecord({ userId: user, idleExpiresAt: Date.now() + LIVE_MS }));
      expect(await store.listByUser(user)).toHaveLength(1);
      await sleep(PAST_DEADLINE_MS);
      expect(await store.listByUser(user)).toEqual([]);
    },
  },

  'user-index/delete-all': {
    title: "deletes all of a user's records and no one else's",
    needs: 'userIndex',
    async run({ store }) {
      const user = newUserId();
      const other = newId();
      const mine = [newId(), newId(), newId()];
      for (const id of mine) await store.create(id, makeRecord({ userId: user }));
      await store.create(other, makeRecord({ userId: newUserId() }));
      expect(await store.deleteByUser(user)).toBe(3);
      for (const id of mine) expect(await store.get(id)).toBeNull();
      expect(await store.get(other)).not.toBeNull();
      expect(await store.listByUser(user)).toEqual([]);
    },
  },

  'user-index/delete-all-except-one': {
    title: "deletes all of a user's records except one",
    needs: 'userIndex',
    async run({ store }) {
      const user = newUserId();
      const [keep, a, b] = [newId(), newId(), newId()];
      for (const id of [keep, a, b]) await store.create(id, makeRecord({ userId: user }));
      expect(await store.deleteByUser(user, { exceptId: keep })).toBe(2);
      expect(await store.get(keep)).not.toBeNull();
      expect(await store.get(a)).toBeNull();
      expect((await store.listByUser(user)).map((s) => s.id)).toEqual([keep]);
    },
  },

  'user-index/delete-unknown-user': {
    title: 'returns 0 for a user without sessions',
    needs: 'userIndex',
    async run({ store }) {
      expect(await store.deleteByUser(newUserId())).toBe(0);
    },
  },

  'user-index/replace-changes-user': {
    title: 'indexes a record under its new user when a replace changes the user',
    needs: 'userIndex',
    async run({ store }) {
      const [before, after] = [newUserId(), newUserId()];
      const id = newId();
      await store.create(id, makeRecord({ userId: before }));
      expect(await store.replace(id, { ...makeRecord({ userId: after }), version: 2 }, 1)).toBe(true);
      expect(await store.listByUser(before)).toEqual([]);
      expect((await store.listByUser(after)).map((s) => s.id)).toEqual([id]);
    },
  },

  'user-index/exact-user-ids': {
    title: 'treats user ids that differ only by trailing spaces or case as different users',
    needs: 'userIndex',
    async run({ store }) {
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
    },
  },
} satisfies CaseTable;
