import { describe, expect, it, vi } from 'vitest';
import { createSessions, MemoryStore, type SessionEvent, storeIdOf } from '../src/index.js';
import { sessionIdOf } from '../src/testing.js';
import { cookieOf, OLD_SECRET, SECRET, setCookieOf, setup } from './helpers.js';

/** Counts every store call, to prove which requests write. */
function counting() {
  const calls: string[] = [];
  const wrapStore = (store: MemoryStore) => countingProxy(store, calls);
  return { wrapStore, calls, writes: () => calls.filter((c) => c !== 'get' && c !== 'listByUser') };
}

function countingProxy(store: MemoryStore, calls: string[]) {
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  return proxy;
}

describe('lazy sessions', () => {
  it('gives a visitor whose session is never written no record and no cookie', async () => {
    const { sessions, store } = setup();
    const session = await sessions.load({});
    expect(session.isNew).toBe(true);
    expect(session.get('anything')).toBeUndefined();
    expect((await sessions.commit(session)).headers).toEqual([]);
    expect((store as MemoryStore).size).toBe(0);
  });

  it('creates the record and sets the cookie on the first write', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('theme', 'dark');
    const { headers } = await sessions.commit(session);
    const again = await sessions.load({ cookie: cookieOf(headers) });
    expect(again.isNew).toBe(false);
    expect(again.get('theme')).toBe('dark');
  });
});

