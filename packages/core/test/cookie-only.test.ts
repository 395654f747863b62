import { describe, expect, it } from 'vitest';
import {
  createSessions,
  memoryRevocationStore,
  type RevocationStore,
  type SessionEvent,
} from '../src/index.js';
import { clock, cookieOf, OLD_SECRET, SECRET, setCookieOf } from './helpers.js';

function cookieOnly(
  options: { secrets?: string[]; idleTimeoutSeconds?: number; absoluteTimeoutSeconds?: number } = {},
) {
  const time = clock();
  const sessions = createSessions({ cookieOnly: true, secrets: [SECRET], now: time.now, ...options });
  return { sessions, time };
}

describe('cookie-only sessions', () => {
  it('keeps the data in a sealed cookie, unreadable to the client', async () => {
    const { sessions } = cookieOnly();
    const session = await sessions.load({});
    session.set('cart', ['secret-apple']);
    await session.login('alice');
    const cookie = cookieOf((await sessions.commit(session)).headers) as string;
    expect(cookie).not.toContain('apple');
    expect(Buffer.from(cookie.split('.')[1] as string, 'base64url').toString('latin1')).not.toContain(
      'apple',
    );
    const again = await sessions.load({ cookie });
    expect(again.get('cart')).toEqual(['secret-apple']);
    expect(again.userId).toBe('alice');
  });

  it('does not set a cookie for a request that changes nothing', async () => {
    const { sessions, time } = cookieOnly();
    const session = await sessions.load({});
    session.set('n', 1);
    const cookie = cookieOf((await sessions.commit(session)).headers);
    time.advanceSeconds(5);
    expect((await sessions.commit(await sessions.load({ cookie }))).headers).toEqual([]);
  });

  it('opens a sealed cookie under its one canonical spelling only', async () => {
    const { sessions } = cookieOnly();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let spellings = 0;
    // Seal until the value's length leaves unused bits in its last character (2 or 4 of them).
    for (let size = 0; spellings < 2; size++) {
      const session = await sessions.load({});
      session.set('pad', 'x'.repeat(size));
      const cookie = cookieOf((await sessions.commit(session)).headers) as string;
      const unused = [0, 0, 4, 2][(cookie.length - cookie.indexOf('.') - 1) % 4] as number;
      if (unused === 0) continue;
      spellings++;
      const last = alphabet.indexOf(cookie.at(-1) as string);
      expect((await sessions.load({ cookie })).get('pad')).toBe('x'.repeat(size));
      for (let bits = 1; bits < 2 ** unused; bits++) {
        const variant = cookie.slice(0, -1) + alphabet[last ^ bits];
        expect((await sessions.load({ cookie: variant })).isNew, `${variant} opened`).toBe(true);
      }
    }
  });

  it('treats a tampered sealed cookie as no session', async () => {
    const { sessions } = cookieOnly();
    const events: SessionEvent[] = [];
    sessions.on('invalid-cookie', (e) => void events.push(e));
    const session = await sessions.load({});
    session.set('role', 'user');
    const cookie = cookieOf((await sessions.commit(session)).headers) as string;
    const flipped = cookie.slice(0, -5) + (cookie.at(-5) === 'A' ? 'B' : 'A') + cookie.slice(-4);
    expect((await sessions.load({ cookie: flipped })).isNew).toBe(true);
    expect((await sessions.load({ cookie: '__Host-coatcheck=abc.def' })).isNew).toBe(true);
    expect(events).toHaveLength(2);
  });

  it('enforces the sealed idle and absolute deadlines on read', async () => {
    const { sessions, time } = cookieOnly({ idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600 });
    const session = await sessions.load({});
    session.set('n', 1);
    let cookie = cookieOf((await sessions.commit(session)).headers);
    time.advanceSeconds(601);
    expect((await sessions.load({ cookie })).isNew).toBe(true);

    time.advanceSeconds(-601);
    for (let i = 0; i < 20; i++) {
      time.advanceSeconds(500);
      const active = await sessions.load({ cookie });
      if (active.isNew) break;
      cookie = cookieOf((await sessions.commit(active)).headers) ?? cookie;
      expect(i * 500).toBeLessThan(3600);
    }
    expect((await sessions.load({ cookie })).isNew).toBe(true);
  });

  it('with a revocation store, refuses a cookie copied before logout or before login (CVE-2024-31999)', async () => {
    const time = clock();
    const tombstones = memoryRevocationStore({ now: time.now });
    const sessions = createSessions({
      cookieOnly: true,
      revocationStore: tombstones,
      secrets: [SECRET],
      now: time.now,
    });
    const anonymous = await sessions.load({});
    anonymous.set('cart', ['apple']);
    const beforeLogin = cookieOf((await sessions.commit(anonymous)).headers);
    const loggingIn = await sessions.load({ cookie: beforeLogin });
    await loggingIn.login('alice');
    const stolen = cookieOf((await sessions.commit(loggingIn)).headers);
    expect((await sessions.load({ cookie: beforeLogin })).isNew).toBe(true);
    expect((await sessions.load({ cookie: stolen })).userId).toBe('alice');

    const logout = await sessions.load({ cookie: stolen });
    await logout.destroy();
    await sessions.commit(logout);
    expect((await sessions.load({ cookie: stolen })).isNew).toBe(true);
    // Only tombstones are stored: no session data on the server.
    expect(tombstones.size).toBe(2);
  });

  it('without a revocation store, a cookie kept from before logout works until its sealed deadline, then never', async () => {
    const { sessions, time } = cookieOnly({ idleTimeoutSeconds: 600 });
    const session = await sessions.load({});
    await session.login('alice');
    const stolen = cookieOf((await sessions.commit(session)).headers);
    const logout = await sessions.load({ cookie: stolen });
    await logout.destroy();
    expect(setCookieOf((await sessions.commit(logout)).headers)).toMatch(/Max-Age=0/);
    time.advanceSeconds(601);
    expect((await sessions.load({ cookie: stolen })).isNew).toBe(true);
  });

  describe('a request in flight during a logout', () => {
    /** Cookie-only sessions with a revocation store (`wrap`ped); `cookie` is logged in as ada. */
    async function loggedIn(wrap = (store: RevocationStore): RevocationStore => store) {
      const time = clock();
      const revocationStore = wrap(memoryRevocationStore({ now: time.now }));
      const sessions = createSessions({
        cookieOnly: true,
        revocationStore,
        secrets: [SECRET],
        now: time.now,
        idleTimeoutSeconds: 600,
      });
      const session = await sessions.load({});
      await session.login('ada');
      const cookie = cookieOf((await sessions.commit(session)).headers) as string;
      const logOut = async () => {
        const logout = await sessions.load({ cookie });
        await logout.destroy();
        await sessions.commit(logout);
      };
      return { sessions, time, cookie, logOut };
    }

    it('with a revocation store, a save after the logout re-issues no cookie', async () => {
      const { sessions, cookie, logOut } = await loggedIn();
      const inFlight = await sessions.load({ cookie });
      await logOut();
      inFlight.set('theme', 'dark');
      expect((await sessions.commit(inFlight)).headers).toEqual([]);
      expect(inFlight.userId).toBeNull();
    });

    it('with a revocation store, a touch after the logout re-issues no cookie', async () => {
      const { sessions, time, cookie, logOut } = await loggedIn();
      time.advanceSeconds(120); // past the touch interval
      const inFlight = await sessions.load({ cookie });
      await logOut();
      expect((await sessions.commit(inFlight)).headers).toEqual([]);
    });

    it('with a revocation store, a regenerate after the logout mints no new session', async () => {
      const { sessions, cookie, logOut } = await loggedIn();
      const inFlight = await sessions.load({ cookie });
      await logOut();
      await inFlight.regenerate();
      expect(inFlight.userId).toBeNull();
      expect((await sessions.commit(inFlight)).headers).toEqual([]);
    });

    it('with a revocation store, a logout landing between a regenerate’s check and its revocation wins', async () => {
      let landLogout: (() => Promise<void>) | undefined;
      const racing = (revocations: RevocationStore): RevocationStore => ({
        revoke: (id, until) => revocations.revoke(id, until),
        // The regenerate's check says "not revoked"; the logout lands right after it.
        async isRevoked(id) {
          const revoked = await revocations.isRevoked(id);
          const logout = landLogout;
          landLogout = undefined;
          await logout?.();
          return revoked;
        },
      });
      const setup = await loggedIn(racing);
      const inFlight = await setup.sessions.load({ cookie: setup.cookie });
      landLogout = setup.logOut;
      await inFlight.regenerate();
      expect(inFlight.userId).toBeNull();
      expect((await setup.sessions.commit(inFlight)).headers).toEqual([]);
    });

    it('without a revocation store, a save after the logout re-issues the logged-in cookie (documented)', async () => {
      const { sessions } = cookieOnly();
      const session = await sessions.load({});
      await session.login('ada');
      const cookie = cookieOf((await sessions.commit(session)).headers);
      const inFlight = await sessions.load({ cookie });
      const logout = await sessions.load({ cookie });
      await logout.destroy();
      expect(setCookieOf((await sessions.commit(logout)).headers)).toMatch(/Max-Age=0/);
      inFlight.set('theme', 'dark');
      const reissued = cookieOf((await sessions.commit(inFlight)).headers);
      // Whichever response the browser receives last wins: this one logs it back in.
      expect((await sessions.load({ cookie: reissued })).userId).toBe('ada');
    });
  });

  it('opens cookies sealed under an old key and re-seals them under the current one', async () => {
    const before = cookieOnly({ secrets: [OLD_SECRET] });
    const session = await before.sessions.load({});
    session.set('kept', true);
    const old = cookieOf((await before.sessions.commit(session)).headers);

    const rotated = cookieOnly({ secrets: [SECRET, OLD_SECRET] });
    const loaded = await rotated.sessions.load({ cookie: old });
    expect(loaded.get('kept')).toBe(true);
    const resealed = cookieOf((await rotated.sessions.commit(loaded)).headers);
    expect(resealed).toBeDefined();
    expect(resealed).not.toBe(old);

    const currentOnly = cookieOnly({ secrets: [SECRET] });
    expect((await currentOnly.sessions.load({ cookie: resealed })).get('kept')).toBe(true);
    expect((await currentOnly.sessions.load({ cookie: old })).isNew).toBe(true);
  });

  it('binds the seal to the cookie name, so another app sharing the secrets cannot feed it its cookie', async () => {
    const time = clock();
    const other = createSessions({
      cookieOnly: true,
      secrets: [SECRET],
      now: time.now,
      cookie: { name: '__Host-other' },
    });
    const session = await other.load({});
    session.set('role', 'admin');
    const value = (cookieOf((await other.commit(session)).headers) as string).split('=')[1];
    const { sessions } = cookieOnly();
    expect((await sessions.load({ cookie: `__Host-coatcheck=${value}` })).isNew).toBe(true);
  });

  it('refuses to emit a cookie over 4096 bytes, naming the size', async () => {
    const { sessions } = cookieOnly();
    const session = await sessions.load({});
    session.set('big', 'x'.repeat(5000));
    await expect(sessions.commit(session)).rejects.toMatchObject({
      code: 'COOKIE_TOO_LARGE',
      message: expect.stringMatching(/would be \d{4} bytes/),
    });
  });

  it('says plainly that listing and revoking need a server store', async () => {
    const { sessions } = cookieOnly();
    await expect(sessions.listForUser('alice')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(sessions.revokeAll('alice')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('refuses a configuration with neither a store nor cookieOnly', () => {
    expect(() => createSessions({ secrets: [SECRET] })).toThrow(/`store` is required/);
  });
});
