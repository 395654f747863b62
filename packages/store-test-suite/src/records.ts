import type { SessionRecord } from '@coatcheck/core/store';
import { expect } from 'vitest';
import type { CaseTable } from './case.js';
import { makeRecord, newId, newUserId } from './fixtures.js';

/** Writing, reading and deleting one record: what every backend must keep exactly. */
export const recordCases = {
  'records/create-if-absent': {
    title: 'creates a record only if the id is absent',
    async run({ store }) {
      const id = newId();
      expect(await store.create(id, makeRecord({ data: { n: 1 } }))).toBe(true);
      expect(await store.create(id, makeRecord({ data: { n: 2 } }))).toBe(false);
      expect((await store.get(id))?.data).toEqual({ n: 1 });
    },
  },

  'records/unknown-id': {
    title: 'reads an unknown id as null',
    async run({ store }) {
      expect(await store.get(newId())).toBeNull();
    },
  },

  'records/every-field': {
    title: 'round-trips every field of the record',
    async run({ store }) {
      const id = newId();
      const record = makeRecord({
        userId: newUserId(),
        authenticatedAt: Date.now() - 5_000,
        ip: '2001:db8::1',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) conformance',
        data: { nested: { list: [1, 'two', null, true], empty: {} }, zero: 0, no: false },
      });
      await store.create(id, record);
      expect(await store.get(id)).toEqual(record);
    },
  },

  'records/null-metadata': {
    title: 'round-trips null metadata',
    async run({ store }) {
      const id = newId();
      const record = makeRecord({ ip: null, userAgent: null, authenticatedAt: null, userId: null });
      await store.create(id, record);
      expect(await store.get(id)).toEqual(record);
    },
  },

  'records/unicode-and-large-values': {
    title: 'keeps unicode and large values intact',
    async run({ store }) {
      const id = newId();
      const unicode = 'añ 中文 🧥🎟️ \u0000 \u2028 "quoted" \\ \'';
      const large = 'x'.repeat(256 * 1024);
      await store.create(id, makeRecord({ data: { unicode, large, [unicode]: 'key' } }));
      const read = await store.get(id);
      expect(read?.data.unicode).toBe(unicode);
      expect(read?.data.large).toBe(large);
      expect(read?.data[unicode]).toBe('key');
    },
  },

  'records/independent-copies': {
    title: 'returns independent copies: changing a read record does not change the store',
    async run({ store }) {
      const id = newId();
      await store.create(id, makeRecord({ data: { list: [1] } }));
      const read = (await store.get(id)) as SessionRecord;
      (read.data.list as number[]).push(2);
      expect((await store.get(id))?.data.list).toEqual([1]);
    },
  },

  'records/delete-one': {
    title: 'deletes one record and leaves the others',
    async run({ store }) {
      const [a, b] = [newId(), newId()];
      await store.create(a, makeRecord());
      await store.create(b, makeRecord());
      await store.delete(a);
      expect(await store.get(a)).toBeNull();
      expect(await store.get(b)).not.toBeNull();
    },
  },

  'records/delete-missing': {
    title: 'treats deleting a missing record as success',
    async run({ store }) {
      await expect(store.delete(newId())).resolves.toBeUndefined();
    },
  },
} satisfies CaseTable;
