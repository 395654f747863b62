// The JSON API scenario, run against the demo on every SESSION_STORE value, configured through the
// environment exactly as a user would. Cookie-only mode keeps nothing on the server, so the cases that
// need server-side revocation differ there, and say so.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/app.js';
import { readConfig, STORE_KINDS, type StoreKind } from '../src/config.js';
import { Device, STORE_VARIANTS, TEST_SECRET } from './support.js';

const LAPTOP =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Safari/604.1';
const TABLET = 'Mozilla/5.0 (Linux; Android 15; Pixel Tablet) AppleWebKit/537.36 Chrome/140.0 Safari/537.36';
const EVIL = { origin: 'https://evil.example' };
const ALICE = { username: 'alice', password: 'wonderland' };
/** How the demo describes each store, so a variant can never silently run on another. */
const STORE_LABELS: Record<StoreKind, RegExp> = {
  sqlite: /^SQLite in /,
  memory: /^memory/,
  cookie: /^the cookie itself/,
  redis: /^Redis at 127\.0\.0\.1:6379$/,
  'redis-cluster': /^Redis Cluster at /,
  postgres: /^PostgreSQL at /,
  mysql: /^MySQL at /,
  // The tests' MongoDB-wire server is FerretDB v1 (global setup), which the demo must give a single
  // connection: see store-mongo's README.
  mongo: /^FerretDB v1\.\S+ at \S+ \(one connection\)$/,
};

it('covers every SESSION_STORE value', () => {
  expect(STORE_VARIANTS.map(({ kind }) => kind)).toEqual([...STORE_KINDS]);
  const skipped = STORE_VARIANTS.filter(({ unavailable }) => unavailable);
  for (const { kind, unavailable } of skipped) console.log(`SESSION_STORE=${kind} skipped: ${unavailable}`);
  console.log(
    `JSON API scenario runs on: ${STORE_VARIANTS.filter((v) => !v.unavailable)
      .map((v) => v.kind)
      .join(', ')}`,
  );
});

