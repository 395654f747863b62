import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requireUser as requireUserFetch, withSession } from '../../src/fetch.js';
import { requireUser, type SessionEnv, sessionMiddleware } from '../../src/hono.js';
import { createSessions, memoryRevocationStore, type RevocationStore } from '../../src/index.js';
import { SECRET } from './harness.js';

/** A revocation store that can be taken down. */
function flakyRevocations() {
  const inner = memoryRevocationStore();
  const state = { down: false };
  const check = () => {
    if (state.down) throw new Error('connection refused (simulated outage)');
  };
  const store: RevocationStore = {
    async revoke(id, until) {
      check();
      return inner.revoke(id, until);
    },
    async isRevoked(id) {
      check();
      return inner.isRevoked(id);
    },
  };
  return { store, state };
}

/** Cookie-only apps in Hono and the Fetch API: `POST /login`, `GET /me` (guarded), `POST /logout`. */
const apps = {
  Hono(revocationStore: RevocationStore) {
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] });
    const app = new Hono<SessionEnv>().use(sessionMiddleware(sessions, { onError: () => {} }));
    app.post('/login', async (c) => {
      await c.get('session').login('ada');
      return c.json({ ok: true });
    });
    app.get('/me', requireUser(), (c) => c.json({ userId: c.get('session').userId }));
    app.post('/logout', async (c) => {
      await c.get('session').destroy();
      return c.body(null, 204);
    });
    return (request: Request) => app.fetch(request);
  },
  Fetch(revocationStore: RevocationStore) {
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] });
    return withSession(sessions, { onError: () => {} })(async (request, session) => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      if (route === 'POST /login') {
        await session.login('ada');
        return Response.json({ ok: true });
      }
      if (route === 'GET /me') {
        return (await requireUserFetch(request, session)) ?? Response.json({ userId: session.userId });
      }
      await session.destroy();
      return new Response(null, { status: 204 });
    });
  },
};

describe.each(Object.entries(apps))('cookie-only mode, revocation store down (%s)', (_, build) => {
  const send = async (
    handler: (request: Request) => Response | Promise<Response>,
    method: string,
    path: string,
    cookie = '',
  ) =>
    handler(
      new Request(`https://app.example${path}`, {
        method,
        headers: { cookie, origin: 'https://app.example' },
      }),
    );

  it('answers 503 for a request with a cookie, and never logs it out', async () => {
    const revocations = flakyRevocations();
    const handler = build(revocations.store);
    const login = await send(handler, 'POST', '/login');
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect((await send(handler, 'GET', '/me', cookie)).status).toBe(200);

    revocations.state.down = true;
    const me = await send(handler, 'GET', '/me', cookie);
    expect(me.status).toBe(503);
    expect(me.headers.getSetCookie()).toEqual([]);
    const logout = await send(handler, 'POST', '/logout', cookie);
    expect(logout.status).toBe(503);
    expect(logout.headers.getSetCookie()).toEqual([]);

    revocations.state.down = false;
    expect(await (await send(handler, 'GET', '/me', cookie)).json()).toEqual({ userId: 'ada' });
  });
});
