import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IntegrationOptions } from '../../src/integration.js';
import { cookieFrom, createCartSessions, FlakyStore, type Harness, type StartApp } from './harness.js';

const EVIL = 'https://evil.example';
const TRUSTED = 'https://partner.example';

/**
 * The behaviour every integration must show, run through the real framework. Each framework's test file
 * builds the same small app in its own idiom and passes a `start` function:
 *
 * - `GET /cart` → `{ cart, userId }`; `POST /cart` `{ item }` appends (through `session.update`) → `{ count }`
 * - `POST /cart-then-redirect` `{ item }` appends, then redirects (303) to `/cart` without saving itself
 * - `POST /login` `{ userId }`; `POST /logout` → 204
 * - `GET /me` guarded (JSON 401); `GET /account` guarded with `redirectTo: '/login'`; `GET /devices`
 *   guarded with a `verify` that lists the user's sessions (see `hasDevices`) → `devices`; `GET /orders`
 *   guarded with a `redirectTo` function that decodes the URL (see `loginWithNext`)
 * - `GET /form` → `{ token: csrfToken(session) }`; `POST /form` behind `requireCsrfToken()` → `{ ok: true }`
 * - `GET /welcome` → `Welcome` or `Welcome back`, from `session.isNew` alone
 * - `GET /public` → text, session untouched
 * - `GET /cached` → `{ cart }` under the app's own `Cache-Control: public, max-age=60`; a new visitor
 *   also gets `flag: true` written (so a session and a cookie)
 */