describe('tokens and cookies', () => {
  it('stores the SHA-256 of the token, never the token', async () => {
    const { sessions, store } = setup();
    const session = await sessions.load({});
    session.set('n', 1);
    const cookie = cookieOf((await sessions.commit(session)).headers) as string;
    const token = cookie.split('=')[1]?.split('.')[0] as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.get(token)).toBeNull();
    expect(await store.get(await storeIdOf(token))).not.toBeNull();
  });

  it('issues a different 256-bit token for every session', async () => {
    const { sessions } = setup();
    const tokens = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const session = await sessions.load({});
      session.set('i', i);
      tokens.add(cookieOf((await sessions.commit(session)).headers) as string);
    }
    expect(tokens.size).toBe(50);
  });

  it('sets a Secure, HttpOnly, SameSite=Lax cookie on Path=/ with no-store caching by default', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('n', 1);
    const { headers } = await sessions.commit(session);
    const setCookie = setCookieOf(headers) as string;
    expect(setCookie).toMatch(
      /^__Host-coatcheck=[^;]+; Path=\/; Max-Age=604800; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(headers).toContainEqual(['Cache-Control', 'no-store']);
  });

  it.each([
    ['tampered signature', (c: string) => `${c.slice(0, -2)}xx`],
    [
      'tampered token',
      (c: string) => {
        const at = c.indexOf('=') + 10;
        return c.slice(0, at) + (c[at] === 'A' ? 'B' : 'A') + c.slice(at + 1);
      },
    ],
    ['no signature', (c: string) => c.split('.')[0] as string],
    ['garbage', () => '__Host-coatcheck=%%%;;;'],
    ['empty', () => '__Host-coatcheck='],
    ['huge', () => `__Host-coatcheck=${'a'.repeat(10_000)}.${'b'.repeat(43)}`],
  ])('treats a %s cookie as no session, without an error, and clears it', async (_, tamper) => {
    const { sessions } = setup();
    const events: SessionEvent[] = [];
    sessions.on('invalid-cookie', (event) => void events.push(event));
    const first = await sessions.load({});
    first.set('secret', 'value');
    const cookie = cookieOf((await sessions.commit(first)).headers) as string;
    const session = await sessions.load({ cookie: tamper(cookie) });
    expect(session.isNew).toBe(true);
    expect(session.get('secret')).toBeUndefined();
    expect(setCookieOf((await sessions.commit(session)).headers)).toMatch(
      /^__Host-coatcheck=; Path=\/; Max-Age=0/,
    );
    expect(events).toHaveLength(1);
  });

  it('refuses a well-signed cookie for a session the server never stored', async () => {
    const other = setup();
    const forged = await other.sessions.load({});
    forged.set('x', 1);
    const cookie = cookieOf((await other.sessions.commit(forged)).headers);
    const { sessions } = setup(); // same secret, different store
    const session = await sessions.load({ cookie });
    expect(session.isNew).toBe(true);
    session.set('y', 2);
    const { headers } = await sessions.commit(session);
    expect(cookieOf(headers)).not.toBe(cookie); // never adopts the presented token
  });

  it('rotates keys: a cookie signed with an old secret is accepted and re-issued under the new one', async () => {
    const store = new MemoryStore();
    const before = createSessions({ store, secrets: [OLD_SECRET] });
    const first = await before.load({});
    first.set('kept', true);
    const oldCookie = cookieOf((await before.commit(first)).headers) as string;

    const after = createSessions({ store, secrets: [SECRET, OLD_SECRET] });
    const session = await after.load({ cookie: oldCookie });
    expect(session.get('kept')).toBe(true);
    const reissued = cookieOf((await after.commit(session)).headers) as string;
    expect(reissued).not.toBe(oldCookie);
    expect(reissued.split('.')[0]).toBe(oldCookie.split('.')[0]); // same token, new signature

    const currentOnly = createSessions({ store, secrets: [SECRET] });
    expect((await currentOnly.load({ cookie: reissued })).get('kept')).toBe(true);
    expect((await currentOnly.load({ cookie: oldCookie })).isNew).toBe(true);
  });

  it('checks every signature against the key ring, however often the token was seen with a valid one', async () => {
    const store = new MemoryStore();
    const before = createSessions({ store, secrets: [OLD_SECRET] });
    const first = await before.load({});
    first.set('kept', true);
    const oldCookie = cookieOf((await before.commit(first)).headers) as string;
    const sessions = createSessions({ store, secrets: [SECRET, OLD_SECRET] });
    const [name, value] = oldCookie.split('=') as [string, string];
    const [token, signature] = value.split('.') as [string, string];
    const altered = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    for (let round = 0; round < 3; round++) {
      // Still signed by the old key each time, so still re-issued each time.
      const session = await sessions.load({ cookie: oldCookie });
      expect(session.get('kept')).toBe(true);
      expect(cookieOf((await sessions.commit(session)).headers)).toBeDefined();
      expect((await sessions.load({ cookie: `${name}=${token}.${altered}` })).isNew).toBe(true);
      expect((await sessions.load({ cookie: `${name}=${token}.` })).isNew).toBe(true);
    }
  });

  it('skips values that do not verify when several cookies share the name', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('mine', true);
    const real = cookieOf((await sessions.commit(session)).headers) as string;
    const planted = `__Host-coatcheck=${'A'.repeat(43)}.${'B'.repeat(43)}`;
    expect((await sessions.load({ cookie: `${planted}; ${real}` })).get('mine')).toBe(true);
  });

  it('reads the store at most four times for a header that repeats session cookies, whatever their number', async () => {
    const { wrapStore, calls } = counting();
    const sessions = createSessions({ store: wrapStore(new MemoryStore()), secrets: [SECRET] });
    const gone = await sessions.load({});
    gone.set('x', 1);
    const loggedOut = cookieOf((await sessions.commit(gone)).headers) as string;
    await gone.destroy();
    const others = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const other = await sessions.load({});
        other.set('x', 1);
        const cookie = cookieOf((await sessions.commit(other)).headers) as string;
        await other.destroy();
        return cookie;
      }),
    );
    calls.length = 0;
    // 150 copies of one correctly signed, logged-out cookie: one read.
    expect((await sessions.load({ cookie: Array(150).fill(loggedOut).join('; ') })).isNew).toBe(true);
    expect(calls.filter((c) => c === 'get')).toHaveLength(1);
    calls.length = 0;
    // Seven distinct ones: only the first four are tried.
    expect((await sessions.load({ cookie: [loggedOut, ...others].join('; ') })).isNew).toBe(true);
    expect(calls.filter((c) => c === 'get')).toHaveLength(4);
  });

  it('prefers a cookie whose session exists over a stale one listed first, and clears neither', async () => {
    const { sessions } = setup();
    const stale = await sessions.load({});
    stale.set('old', true);
    const staleCookie = cookieOf((await sessions.commit(stale)).headers) as string;
    await stale.destroy();
    const live = await sessions.load({});
    live.set('mine', true);
    const liveCookie = cookieOf((await sessions.commit(live)).headers) as string;
    const session = await sessions.load({ cookie: `${staleCookie}; ${liveCookie}` });
    expect(session.get('mine')).toBe(true);
    expect((await sessions.commit(session)).headers).toEqual([]);
  });

  it('uses the safe __Host- name by default, and a plain name where the prefix cannot apply', async () => {
    expect(setup().sessions.cookie.name).toBe('__Host-coatcheck');
    expect(setup({ cookie: { secure: false } }).sessions.cookie.name).toBe('coatcheck');
    expect(setup({ cookie: { domain: 'example.com' } }).sessions.cookie.name).toBe('coatcheck');
  });

  it('does not trim U+00A0, so a look-alike cookie name is a different cookie', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('mine', true);
    const value = (cookieOf((await sessions.commit(session)).headers) as string).split('=')[1];
    expect((await sessions.load({ cookie: `\u00a0coatcheck=${value}` })).isNew).toBe(true);
    expect((await sessions.load({ cookie: `other=1;  __Host-coatcheck=${value}` })).get('mine')).toBe(true);
  });
});