describe.each(STORE_VARIANTS)('SESSION_STORE=$kind', ({ kind, unavailable, prepare }) => {
  const serverSide = kind !== 'cookie';
  let demo: RunningDemo;
  let cleanup = async () => {};
  const device = (userAgent = LAPTOP) => new Device(demo.url, userAgent);

  beforeAll(async () => {
    if (unavailable) return;
    const prepared = await prepare();
    cleanup = prepared.cleanup;
    const env = { SESSION_STORE: kind, PORT: '0', SESSION_SECRETS: TEST_SECRET, ...prepared.env };
    demo = await startDemo(readConfig(env));
  });

  afterAll(async () => {
    await demo?.close();
    await cleanup();
  });

  /** A device logged in as alice, alone: her other sessions from earlier cases are ended first. */
  const aliceAlone = async (userAgent = LAPTOP) => {
    const laptop = device(userAgent);
    expect((await laptop.post('/api/login', ALICE)).status).toBe(200);
    if (serverSide) expect((await laptop.delete('/api/sessions?others=1')).status).toBe(204);
    return laptop;
  };

  it.skipIf(unavailable)(
    'runs on the store it names, answers the health check, and 401 without a session',
    async () => {
      expect(demo.storeLabel).toMatch(STORE_LABELS[kind]);
      expect((await device().get('/healthz')).status).toBe(200);
      expect(await device().get('/api/me')).toMatchObject({
        status: 401,
        body: { error: expect.any(String) },
      });
    },
  );

  it.skipIf(unavailable)('logs in, reports the user and the session times, logs out', async () => {
    const laptop = device();
    const wrong = await laptop.post('/api/login', { username: 'alice', password: 'looking-glass' });
    expect(wrong).toMatchObject({ status: 401, body: { error: expect.any(String) }, setCookie: null });
    const unknown = await laptop.post('/api/login', { username: 'mallory', password: 'wonderland' });
    expect(unknown).toMatchObject({ status: 401, setCookie: null });

    const login = await laptop.post('/api/login', ALICE);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ user: { id: 'alice', username: 'alice', name: 'Alice Liddell' } });
    expect(login.setCookie).toMatch(/HttpOnly/);

    const me = await laptop.get('/api/me');
    expect(me.status).toBe(200);
    const { user, session } = me.body as { user: unknown; session: Record<string, string> };
    expect(user).toEqual({ id: 'alice', username: 'alice', name: 'Alice Liddell' });
    const [createdAt, lastSeenAt, expiresAt] = [session.createdAt, session.lastSeenAt, session.expiresAt].map(
      (iso) => Date.parse(iso as string),
    ) as [number, number, number];
    expect(createdAt).toBeLessThanOrEqual(lastSeenAt);
    // Default idle timeout: one day after the last request.
    expect(expiresAt - lastSeenAt).toBe(24 * 60 * 60 * 1000);

    const logout = await laptop.post('/api/logout');
    expect(logout.status).toBe(204);
    expect(logout.setCookie).toMatch(/Max-Age=0/);
    expect(laptop.cookie).toBeUndefined();
    expect((await laptop.get('/api/me')).status).toBe(401);
  });

  it.skipIf(unavailable)('keeps a cart before login, and the cart survives login', async () => {
    const laptop = device();
    expect(await laptop.get('/api/cart')).toMatchObject({ status: 200, body: { cart: [] } });
    expect(await laptop.post('/api/cart', { item: 'umbrella' })).toMatchObject({
      status: 200,
      body: { cart: ['umbrella'] },
    });
    expect((await laptop.post('/api/cart', { item: 'scarf' })).body).toEqual({ cart: ['umbrella', 'scarf'] });
    const anonymousCookie = laptop.cookie;

    expect((await laptop.post('/api/login', ALICE)).status).toBe(200);
    expect(laptop.cookie).not.toBe(anonymousCookie); // a new token at login
    expect((await laptop.get('/api/cart')).body).toEqual({ cart: ['umbrella', 'scarf'] });

    expect(await laptop.post('/api/cart', { item: 'time machine' })).toMatchObject({
      status: 400,
      body: { error: expect.any(String) },
    });
    const badJson = await laptop.request('POST', '/api/cart', {
      headers: { 'content-type': 'application/json' },
      json: undefined,
    });
    expect(badJson.status).toBe(400);
    const broken = await fetch(new URL('/api/cart', demo.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: laptop.cookie as string },
      body: '{"item":',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: expect.any(String) });
  });

  it.skipIf(unavailable)('refuses cross-site unsafe requests with 403 and changes nothing', async () => {
    const laptop = await aliceAlone();
    await laptop.post('/api/cart', { item: 'hat' });
    const phone = device(PHONE);
    await phone.post('/api/login', ALICE);

    expect(await laptop.post('/api/cart', { item: 'coat' }, EVIL)).toMatchObject({
      status: 403,
      body: { error: expect.any(String) },
    });
    expect((await laptop.post('/api/logout', {}, EVIL)).status).toBe(403);
    expect((await laptop.delete('/api/sessions?others=1', EVIL)).status).toBe(403);
    expect((await device().post('/api/login', ALICE, EVIL)).status).toBe(403);

    expect((await laptop.get('/api/cart')).body).toEqual({ cart: ['hat'] });
    expect((await laptop.get('/api/me')).status).toBe(200);
    expect((await phone.get('/api/me')).status).toBe(200);
  });

  if (serverSide) {
    it.skipIf(unavailable)(
      'lists the devices with public ids, revokes one, and logs out everywhere else',
      async () => {
        const laptop = await aliceAlone();
        const phone = device(PHONE);
        await phone.post('/api/login', ALICE);

        const listed = await laptop.get('/api/sessions');
        expect(listed.status).toBe(200);
        const sessions = listed.body as Array<Record<string, unknown>>;
        expect(sessions).toHaveLength(2);
        expect(sessions.map(({ userAgent, current }) => [userAgent, current]).sort()).toEqual(
          [
            [LAPTOP, true],
            [PHONE, false],
          ].sort(),
        );
        for (const session of sessions) {
          expect(Object.keys(session).sort()).toEqual([
            'createdAt',
            'current',
            'id',
            'ip',
            'lastSeenAt',
            'userAgent',
          ]);
          expect(session.ip).toMatch(/127\.0\.0\.1|::1/);
        }
        // The id is a public handle: neither a token from a cookie nor the SHA-256 the store keeps.
        for (const cookie of [laptop.cookie, phone.cookie]) {
          const token = (cookie as string).split('=')[1]?.split('.')[0] as string;
          const storedId = createHash('sha256').update(token).digest('base64url');
          for (const { id } of sessions) {
            expect(cookie).not.toContain(id as string);
            expect(id).not.toBe(storedId);
          }
        }

        const phoneId = sessions.find(({ current }) => !current)?.id as string;
        expect((await laptop.delete(`/api/sessions/${phoneId}`)).status).toBe(204);
        expect((await phone.get('/api/me')).status).toBe(401);
        expect((await laptop.get('/api/me')).status).toBe(200);
        expect((await laptop.delete(`/api/sessions/${phoneId}`)).status).toBe(404);
        expect(await laptop.delete('/api/sessions/not-a-session')).toMatchObject({
          status: 404,
          body: { error: expect.any(String) },
        });

        const phoneAgain = device(PHONE);
        const tablet = device(TABLET);
        await phoneAgain.post('/api/login', ALICE);
        await tablet.post('/api/login', ALICE);
        expect((await laptop.get('/api/sessions')).body).toHaveLength(3);
        expect((await laptop.delete('/api/sessions?others=1')).status).toBe(204);
        expect((await phoneAgain.get('/api/me')).status).toBe(401);
        expect((await tablet.get('/api/me')).status).toBe(401);
        expect((await laptop.get('/api/me')).status).toBe(200);
        expect((await laptop.get('/api/sessions')).body).toEqual([
          expect.objectContaining({ current: true }),
        ]);

        // Ending this very session through its id is a logout.
        const [own] = (await laptop.get('/api/sessions')).body as Array<{ id: string }>;
        const ended = await laptop.delete(`/api/sessions/${own?.id}`);
        expect(ended.status).toBe(204);
        expect(ended.setCookie).toMatch(/Max-Age=0/);
        expect((await laptop.get('/api/me')).status).toBe(401);
      },
    );

    it.skipIf(unavailable)('refuses a cookie replayed after logout or after login', async () => {
      const laptop = device();
      await laptop.post('/api/cart', { item: 'gloves' });
      const beforeLogin = laptop.cookie as string;
      await laptop.post('/api/login', ALICE);
      const beforeLogout = laptop.cookie as string;
      await laptop.post('/api/logout');

      expect((await laptop.get('/api/me', { cookie: beforeLogout })).status).toBe(401);
      // The token from before login was replaced at login (session fixation): its cart is gone with it.
      expect((await laptop.get('/api/cart', { cookie: beforeLogin })).body).toEqual({ cart: [] });
    });
  } else {
    it.skipIf(unavailable)('cookie-only: cannot list or revoke sessions (501), as documented', async () => {
      const laptop = await aliceAlone();
      const phone = device(PHONE);
      await phone.post('/api/login', ALICE);
      for (const response of [
        await laptop.get('/api/sessions'),
        await laptop.delete('/api/sessions/anything'),
        await laptop.delete('/api/sessions?others=1'),
      ]) {
        expect(response).toMatchObject({
          status: 501,
          body: { error: expect.stringContaining('server store') },
        });
      }
      // Nothing on the server can end the phone's session: it stays logged in.
      expect((await phone.get('/api/me')).status).toBe(200);
    });

    it.skipIf(unavailable)(
      'cookie-only: a cookie copied before logout keeps working until its deadline, as documented',
      async () => {
        const laptop = device();
        await laptop.post('/api/login', ALICE);
        const copied = laptop.cookie as string;
        await laptop.post('/api/logout');
        expect((await laptop.get('/api/me')).status).toBe(401);
        // The browser's cookie is cleared, but a stolen copy still opens: server-side revocation is impossible.
        expect((await laptop.get('/api/me', { cookie: copied })).status).toBe(200);
      },
    );
  }

  it.skipIf(unavailable)('answers unknown API paths with a JSON 404', async () => {
    expect(await device().get('/api/nothing-here')).toMatchObject({
      status: 404,
      body: { error: 'Not found' },
    });
  });
});