export function runIntegrationScenarios(name: string, start: StartApp): void {
  describe(`${name}: sessions through the framework`, () => {
    let harness: Harness | undefined;
    const errors: unknown[] = [];

    async function app(
      options: IntegrationOptions = {},
      sessionsOptions: Parameters<typeof createCartSessions>[1] = {},
    ) {
      const store = new FlakyStore();
      const sessions = createCartSessions(store, sessionsOptions);
      errors.length = 0;
      harness = await start({
        sessions,
        options: {
          originCheck: { trustedOrigins: [TRUSTED] },
          onError: (error) => errors.push(error),
          ...options,
        },
      });
      return { app: harness, store, sessions };
    }

    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('sets a hardened cookie on the first write, and none for a visitor who writes nothing', async () => {
      const { app: server } = await app();
      const visit = await server.send('/public');
      expect(visit.status).toBe(200);
      expect(visit.setCookies).toEqual([]);

      const added = await server.send('/cart', { method: 'POST', json: { item: 'apple' } });
      expect(added.status).toBe(200);
      expect(added.json()).toEqual({ count: 1 });
      const [setCookie] = added.setCookies;
      expect(setCookie).toMatch(/^__Host-coatcheck=[\w-]{43}\.[\w-]{43}; Path=\//);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('Secure');
      expect(setCookie).toContain('SameSite=Lax');
      expect(added.headers.get('cache-control')).toBe('no-store');

      const cart = await server.send('/cart', { cookie: cookieFrom(added) });
      expect(cart.json()).toEqual({ cart: ['apple'], userId: null });
      expect(cart.setCookies).toEqual([]);
    });

    it('sets the cookie on login, with a new token that replaces the anonymous one', async () => {
      const { app: server } = await app();
      const anonymous = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));

      const login = await server.send('/login', {
        method: 'POST',
        cookie: anonymous,
        json: { userId: 'ada' },
      });
      expect(login.status).toBe(200);
      const loggedIn = cookieFrom(login);
      expect(loggedIn).not.toBe(anonymous);

      const me = await server.send('/me', { cookie: loggedIn });
      expect(me.json()).toEqual({ userId: 'ada' });
      // The cart came along into the new session.
      expect((await server.send('/cart', { cookie: loggedIn })).json()).toEqual({
        cart: ['apple'],
        userId: 'ada',
      });

      // The pre-login cookie (fixation) is dead: refused. It is not cleared: a request still carrying it
      // may be in flight during the login, and clearing would delete the new cookie the browser holds.
      const replay = await server.send('/me', { cookie: anonymous });
      expect(replay.status).toBe(401);
      expect(replay.setCookies).toEqual([]);
    });

    it('refuses a tampered cookie as no session, and clears it', async () => {
      const { app: server } = await app();
      const cookie = cookieFrom(await server.send('/login', { method: 'POST', json: { userId: 'ada' } }));
      // A character inside the signature (the last one of a base64url string holds unused bits).
      const at = cookie.indexOf('.') + 5;
      const flipped = cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1);

      const me = await server.send('/me', { cookie: flipped });
      expect(me.status).toBe(401);
      expect(me.json()).toEqual({ error: 'Authentication required' });
      expect(me.setCookies[0]).toMatch(/^__Host-coatcheck=; .*Max-Age=0/);
      expect((await server.send('/cart', { cookie: flipped })).json()).toEqual({ cart: [], userId: null });
    });

    it('clears the cookie on logout, and the old cookie stays refused', async () => {
      const { app: server } = await app();
      const cookie = cookieFrom(await server.send('/login', { method: 'POST', json: { userId: 'ada' } }));

      const logout = await server.send('/logout', { method: 'POST', cookie });
      expect(logout.status).toBe(204);
      expect(logout.setCookies[0]).toMatch(/^__Host-coatcheck=; .*Max-Age=0/);
      expect(logout.headers.get('cache-control')).toBe('no-store');

      expect((await server.send('/me', { cookie })).status).toBe(401);
    });

    it('guards routes with 401 JSON or a redirect, as the app chose', async () => {
      const { app: server } = await app();
      const json = await server.send('/me');
      expect(json.status).toBe(401);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json.json()).toEqual({ error: 'Authentication required' });

      const redirect = await server.send('/account');
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get('location')).toBe('/login');

      const cookie = cookieFrom(await server.send('/login', { method: 'POST', json: { userId: 'ada' } }));
      const allowed = await server.send('/account', { cookie });
      expect(allowed.status).toBe(200);
      expect(allowed.text).toBe('account of ada');
    });

    it('sends a redirect whatever the URL decodes to: non-ASCII encoded, control characters refused', async () => {
      const { app: server } = await app();
      for (const [query, next] of [
        ['?to=%E2%82%AC', '?to=%E2%82%AC'],
        ['?to=%C3%A9t%C3%A9', '?to=%C3%A9t%C3%A9'],
        ['?to=%F0%9F%8D%90%20x', '?to=%F0%9F%8D%90 x'],
      ]) {
        const redirect = await server.send(`/orders${query}`);
        expect(redirect.status).toBe(303);
        expect(redirect.headers.get('location')).toBe(`/login?next=/orders${next}`);
      }
      expect(errors).toEqual([]);

      // A CR LF in the location would split the header: the guard refuses with its 401 instead.
      for (const query of ['?to=%0D%0ASet-Cookie:%20evil=1', '?to=%00', '?to=%09']) {
        const refused = await server.send(`/orders${query}`);
        expect(refused.status).toBe(401);
        expect(refused.json()).toEqual({ error: 'Authentication required' });
        expect(refused.headers.get('location')).toBeNull();
        expect(refused.setCookies).toEqual([]);
      }
      expect(errors).toHaveLength(3);
      expect(errors).toEqual(
        Array(3).fill(
          expect.objectContaining({
            code: 'INVALID_ARGUMENT',
            message: expect.stringContaining('redirectTo'),
          }),
        ),
      );
    });

    it('keeps every one of 20 concurrent appends to one session', async () => {
      const { app: server } = await app();
      const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'item-0' } }));
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          server.send('/cart', { method: 'POST', cookie, json: { item: `item-${index + 1}` } }),
        ),
      );
      expect(replies.map((reply) => reply.status)).toEqual(Array(20).fill(200));
      const { cart } = (await server.send('/cart', { cookie })).json() as { cart: string[] };
      expect(cart).toHaveLength(21);
      expect(new Set(cart)).toEqual(new Set(Array.from({ length: 21 }, (_, index) => `item-${index}`)));
    });

    it('saves before the response leaves: a redirect right after a change finds it saved', async () => {
      const { app: server } = await app();
      const redirect = await server.send('/cart-then-redirect', { method: 'POST', json: { item: 'pear' } });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get('location')).toBe('/cart');
      const cart = await server.send('/cart', { cookie: cookieFrom(redirect) });
      expect(cart.json()).toEqual({ cart: ['pear'], userId: null });
    });

    it('commits a request that changes nothing without asking the store', async () => {
      const { app: server, sessions } = await app();
      const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));
      const commit = vi.spyOn(sessions, 'commit');

      const cart = await server.send('/cart', { cookie });
      expect(cart.json()).toEqual({ cart: ['apple'], userId: null });
      expect(cart.headers.get('cache-control')).toBe('private, no-store');
      expect(cart.headers.get('vary')).toMatch(/\bCookie\b/i);
      expect((await server.send('/public')).text).toBe('hello');
      expect((await server.send('/me', { cookie })).status).toBe(401);
      expect(commit).not.toHaveBeenCalled();

      await server.send('/cart', { method: 'POST', cookie, json: { item: 'pear' } });
      expect(commit).toHaveBeenCalledTimes(1);
    });

    describe('Origin check', () => {
      async function withCart() {
        const { app: server, store } = await app();
        const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));
        const add = (headers: Record<string, string>) =>
          server.send('/cart', { method: 'POST', cookie, headers, json: { item: 'forged' } });
        const cart = async () => ((await server.send('/cart', { cookie })).json() as { cart: string[] }).cart;
        return { server, store, cookie, add, cart };
      }

      it('refuses a cross-site unsafe request with 403 and changes nothing', async () => {
        const { add, cart } = await withCart();
        const refused = await add({ origin: EVIL });
        expect(refused.status).toBe(403);
        expect(refused.json()).toEqual({ error: 'Cross-site request refused' });
        expect(refused.setCookies).toEqual([]);
        expect(await cart()).toEqual(['apple']);
      });

      it('refuses a cross-site login without creating a session', async () => {
        const { app: server, store } = await app();
        const refused = await server.send('/login', {
          method: 'POST',
          headers: { origin: EVIL },
          json: { userId: 'ada' },
        });
        expect(refused.status).toBe(403);
        expect(refused.setCookies).toEqual([]);
        expect(store.memory.size).toBe(0);
      });

      it('allows its own origin and the trusted origins', async () => {
        const { server, add, cart } = await withCart();
        expect((await add({ origin: server.origin })).status).toBe(200);
        expect((await add({ origin: TRUSTED })).status).toBe(200);
        expect(await cart()).toEqual(['apple', 'forged', 'forged']);
      });

      it('falls back to Referer when Origin is missing', async () => {
        const { server, add } = await withCart();
        expect((await add({ referer: `${EVIL}/attack.html` })).status).toBe(403);
        expect((await add({ referer: `${server.origin}/cart` })).status).toBe(200);
      });

      it('refuses Origin: null (sandboxed frames, privacy redirects)', async () => {
        const { add } = await withCart();
        expect((await add({ origin: 'null' })).status).toBe(403);
      });

      it('uses Sec-Fetch-Site when a browser sent neither Origin nor Referer', async () => {
        const { add } = await withCart();
        expect((await add({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
        expect((await add({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
        expect((await add({ 'sec-fetch-site': 'same-origin' })).status).toBe(200);
      });

      it('allows non-browser clients (no Origin, Referer or Sec-Fetch-Site) unless told otherwise', async () => {
        const { add } = await withCart();
        expect((await add({})).status).toBe(200);
        await harness?.close();
        const { app: strict } = await app({ originCheck: { allowMissingOrigin: false } });
        expect((await strict.send('/cart', { method: 'POST', json: { item: 'x' } })).status).toBe(403);
      });

      it('lets safe methods through from anywhere, and can be turned off', async () => {
        const { server, cookie } = await withCart();
        expect((await server.send('/cart', { cookie, headers: { origin: EVIL } })).status).toBe(200);
        await harness?.close();
        const { app: open } = await app({ originCheck: false });
        const reply = await open.send('/cart', {
          method: 'POST',
          headers: { origin: EVIL },
          json: { item: 'x' },
        });
        expect(reply.status).toBe(200);
      });
    });

    describe('CSRF token', () => {
      it('accepts the session’s token from a form field or a header, and refuses anything else', async () => {
        const { app: server } = await app();
        const issued = await server.send('/form');
        const cookie = cookieFrom(issued); // a token is a session write: the visitor now has a session
        const { token } = issued.json() as { token: string };
        const post = (init: { form?: Record<string, string>; headers?: Record<string, string> }) =>
          server.send('/form', { method: 'POST', cookie, ...init });

        expect((await post({ form: { _csrf: token } })).json()).toEqual({ ok: true });
        expect((await post({ headers: { 'x-csrf-token': token } })).status).toBe(200);
        // Each rendering masks the same secret differently; every one verifies.
        const again = ((await server.send('/form', { cookie })).json() as { token: string }).token;
        expect(again).not.toBe(token);
        expect((await post({ form: { _csrf: again } })).status).toBe(200);

        const missing = await post({ form: {} });
        expect(missing.status).toBe(403);
        expect(missing.json()).toEqual({ error: 'Invalid or missing CSRF token' });
        const tampered = token.slice(0, 50) + (token[50] === 'A' ? 'B' : 'A') + token.slice(51);
        expect((await post({ form: { _csrf: tampered } })).status).toBe(403);
        const otherSession = (await server.send('/form')).json() as { token: string };
        expect((await post({ form: { _csrf: otherSession.token } })).status).toBe(403);
      });

      it('does not carry a token across login', async () => {
        const { app: server } = await app();
        const issued = await server.send('/form');
        const { token } = issued.json() as { token: string };
        const login = await server.send('/login', {
          method: 'POST',
          cookie: cookieFrom(issued),
          json: { userId: 'ada' },
        });
        const cookie = cookieFrom(login);
        expect((await server.send('/form', { method: 'POST', cookie, form: { _csrf: token } })).status).toBe(
          403,
        );
        const fresh = ((await server.send('/form', { cookie })).json() as { token: string }).token;
        expect((await server.send('/form', { method: 'POST', cookie, form: { _csrf: fresh } })).status).toBe(
          200,
        );
      });
    });

    describe('caching', () => {
      it('marks responses to a live session private and Vary: Cookie, unless the app chose', async () => {
        const { app: server } = await app();
        const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));

        const personal = await server.send('/cart', { cookie });
        expect(personal.headers.get('cache-control')).toBe('private, no-store');
        expect(personal.headers.get('vary')).toMatch(/\bCookie\b/i);

        const chosen = await server.send('/cached', { cookie });
        expect(chosen.headers.get('cache-control')).toBe('public, max-age=60');
        expect(chosen.headers.get('vary')).toMatch(/\bCookie\b/i);

        const anonymous = await server.send('/public');
        expect(anonymous.headers.get('cache-control')).toBeNull();
      });

      it('marks every response that sets, clears or depends on the session Vary: Cookie, the first one too', async () => {
        const { app: server } = await app();
        const vary = (reply: { headers: Headers }) => reply.headers.get('vary') ?? '';

        // The first response of a new session, to a request without a cookie.
        const created = await server.send('/cart', { method: 'POST', json: { item: 'apple' } });
        expect(created.setCookies).toHaveLength(1);
        expect(vary(created)).toMatch(/\bCookie\b/i);
        const firstVisit = await server.send('/cached');
        expect(firstVisit.setCookies).toHaveLength(1);
        expect(vary(firstVisit)).toMatch(/\bCookie\b/i);
        const login = await server.send('/login', { method: 'POST', json: { userId: 'ada' } });
        expect(vary(login)).toMatch(/\bCookie\b/i);

        // No cookie and no write, but built from the session: another cookie would change it.
        const anonymousCart = await server.send('/cart');
        expect(anonymousCart.setCookies).toEqual([]);
        expect(vary(anonymousCart)).toMatch(/\bCookie\b/i);
        const refused = await server.send('/me');
        expect(refused.status).toBe(401);
        expect(vary(refused)).toMatch(/\bCookie\b/i);

        // Clearing the cookie, on logout and for a tampered cookie.
        const logout = await server.send('/logout', { method: 'POST', cookie: cookieFrom(login) });
        expect(logout.setCookies[0]).toMatch(/Max-Age=0/);
        expect(vary(logout)).toMatch(/\bCookie\b/i);
        const tampered = await server.send('/public', { cookie: '__Host-coatcheck=forged.value' });
        expect(tampered.setCookies[0]).toMatch(/Max-Age=0/);
        expect(vary(tampered)).toMatch(/\bCookie\b/i);

        // A route that never touches the session, without a cookie, stays cacheable for everyone.
        expect(vary(await server.send('/public'))).not.toMatch(/\bCookie\b/i);
      });

      it('counts a page built from session.isNew alone as depending on the session', async () => {
        const { app: server } = await app();
        const welcome = await server.send('/welcome');
        expect(welcome.text).toBe('Welcome');
        expect(welcome.setCookies).toEqual([]);
        expect(welcome.headers.get('vary') ?? '').toMatch(/\bCookie\b/i);

        const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));
        expect((await server.send('/welcome', { cookie })).text).toBe('Welcome back');
      });

      it('never lets a response that sets the cookie be cached, whatever the app said', async () => {
        const { app: server } = await app();
        const reply = await server.send('/cached');
        expect(reply.setCookies).toHaveLength(1);
        expect(reply.headers.get('cache-control')).toBe('no-store');
        const login = await server.send('/login', { method: 'POST', json: { userId: 'ada' } });
        expect(login.headers.get('cache-control')).toBe('no-store');
      });

      it('keeps a response that stores the session private with setCookieCacheControl: false', async () => {
        const { app: server } = await app({}, { setCookieCacheControl: false });
        // No cookie came in, but the response carries the user's new session.
        const login = await server.send('/login', { method: 'POST', json: { userId: 'ada' } });
        expect(login.setCookies).toHaveLength(1);
        expect(login.headers.get('cache-control')).toBe('private, no-store');
        const created = await server.send('/cart', { method: 'POST', json: { item: 'apple' } });
        expect(created.headers.get('cache-control')).toBe('private, no-store');

        // Nothing stored and nothing carried: still the app's to cache.
        expect((await server.send('/public')).headers.get('cache-control')).toBeNull();
        expect((await server.send('/welcome')).headers.get('cache-control')).toBeNull();
      });

      it('leaves Cache-Control to the app with sessionCacheControl: false', async () => {
        const { app: server } = await app({ sessionCacheControl: false });
        const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));
        const reply = await server.send('/cart', { cookie });
        expect(reply.headers.get('cache-control')).toBeNull();
        expect(reply.headers.get('vary')).toMatch(/\bCookie\b/i);
      });
    });

    describe('store outage', () => {
      it('answers 503 when the session cannot be loaded, never an anonymous pass', async () => {
        const { app: server, store } = await app();
        const cookie = cookieFrom(await server.send('/login', { method: 'POST', json: { userId: 'ada' } }));
        store.mode = 'down';

        for (const path of ['/me', '/cart', '/account']) {
          const reply = await server.send(path, { cookie });
          expect(reply.status).toBe(503);
          expect(reply.json()).toEqual({ error: 'Session store unavailable, try again later' });
        }
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]).toMatchObject({ name: 'CoatcheckError', code: 'STORE_ERROR' });

        store.mode = 'up';
        expect((await server.send('/me', { cookie })).json()).toEqual({ userId: 'ada' });
      });

      it('answers 503 when requireUser’s verify meets an outage, and reports it', async () => {
        const { app: server, store } = await app();
        const cookie = cookieFrom(await server.send('/login', { method: 'POST', json: { userId: 'ada' } }));
        expect((await server.send('/devices', { cookie })).text).toBe('devices');
        store.mode = 'index-down';

        const reply = await server.send('/devices', { cookie });
        expect(reply.status).toBe(503);
        expect(reply.json()).toEqual({ error: 'Session store unavailable, try again later' });
        expect(errors).toEqual([expect.objectContaining({ name: 'CoatcheckError', code: 'STORE_ERROR' })]);
      });

      it('replaces the response with 503 when the save fails, so no half response goes out', async () => {
        const { app: server, store } = await app();
        const cookie = cookieFrom(await server.send('/cart', { method: 'POST', json: { item: 'apple' } }));
        store.mode = 'writes-down';

        const reply = await server.send('/cart', { method: 'POST', cookie, json: { item: 'lost' } });
        expect(reply.status).toBe(503);
        expect(reply.json()).toEqual({ error: 'Session store unavailable, try again later' });
        expect(reply.headers.get('cache-control')).toBe('no-store');
        expect(reply.setCookies).toEqual([]);
        expect(errors[0]).toMatchObject({ code: 'STORE_ERROR' });

        const redirect = await server.send('/cart-then-redirect', {
          method: 'POST',
          cookie,
          json: { item: 'lost' },
        });
        expect(redirect.status).toBe(503);
        expect(redirect.headers.get('location')).toBeNull();

        store.mode = 'up';
        expect((await server.send('/cart', { cookie })).json()).toEqual({ cart: ['apple'], userId: null });
      });
    });
  });
}