describe('writes only when something changed', () => {
  it('does no store write for a request that reads and changes nothing', async () => {
    const counter = counting();
    const { sessions, time } = setup({ wrapStore: counter.wrapStore });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    counter.calls.length = 0;
    for (let i = 0; i < 20; i++) {
      time.advanceSeconds(1);
      const session = await sessions.load({ cookie });
      session.get('n');
      expect((await sessions.commit(session)).headers).toEqual([]);
    }
    expect(counter.writes()).toEqual([]);
    expect(counter.calls.filter((c) => c === 'get')).toHaveLength(20);
  });

  it('touches once per touch interval for a busy user, without rewriting data', async () => {
    const counter = counting();
    const { sessions, time } = setup({ wrapStore: counter.wrapStore, touchIntervalSeconds: 60 });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    counter.calls.length = 0;
    for (let second = 0; second < 300; second += 5) {
      time.advanceSeconds(5);
      await sessions.commit(await sessions.load({ cookie }));
    }
    expect(counter.writes()).toEqual(['touch', 'touch', 'touch', 'touch', 'touch']);
  });

  it('slides the idle deadline with each touch', async () => {
    const { sessions, time } = setup({ idleTimeoutSeconds: 600, touchIntervalSeconds: 60 });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    for (let i = 0; i < 10; i++) {
      time.advanceSeconds(300);
      const session = await sessions.load({ cookie });
      expect(session.get('n')).toBe(1);
      await sessions.commit(session);
    }
  });
});

describe('timeouts', () => {
  /** A session written once, and a request that reads it `seconds` after the previous one. */
  async function activeSession(options: Parameters<typeof setup>[0]) {
    const counter = counting();
    const { sessions, time } = setup({ wrapStore: counter.wrapStore, ...options });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    counter.calls.length = 0;
    const requestAfter = async (seconds: number) => {
      time.advanceSeconds(seconds);
      const session = await sessions.load({ cookie });
      await sessions.commit(session);
      return !session.isNew;
    };
    return { requestAfter, touches: () => counter.writes().filter((call) => call === 'touch').length };
  }

  it('takes a tenth of a short idle timeout as the default touch interval', async () => {
    // Idle 30 s: touches are due once the deadline would move by 3 s, so requests every 2 s touch on
    // every second one, and the session outlives its idle timeout many times over.
    const { requestAfter, touches } = await activeSession({ idleTimeoutSeconds: 30 });
    for (let second = 2; second <= 120; second += 2)
      expect(await requestAfter(2), `at ${second} s`).toBe(true);
    expect(touches()).toBe(30);
    expect(await requestAfter(29)).toBe(true);
    expect(await requestAfter(30.1)).toBe(false);
  });

  it('works with an idle timeout of 3 s: alive while used every second, ended after 3 s idle', async () => {
    const { requestAfter, touches } = await activeSession({ idleTimeoutSeconds: 3 });
    for (let second = 1; second <= 10; second++) expect(await requestAfter(1), `at ${second} s`).toBe(true);
    // The 0.3 s interval: every request a second apart touches.
    expect(touches()).toBe(10);
    expect(await requestAfter(0.2)).toBe(true); // deadline moved by 0.2 s: no touch due
    expect(touches()).toBe(10);
    // Even measured from that untouched request, the session lasts more than 3 s - 0.3 s idle.
    expect(await requestAfter(2.75)).toBe(true);
    expect(await requestAfter(3.01)).toBe(false);
  });

  it('keeps the old one-minute touch interval for idle timeouts of 10 minutes and more', async () => {
    const { requestAfter, touches } = await activeSession({ idleTimeoutSeconds: 600 });
    // Requests 59 s apart: a touch is due on every second one, when the deadline would move by 118 s.
    for (let request = 0; request < 10; request++) expect(await requestAfter(59)).toBe(true);
    expect(touches()).toBe(5);
  });

  it('gives an unset idle timeout the absolute one when that is shorter', async () => {
    const { requestAfter } = await activeSession({ absoluteTimeoutSeconds: 7 });
    expect(await requestAfter(6.5)).toBe(true);
    expect(await requestAfter(0.6)).toBe(false);
  });

  it('ends a session after the idle timeout, on the server, whatever the cookie says', async () => {
    const { sessions, time, store } = setup({ idleTimeoutSeconds: 600 });
    const expired: SessionEvent[] = [];
    sessions.on('expired', (e) => void expired.push(e));
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    time.advanceSeconds(601);
    const session = await sessions.load({ cookie });
    expect(session.isNew).toBe(true);
    expect((await sessions.commit(session)).headers).toEqual([]);
    expect((store as MemoryStore).size).toBe(0);
    // The cookie's own lifetime was 7 days: irrelevant.
    time.advanceSeconds(-300);
    expect((await sessions.load({ cookie })).isNew).toBe(true);
  });

  it('ends a session at the absolute timeout however active it is', async () => {
    const { sessions, time } = setup({ idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600 });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    let alive = 0;
    for (let i = 0; i < 20; i++) {
      time.advanceSeconds(299);
      const session = await sessions.load({ cookie });
      if (session.isNew) break;
      alive += 299;
      session.set('n', i);
      await sessions.commit(session);
    }
    expect(alive).toBeLessThan(3600);
    expect(alive).toBeGreaterThanOrEqual(3600 - 299);
  });

  it('reports an absolute-timeout expiry to listeners when the store still returns the record', async () => {
    const time = { now: Date.UTC(2026, 0, 1) };
    // A store that never expires anything, to prove core enforces deadlines itself.
    const inner = new MemoryStore({ now: () => 0 });
    const sessions = createSessions({
      store: inner,
      secrets: [SECRET],
      now: () => time.now,
      absoluteTimeoutSeconds: 3600,
      idleTimeoutSeconds: 3600,
    });
    const events: SessionEvent[] = [];
    sessions.on('expired', (e) => void events.push(e));
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    time.now += 3600 * 1000;
    expect((await sessions.load({ cookie })).isNew).toBe(true);
    expect(events.map((e) => e.reason)).toEqual(['absolute-timeout']);
  });

  it('tells whether the login is fresh', async () => {
    const { sessions, time } = setup({ freshnessSeconds: 300 });
    const session = await sessions.load({});
    expect(session.isFresh()).toBe(false);
    await session.login('alice');
    expect(session.isFresh()).toBe(true);
    const cookie = cookieOf((await sessions.commit(session)).headers);
    time.advanceSeconds(301);
    const later = await sessions.load({ cookie });
    expect(later.isFresh()).toBe(false);
    expect(later.isFresh(600)).toBe(true);
  });
});

