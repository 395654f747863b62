import { describe, expect, it } from 'vitest';
import { createSessions, MemoryStore, type Session, type SessionStore, type Sessions } from '../src/index.js';
import { sessionIdOf } from '../src/testing.js';
import { clock, cookieOf, SECRET } from './helpers.js';

type Method = 'create' | 'get' | 'replace' | 'delete' | 'listByUser';

/**
 * A MemoryStore whose next call of a method first runs `interleave()`: another request's work landing at
 * exactly that point of this one. Each hook runs once.
 */
function interleaving() {
  const time = clock();
  const memory = new MemoryStore({ now: time.now });
  const hooks: Array<{ method: Method; when: (args: unknown[]) => boolean; run: () => Promise<void> }> = [];
  const store = new Proxy(memory, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const index = hooks.findIndex((hook) => hook.method === property && hook.when(args));
        if (index >= 0) await hooks.splice(index, 1)[0]?.run();
        return value.apply(target, args);
      };
    },
  }) as SessionStore;
  const options = { store, secrets: [SECRET], now: time.now };
  return {
    memory,
    /** Two managers on one store: this request's, and another process's. */
    mine: createSessions(options),
    theirs: createSessions(options),
    /** Before the next `method` call (whose arguments pass `when`), runs `run`. */
    before(method: Method, run: () => Promise<void>, when: (args: unknown[]) => boolean = () => true) {
      hooks.push({ method, when, run });
    },
  };
}

async function loggedIn(sessions: Sessions, userId: string, data: Record<string, unknown> = {}) {
  const session = await sessions.load({});
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  await session.login(userId);
  return cookieOf((await sessions.commit(session)).headers) as string;
}

async function regenerated(sessions: Sessions, session: Session): Promise<string | undefined> {
  await session.regenerate();
  return cookieOf((await sessions.commit(session)).headers);
}

/** A replace that turns a record into a moved marker: a move's compare-and-set. */
const retiring = (args: unknown[]) =>
  typeof (args[1] as { data?: Record<string, unknown> }).data?.__moved === 'string';

describe('a move (regenerate, login) against an end (logout, revoke) in another process', () => {
  it('revokeAll between the read and the create: the regenerated session is never issued', async () => {
    const t = interleaving();
    const stolen = await t.mine.load({ cookie: await loggedIn(t.mine, 'ada') });
    t.before('create', async () => void (await t.theirs.revokeAll('ada')));
    expect(await regenerated(t.mine, stolen)).toBeUndefined();
    expect(stolen.userId).toBeNull();
    expect(await t.theirs.listForUser('ada')).toEqual([]);
  });

  it('revokeAll between the create and the retirement: the new record is deleted again', async () => {
    const t = interleaving();
    const stolen = await t.mine.load({ cookie: await loggedIn(t.mine, 'ada') });
    t.before('replace', async () => void (await t.theirs.revokeAll('ada')), retiring);
    expect(await regenerated(t.mine, stolen)).toBeUndefined();
    expect(await t.theirs.listForUser('ada')).toEqual([]);
    expect(t.memory.size).toBe(0);
  });

  it('revokeAll listing before the move and ending after it follows the move to the new record', async () => {
    const t = interleaving();
    const cookie = await loggedIn(t.mine, 'ada');
    let moved: string | undefined;
    // Their listing has read the old record; this request's regenerate then completes before they end it.
    t.before('replace', async () => {
      moved = await regenerated(t.mine, await t.mine.load({ cookie }));
    });
    expect(await t.theirs.revokeAll('ada')).toBe(1);
    expect(moved).toBeDefined();
    expect((await t.mine.load({ cookie: moved })).userId).toBeNull();
  });

  it('a logout loaded before a regenerate in another request follows it to the new token', async () => {
    const t = interleaving();
    const cookie = await loggedIn(t.mine, 'ada');
    const logout = await t.theirs.load({ cookie });
    const moved = await regenerated(t.mine, await t.mine.load({ cookie }));
    await logout.destroy();
    expect((await t.mine.load({ cookie: moved })).isNew).toBe(true);
  });

  it('a logout between the retirement and the check for an end: the move undoes itself', async () => {
    const t = interleaving();
    const cookie = await loggedIn(t.mine, 'ada');
    const logout = await t.theirs.load({ cookie });
    const session = await t.mine.load({ cookie });
    // The move's check for an end is its first get after the retirement.
    t.before('replace', async () => t.before('get', () => logout.destroy()), retiring);
    expect(await regenerated(t.mine, session)).toBeUndefined();
    expect(session.userId).toBeNull();
    expect(await t.mine.listForUser('ada')).toEqual([]);
  });

  it('a save from another process during a regenerate is carried into the new record', async () => {
    const t = interleaving();
    const cookie = await loggedIn(t.mine, 'ada', { cart: ['apple'] });
    const other = await t.theirs.load({ cookie });
    other.update((data) => ({ ...data, cart: [...((data.cart as string[]) ?? []), 'pear'] }));
    const session = await t.mine.load({ cookie });
    t.before('create', async () => void (await t.theirs.commit(other)));
    const moved = await regenerated(t.mine, session);
    expect((await t.mine.load({ cookie: moved })).get('cart')).toEqual(['apple', 'pear']);
    expect((await t.mine.load({ cookie })).isNew).toBe(true);
  });

  it('revokeAll({ except }) keeps the current session, and its earlier tokens lead to nothing else', async () => {
    const t = interleaving();
    const first = await loggedIn(t.mine, 'ada');
    const current = await t.mine.load({ cookie: first });
    const now = await regenerated(t.mine, current);
    const other = await loggedIn(t.mine, 'ada');
    expect(await t.theirs.revokeAll('ada', { except: current })).toBe(1);
    expect((await t.mine.load({ cookie: now })).userId).toBe('ada');
    expect((await t.mine.load({ cookie: other })).isNew).toBe(true);
  });

  it('ending a session does not follow a login as another user out of it: that is a new session', async () => {
    const t = interleaving();
    const cookie = await loggedIn(t.mine, 'ada');
    const shared = await t.theirs.load({ cookie });
    const bob = await t.mine.load({ cookie });
    await bob.login('bob');
    const bobCookie = cookieOf((await t.mine.commit(bob)).headers);
    await shared.destroy();
    expect((await t.mine.load({ cookie: bobCookie })).userId).toBe('bob');
  });

  it('an uncontended logout leaves nothing behind; a marker of a move lives at most five minutes', async () => {
    const t = interleaving();
    const session = await t.mine.load({ cookie: await loggedIn(t.mine, 'ada') });
    const oldId = sessionIdOf(session) as string;
    await session.regenerate();
    expect(t.memory.size).toBe(2);
    await session.destroy();
    expect(t.memory.size).toBe(1);
    const marker = await t.memory.get(oldId);
    expect(marker?.absoluteExpiresAt).toBeLessThanOrEqual(Date.UTC(2026, 0, 1) + 5 * 60_000);
  });
});
