import { describe, expect, it } from 'vitest';
import { createSessions, MemoryStore, type SessionRecord } from '../src/index.js';
import { clock, cookieOf, SECRET } from './helpers.js';

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.UTC(2026, 0, 1);
  return {
    data: {},
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    authenticatedAt: null,
    idleExpiresAt: now + 60_000,
    absoluteExpiresAt: now + 120_000,
    version: 1,
    ip: null,
    userAgent: null,
    ...overrides,
  };
}

describe('MemoryStore at its maxSessions cap', () => {
  it('keeps a logged-in user through a flood of 10,000 anonymous sessions', async () => {
    const time = clock();
    const store = new MemoryStore({ now: time.now });
    const sessions = createSessions({ store, secrets: [SECRET], now: time.now });
    const user = await sessions.load({});
    await user.login('ada');
    const cookie = cookieOf((await sessions.commit(user)).headers);

    for (let i = 0; i < 10_000; i++) {
      const visitor = await sessions.load({});
      visitor.set('cart', [i]);
      await sessions.commit(visitor);
    }
    expect(store.size).toBe(10_000);
    expect((await sessions.load({ cookie })).userId).toBe('ada');
  });

  it('evicts the least recently used anonymous session: a read or a touch counts as use', async () => {
    const time = clock();
    const store = new MemoryStore({ maxSessions: 3, now: time.now });
    for (const id of ['read', 'touched', 'idle']) await store.create(id, record());
    await store.get('read');
    await store.touch('touched', { idleExpiresAt: time.now() + 60_000, lastSeenAt: time.now() });
    await store.create('new', record());
    expect(await store.get('idle')).toBeNull();
    expect(await Promise.all(['read', 'touched', 'new'].map((id) => store.get(id)))).not.toContain(null);
  });

  it('evicts a logged-in session only when no anonymous one is left, and one past its deadline first', async () => {
    const time = clock();
    const store = new MemoryStore({ maxSessions: 2, now: time.now });
    await store.create('ada', record({ userId: 'ada' }));
    await store.create('bob', record({ userId: 'bob', idleExpiresAt: time.now() + 1_000 }));
    // Full of logged-in sessions: a new anonymous one takes the place of the least recently used of them.
    await store.create('visitor', record());
    expect(await store.get('ada')).toBeNull();
    expect(await store.get('bob')).not.toBeNull();
    // The newest record is never its own victim; the older anonymous one goes before bob…
    await store.create('visitor-2', record());
    expect(await store.get('visitor')).toBeNull();
    // …unless bob is past his deadline.
    time.advanceSeconds(2);
    await store.create('carol', record({ userId: 'carol', idleExpiresAt: time.now() + 60_000 }));
    expect(store.size).toBe(2);
    expect(await store.get('visitor-2')).not.toBeNull();
    expect(await store.listByUser('bob')).toEqual([]);
  });

  it('forgets an evicted record everywhere: its id, its user index entry', async () => {
    const store = new MemoryStore({ maxSessions: 1, now: clock().now });
    await store.create('a', record({ userId: 'ada' }));
    await store.create('b', record({ userId: 'ada' }));
    expect((await store.listByUser('ada')).map(({ id }) => id)).toEqual(['b']);
    expect(await store.create('a', record())).toBe(true);
  });
});