describe('login, regenerate, destroy', () => {
  it('login issues a new token, retires the old record and keeps the data', async () => {
    const { sessions, store } = setup();
    const anonymous = await sessions.load({});
    anonymous.set('cart', ['apple']);
    const before = cookieOf((await sessions.commit(anonymous)).headers);
    const session = await sessions.load({ cookie: before, ip: '198.51.100.1', userAgent: 'UA' });
    await session.login('alice');
    const after = cookieOf((await sessions.commit(session)).headers);
    expect(after).not.toBe(before);
    expect((await sessions.load({ cookie: before })).isNew).toBe(true);
    const loggedIn = await sessions.load({ cookie: after });
    expect(loggedIn.userId).toBe('alice');
    expect(loggedIn.get('cart')).toEqual(['apple']);
    expect(loggedIn.client).toEqual({ ip: '198.51.100.1', userAgent: 'UA' });
    // The old id holds a marker for a few minutes (moves.ts), with none of the data. A login as a user
    // starts a new session as far as ending the old one goes: the marker points nowhere.
    expect((store as MemoryStore).size).toBe(2);
    const marker = await store.get(sessionIdOf(anonymous) as string);
    expect(marker).toMatchObject({ userId: null, data: { __moved: null } });
    expect(marker?.data).not.toHaveProperty('cart');
  });

  it('writes changes made before login() into the new record, and changes after it in a second write', async () => {
    const writesFor = async (order: 'set, then login' | 'login, then set') => {
      const counter = counting();
      const { sessions } = setup({ wrapStore: counter.wrapStore });
      const anonymous = await sessions.load({});
      anonymous.set('cart', ['apple']);
      const cookie = cookieOf((await sessions.commit(anonymous)).headers);
      counter.calls.length = 0;

      const session = await sessions.load({ cookie });
      if (order === 'set, then login') session.set('theme', 'dark');
      await session.login('alice');
      if (order === 'login, then set') session.set('theme', 'dark');
      const after = cookieOf((await sessions.commit(session)).headers);
      const loggedIn = await sessions.load({ cookie: after });
      expect(loggedIn.data).toEqual({ cart: ['apple'], theme: 'dark' });
      return counter.writes();
    };
    // login() writes at once: the new record (with every change made so far), then the old one retired.
    expect(await writesFor('set, then login')).toEqual(['create', 'replace']);
    // A change after it is a change to the new record, saved by the commit.
    expect(await writesFor('login, then set')).toEqual(['create', 'replace', 'replace']);
  });

  it('login from no session creates a bound session', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    await session.login('bob');
    session.set('greeting', 'hi');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const again = await sessions.load({ cookie });
    expect(again.userId).toBe('bob');
    expect(again.get('greeting')).toBe('hi');
  });

  it('login does not hand a different user the data of a session left logged in', async () => {
    const { sessions } = setup();
    const alice = await sessions.load({});
    await alice.login('alice');
    alice.set('draft', 'alice private note');
    const cookie = cookieOf((await sessions.commit(alice)).headers);
    const shared = await sessions.load({ cookie });
    await shared.login('bob');
    expect(shared.data).toEqual({});
    shared.set('theme', 'dark');
    const bob = await sessions.load({ cookie: cookieOf((await sessions.commit(shared)).headers) });
    expect(bob.data).toEqual({ theme: 'dark' });
  });

  it('regenerate keeps user, data and absolute deadline but changes the token', async () => {
    const { sessions, time } = setup();
    const session = await sessions.load({});
    await session.login('alice');
    const first = cookieOf((await sessions.commit(session)).headers);
    const absolute = session.absoluteExpiresAt;
    time.advanceSeconds(10);
    const loaded = await sessions.load({ cookie: first });
    await loaded.regenerate();
    const second = cookieOf((await sessions.commit(loaded)).headers);
    expect(second).not.toBe(first);
    expect((await sessions.load({ cookie: first })).isNew).toBe(true);
    const again = await sessions.load({ cookie: second });
    expect(again.userId).toBe('alice');
    expect(again.absoluteExpiresAt).toBe(absolute);
  });

  it('regenerate never re-issues a session revoked while its request was in flight', async () => {
    const { sessions } = setup();
    const first = await sessions.load({});
    await first.login('alice');
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const inFlight = await sessions.load({ cookie });
    expect(await sessions.revokeAll('alice')).toBe(1);
    await inFlight.regenerate();
    const { headers } = await sessions.commit(inFlight);
    expect(setCookieOf(headers)).toBeUndefined();
    expect(inFlight.userId).toBeNull();
    expect(await sessions.listForUser('alice')).toEqual([]);
  });

  it('destroy deletes the record, clears the cookie, and the replayed cookie is refused', async () => {
    const { sessions, store } = setup();
    const session = await sessions.load({});
    await session.login('alice');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const loaded = await sessions.load({ cookie });
    await loaded.destroy();
    expect(setCookieOf((await sessions.commit(loaded)).headers)).toMatch(/^__Host-coatcheck=; .*Max-Age=0/);
    expect((store as MemoryStore).size).toBe(0);
    expect((await sessions.load({ cookie })).isNew).toBe(true);
  });

  it('keeps a flash set after logout in a new anonymous session', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    await session.login('alice');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const loaded = await sessions.load({ cookie });
    await loaded.destroy();
    loaded.flash('notice', 'Signed out');
    const next = cookieOf((await sessions.commit(loaded)).headers);
    expect(next).not.toBe(cookie);
    const after = await sessions.load({ cookie: next });
    expect(after.userId).toBeNull();
    expect(after.consumeFlash('notice')).toEqual(['Signed out']);
  });
});

describe('per-user sessions', () => {
  async function loginDevices(
    sessions: ReturnType<typeof setup>['sessions'],
    userId: string,
    count: number,
    time?: ReturnType<typeof setup>['time'],
  ) {
    const cookies: string[] = [];
    for (let i = 0; i < count; i++) {
      time?.advanceSeconds(1);
      const session = await sessions.load({ userAgent: `device-${i}`, ip: `192.0.2.${i}` });
      await session.login(userId);
      cookies.push(cookieOf((await sessions.commit(session)).headers) as string);
    }
    return cookies;
  }

  it("lists a user's sessions with a public handle, marking the current one", async () => {
    const { sessions } = setup();
    const cookies = await loginDevices(sessions, 'alice', 3);
    await loginDevices(sessions, 'bob', 1);
    const current = await sessions.load({ cookie: cookies[1] });
    const list = await sessions.listForUser('alice', current);
    expect(list).toHaveLength(3);
    expect(list.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['device-1']);
    for (const info of list) {
      expect(info.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
      for (const cookie of cookies) expect(cookie).not.toContain(info.handle);
    }
  });

  it('revokes one session by handle, only within the same user', async () => {
    const { sessions } = setup();
    const cookies = await loginDevices(sessions, 'alice', 2);
    const [mallory] = await loginDevices(sessions, 'mallory', 1);
    const list = await sessions.listForUser('alice');
    const target = list.find((s) => s.userAgent === 'device-0');
    expect(await sessions.revoke('mallory', target?.handle as string)).toBe(false);
    expect(await sessions.revoke('alice', target?.handle as string)).toBe(true);
    expect((await sessions.load({ cookie: cookies[0] })).isNew).toBe(true);
    expect((await sessions.load({ cookie: cookies[1] })).userId).toBe('alice');
    expect((await sessions.load({ cookie: mallory })).userId).toBe('mallory');
  });

  it('logs out everywhere else, and everywhere', async () => {
    const { sessions } = setup();
    const revoked: SessionEvent[] = [];
    sessions.on('revoked', (e) => void revoked.push(e));
    const cookies = await loginDevices(sessions, 'alice', 3);
    const current = await sessions.load({ cookie: cookies[2] });
    expect(await sessions.revokeAll('alice', { except: current })).toBe(2);
    expect((await sessions.load({ cookie: cookies[0] })).isNew).toBe(true);
    expect((await sessions.load({ cookie: cookies[2] })).userId).toBe('alice');
    expect(revoked).toHaveLength(2);
    expect(await sessions.revokeAll('alice')).toBe(1);
    expect((await sessions.load({ cookie: cookies[2] })).isNew).toBe(true);
  });

  it('keeps one session when two logins race under maxSessionsPerUser: 1', async () => {
    const { sessions } = setup({ maxSessionsPerUser: 1 });
    const [a, b] = await Promise.all([sessions.load({}), sessions.load({})]);
    await Promise.all([a.login('alice'), b.login('alice')]);
    const cookies = [
      cookieOf((await sessions.commit(a)).headers),
      cookieOf((await sessions.commit(b)).headers),
    ];
    expect(await sessions.listForUser('alice')).toHaveLength(1);
    const alive = await Promise.all(cookies.map(async (cookie) => (await sessions.load({ cookie })).userId));
    expect(alive.filter((user) => user === 'alice')).toHaveLength(1);
  });

  it('refuses user ids that are not non-empty strings, so no operator object reaches a store query', async () => {
    const { sessions } = setup();
    for (const userId of [{ $ne: 'x' }, '', 42]) {
      await expect(sessions.listForUser(userId as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(sessions.revokeAll(userId as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(sessions.revoke(userId as never, 'h')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('rejects, never throws, when the current or except session is not one from sessions.load()', async () => {
    const { sessions } = setup();
    for (const call of [
      () => sessions.listForUser('alice', {} as never),
      () => sessions.revokeAll('alice', { except: {} as never }),
      () => sessions.revokeAll('alice', null as never),
    ]) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call();
      }).not.toThrow();
      await expect(pending).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('evicts the oldest sessions beyond maxSessionsPerUser', async () => {
    const { sessions, time } = setup({ maxSessionsPerUser: 2 });
    const cookies = await loginDevices(sessions, 'alice', 4, time);
    expect((await sessions.listForUser('alice')).map((s) => s.userAgent).sort()).toEqual([
      'device-2',
      'device-3',
    ]);
    expect((await sessions.load({ cookie: cookies[0] })).isNew).toBe(true);
    expect((await sessions.load({ cookie: cookies[3] })).userId).toBe('alice');
  });
});

describe('no lost updates', () => {
  it.each(['creating', 'saving'] as const)(
    'keeps a change made while the session is %s, for the next save',
    async (phase) => {
      // A store whose writes take a while, so the change below lands while one is in flight.
      const slowWrites = (store: MemoryStore) =>
        new Proxy(store, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver);
            if (property !== 'create' && property !== 'replace') return value;
            return async (...args: unknown[]) => {
              await new Promise((resolve) => setTimeout(resolve, 20));
              return value.apply(target, args);
            };
          },
        });
      const { sessions } = setup({ wrapStore: slowWrites });
      let session = await sessions.load({});
      let cookie: string | undefined;
      if (phase === 'saving') {
        session.set('first', 0);
        cookie = cookieOf((await sessions.commit(session)).headers);
        session = await sessions.load({ cookie });
      }
      session.set('first', 1);
      const inFlight = session.save();
      await new Promise((resolve) => setTimeout(resolve, 5));
      session.set('second', 2); // while the write is on its way to the store
      await inFlight;
      expect(session.data).toEqual({ first: 1, second: 2 });
      expect(session.isDirty).toBe(true);
      cookie = cookieOf((await sessions.commit(session)).headers) ?? cookie;
      const reloaded = await sessions.load({ cookie });
      expect(reloaded.data).toEqual({ first: 1, second: 2 });
    },
  );

  it('keeps both changes when concurrent requests change different keys', async () => {
    const { sessions } = setup();
    const first = await sessions.load({});
    first.set('a', 0);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const [one, two] = await Promise.all([sessions.load({ cookie }), sessions.load({ cookie })]);
    one?.set('a', 1);
    two?.set('b', 2);
    await Promise.all([sessions.commit(one!), sessions.commit(two!)]);
    expect((await sessions.load({ cookie })).data).toEqual({ a: 1, b: 2 });
  });

  it('re-runs update() on the latest data, so 50 concurrent appends all land', async () => {
    const { sessions } = setup();
    const first = await sessions.load({});
    first.set('cart', []);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const loaded = await Promise.all(Array.from({ length: 50 }, () => sessions.load({ cookie })));
    await Promise.all(
      loaded.map((session, i) => {
        session.update((data) => ({ ...data, cart: [...(data.cart as number[]), i] }));
        return sessions.commit(session);
      }),
    );
    const cart = (await sessions.load({ cookie })).get('cart') as number[];
    expect([...cart].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('saves concurrent changes to one session from one process without a conflict, a re-read or a write each', async () => {
    const { wrapStore, calls } = counting();
    const sessions = createSessions({ store: wrapStore(new MemoryStore()), secrets: [SECRET] });
    const retried: SessionEvent[] = [];
    sessions.on('conflict-retried', (e) => void retried.push(e));
    const first = await sessions.load({});
    first.set('cart', []);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    // Every request loaded the same version, as when 16 connections share one hot session.
    const loaded = await Promise.all(Array.from({ length: 30 }, () => sessions.load({ cookie })));
    calls.length = 0;
    await Promise.all(
      loaded.map((session, i) => {
        session.update((data) => ({ ...data, cart: [...(data.cart as number[]), i] }));
        return sessions.commit(session);
      }),
    );
    const cart = (await sessions.load({ cookie })).get('cart') as number[];
    expect([...cart].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(retried).toEqual([]);
    // All 30 saves were waiting before the first write began, so they share it.
    expect(calls.filter((c) => c === 'replace')).toEqual(['replace']);
    expect(calls.filter((c) => c === 'get')).toEqual(['get']); // the final load above
    // Each request's session now shows what was written, the others' changes included.
    expect(loaded[3]?.get('cart')).toHaveLength(30);
  });

  it('keeps a change made during a shared write pending for the next save', async () => {
    const store = new MemoryStore();
    let writing: (() => void) | undefined;
    const gated = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'replace') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<MemoryStore['replace']>) => {
          writing?.();
          return target.replace(...args);
        };
      },
    });
    const sessions = createSessions({ store: gated, secrets: [SECRET] });
    const first = await sessions.load({});
    first.set('cart', []);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const [a, b] = await Promise.all([sessions.load({ cookie }), sessions.load({ cookie })]);
    a?.update((data) => ({ cart: [...(data.cart as string[]), 'a'] }));
    b?.update((data) => ({ cart: [...(data.cart as string[]), 'b'] }));
    writing = () => {
      writing = undefined;
      b?.set('late', true);
    };
    await Promise.all([a?.save(), b?.save()]);
    expect(b?.isDirty).toBe(true);
    expect(b?.get('late')).toBe(true);
    expect(a?.get('late')).toBeUndefined();
    await b?.save();
    const latest = await sessions.load({ cookie });
    expect(latest.get('late')).toBe(true);
    expect([...(latest.get('cart') as string[])].sort()).toEqual(['a', 'b']);
  });

  it('loses no append between two processes sharing one store (no in-process queue to help)', async () => {
    const store = new MemoryStore();
    const processes = [
      createSessions({ store, secrets: [SECRET] }),
      createSessions({ store, secrets: [SECRET] }),
    ];
    const first = await processes[0]!.load({});
    first.set('log', []);
    const cookie = cookieOf((await processes[0]!.commit(first)).headers);
    const retried: SessionEvent[] = [];
    for (const p of processes) p.on('conflict-retried', (e) => void retried.push(e));
    const loaded = await Promise.all(
      Array.from({ length: 20 }, (_, i) => processes[i % 2]!.load({ cookie })),
    );
    await Promise.all(
      loaded.map((session, i) => {
        session.update((data) => ({ log: [...(data.log as number[]), i] }));
        return processes[i % 2]!.commit(session);
      }),
    );
    expect(((await processes[0]!.load({ cookie })).get('log') as number[]).length).toBe(20);
    expect(retried.length).toBeGreaterThan(0);
  });

  it('never resurrects a session destroyed while another request was in flight', async () => {
    const { sessions, store } = setup();
    const first = await sessions.load({});
    await first.login('alice');
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const slow = await sessions.load({ cookie });
    const logout = await sessions.load({ cookie });
    await logout.destroy();
    await sessions.commit(logout);
    slow.set('late', 'write');
    const { headers } = await sessions.commit(slow);
    // No cookie either way: the logout response already cleared it, and a newer login may have set one.
    expect(setCookieOf(headers)).toBeUndefined();
    expect((store as MemoryStore).size).toBe(0);
    expect((await sessions.load({ cookie })).isNew).toBe(true);
  });

  it('carries a concurrent change into the new record at login', async () => {
    const { sessions } = setup();
    const first = await sessions.load({});
    first.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const loggingIn = await sessions.load({ cookie });
    const adding = await sessions.load({ cookie });
    adding.update((d) => ({ ...d, cart: [...(d.cart as string[]), 'pear'] }));
    await sessions.commit(adding);
    await loggingIn.login('alice');
    const after = await sessions.load({ cookie: cookieOf((await sessions.commit(loggingIn)).headers) });
    expect(after.get('cart')).toEqual(['apple', 'pear']);
  });

  it('gives up with CONFLICT_RETRIES_EXHAUSTED when another writer always wins', async () => {
    const store = new MemoryStore();
    const sessions = createSessions({ store, secrets: [SECRET], maxConflictRetries: 2 });
    const first = await sessions.load({});
    first.set('n', 0);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const session = await sessions.load({ cookie });
    session.set('n', 1);
    vi.spyOn(store, 'replace').mockResolvedValue(false);
    await expect(sessions.commit(session)).rejects.toMatchObject({ code: 'CONFLICT_RETRIES_EXHAUSTED' });
  });
});

describe('data', () => {
  it('freezes values so an in-place edit fails loudly instead of being lost', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('cart', ['apple']);
    expect(() => (session.get('cart') as string[]).push('pear')).toThrow(TypeError);
    expect(() => {
      (session.data as Record<string, unknown>).theme = 'dark';
    }).toThrow(TypeError);
  });

  it('refuses values that are not JSON', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    expect(() => session.set('n', 10n)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => session.set('c', circular)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('keeps a JSON copy: changing the object after set() does not change the session', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    const profile = { name: 'Alice' };
    session.set('profile', profile);
    profile.name = 'Mallory';
    expect(session.get('profile')).toEqual({ name: 'Alice' });
  });

  it('shows flash values once', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.flash('notice', 'Saved');
    session.flash('notice', 'Again');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const next = await sessions.load({ cookie });
    expect(next.data).toEqual({});
    expect(next.consumeFlash('notice')).toEqual(['Saved', 'Again']);
    await sessions.commit(next);
    expect((await sessions.load({ cookie })).consumeFlash('notice')).toEqual([]);
  });

  it('unset removes a key', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('a', 1);
    session.set('b', 2);
    session.unset('a');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    expect((await sessions.load({ cookie })).data).toEqual({ b: 2 });
  });
});

describe('events', () => {
  it('reports created, regenerated, destroyed with hashed ids and client details', async () => {
    const { sessions } = setup();
    const events: SessionEvent[] = [];
    sessions.on('*', (e) => void events.push(e));
    const session = await sessions.load({ ip: '192.0.2.1', userAgent: 'UA' });
    session.set('n', 1);
    const cookie = cookieOf((await sessions.commit(session)).headers) as string;
    const loaded = await sessions.load({ cookie, ip: '192.0.2.1', userAgent: 'UA' });
    await loaded.login('alice');
    await loaded.destroy();
    expect(events.map((e) => [e.type, e.reason, e.userId])).toEqual([
      ['created', 'save', null],
      ['regenerated', 'login', 'alice'],
      ['destroyed', undefined, 'alice'],
    ]);
    const token = cookie.split('=')[1]?.split('.')[0] as string;
    expect(events[0]?.sessionId).toBe(await storeIdOf(token));
    expect(events[1]?.previousSessionId).toBe(events[0]?.sessionId);
    expect(events[1]).toMatchObject({ ip: '192.0.2.1', userAgent: 'UA' });
  });

  it('awaits listeners, and a failing listener fails the operation (an audit log misses nothing)', async () => {
    const { sessions } = setup();
    sessions.on('created', () => {
      throw new Error('audit down');
    });
    const session = await sessions.load({});
    session.set('n', 1);
    await expect(sessions.commit(session)).rejects.toThrow('audit down');
  });
});

describe('store failures', () => {
  it('reports an outage as STORE_ERROR with the cause, never as an anonymous session', async () => {
    const store = new MemoryStore();
    const sessions = createSessions({ store, secrets: [SECRET] });
    const first = await sessions.load({});
    first.set('n', 1);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const outage = new Error('ECONNREFUSED');
    vi.spyOn(store, 'get').mockRejectedValue(outage);
    await expect(sessions.load({ cookie })).rejects.toMatchObject({ code: 'STORE_ERROR', cause: outage });
  });

  it('reports a failing save as STORE_ERROR', async () => {
    const store = new MemoryStore();
    const sessions = createSessions({ store, secrets: [SECRET] });
    vi.spyOn(store, 'create').mockRejectedValue(new Error('READONLY'));
    const session = await sessions.load({});
    session.set('n', 1);
    await expect(sessions.commit(session)).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining('READONLY'),
    });
  });
});
