import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Context } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { csrfToken, verifyCsrfToken } from '../../src/csrf.js';
import {
  requireCsrfToken as expressCsrfGuard,
  requireUser as expressGuard,
  sessionMiddleware as expressSessions,
} from '../../src/express.js';
import {
  requireCsrfToken as fastifyCsrfGuard,
  requireUser as fastifyGuard,
  sessionPlugin,
} from '../../src/fastify.js';
import {
  requireCsrfToken as fetchCsrfGuard,
  requireUser as fetchGuard,
  withSession,
} from '../../src/fetch.js';
import {
  requireCsrfToken as honoCsrfGuard,
  requireUser as honoGuard,
  sessionMiddleware as honoSessions,
} from '../../src/hono.js';
import { createSessions, MemoryStore } from '../../src/index.js';
import {
  isCrossSiteRequest,
  isUnsafeMethod,
  resolveIntegrationOptions,
  type SessionPort,
  sessionPipeline,
  sessionWasRead,
  writeSessionHeaders,
} from '../../src/integration.js';
import { CSRF_KEY } from '../../src/session.js';
import { type WebResponse, webResponseHeaders } from '../../src/web.js';
import { createCartSessions, FlakyStore, SECRET } from './harness.js';

const sessions = createSessions({ store: new MemoryStore(), secrets: [SECRET] });

describe('integration options', () => {
  it.each([
    [{ originCheck: { trustedOrigins: ['https://app.example.com/path'] } }, 'originCheck.trustedOrigins[0]'],
    [{ originCheck: { trustedOrigins: ['app.example.com'] } }, 'originCheck.trustedOrigins[0]'],
    [{ originCheck: { trustedOrigins: ['https://ok.example', 'null'] } }, 'originCheck.trustedOrigins[1]'],
    [{ originCheck: { trustedOrigins: 'https://app.example.com' } }, 'originCheck.trustedOrigins'],
    [{ originCheck: { allowMissingOrigin: 'yes' } }, 'originCheck.allowMissingOrigin'],
    [{ originCheck: true }, 'originCheck'],
    [{ sessionCacheControl: 'private\r\nSet-Cookie: x=1' }, 'sessionCacheControl'],
    [{ onError: 'log' }, 'onError'],
  ])('refuses %j at construction, naming the option', (options, option) => {
    for (const create of [
      () => expressSessions(sessions, options as never),
      () => honoSessions(sessions, options as never),
      () => withSession(sessions, options as never),
    ]) {
      expect(create).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTION',
          message: expect.stringContaining(`\`${option}\``),
        }),
      );
    }
  });

  it.each([
    [{ csrf: { trustedOrigins: ['https://partner.example'] } }, 'csrf', 'originCheck'],
    [{ csrf: false }, 'csrf', 'originCheck'],
    [{ cacheControl: 'private, max-age=0' }, 'cacheControl', 'sessionCacheControl'],
  ])('refuses the old name in %j, naming the new one, in every framework', async (options, old, current) => {
    const renamed = expect.objectContaining({
      code: 'INVALID_OPTION',
      message: expect.stringContaining(`\`${old}\` was renamed to \`${current}\``),
    });
    for (const create of [
      () => expressSessions(sessions, options as never),
      () => honoSessions(sessions, options as never),
      () => withSession(sessions, options as never),
    ]) {
      expect(create).toThrow(renamed);
    }
    const app = Fastify();
    app.register(sessionPlugin, { sessions, ...options } as never);
    await expect(app.ready()).rejects.toThrow(renamed);
    await app.close();
  });

  it('refuses a missing session manager, and the Web options, at construction', () => {
    for (const create of [
      () => expressSessions(undefined as never),
      () => honoSessions({} as never),
      () => withSession(null as never),
    ]) {
      expect(create).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('`sessions`') }),
      );
    }
    for (const [options, option] of [
      [{ ip: '127.0.0.1' }, 'ip'],
      [{ trustProxy: 'yes' }, 'trustProxy'],
    ] as const) {
      for (const create of [
        () => honoSessions(sessions, options as never),
        () => withSession(sessions, options as never),
      ]) {
        expect(create).toThrow(
          expect.objectContaining({
            code: 'INVALID_OPTION',
            message: expect.stringContaining(`\`${option}\``),
          }),
        );
      }
    }
  });

  it('refuses bad guard options at construction', () => {
    expect(() => expressGuard({ redirectTo: 42 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => expressGuard({ verify: true as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it.each(['/login\r\nSet-Cookie: evil=1', '/login\n', '/login\u0000', '', '/login?\ud800'])(
    'refuses redirectTo %j when the guard is created, in every framework',
    async (redirectTo) => {
      const refused = expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('`redirectTo`'),
      });
      expect(() => expressGuard({ redirectTo })).toThrow(refused);
      expect(() => fastifyGuard({ redirectTo })).toThrow(refused);
      expect(() => honoGuard({ redirectTo })).toThrow(refused);
      const session = await sessions.load({});
      await expect(fetchGuard(new Request('http://localhost/'), session, { redirectTo })).rejects.toThrow(
        refused,
      );
    },
  );

  it('normalises trusted origins (case, default port, trailing slash)', () => {
    const settings = resolveIntegrationOptions({
      originCheck: { trustedOrigins: ['HTTPS://App.Example.com:443/'] },
    });
    expect([...(settings.originCheck?.trustedOrigins ?? [])]).toEqual(['https://app.example.com']);
  });

  it('marks the Fastify plugin as not encapsulated, so it applies to the whole instance', () => {
    expect((sessionPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true);
  });
});

describe('guards registered before the session middleware', () => {
  const isMiddlewareOrder = (guard: string) =>
    expect.objectContaining({ code: 'MIDDLEWARE_ORDER', message: expect.stringContaining(guard) });

  it('fail with MIDDLEWARE_ORDER, in every framework', async () => {
    const next = vi.fn();
    await expressGuard()({ originalUrl: '/' } as never, {} as never, next);
    await expressCsrfGuard()({ method: 'POST' } as never, {} as never, next);
    expect(next.mock.calls).toEqual([
      [isMiddlewareOrder('requireUser()')],
      [isMiddlewareOrder('requireCsrfToken()')],
    ]);

    const request = { method: 'POST', url: '/', session: null } as unknown as FastifyRequest;
    await expect(fastifyGuard()(request, {} as FastifyReply)).rejects.toThrow(
      isMiddlewareOrder('requireUser()'),
    );
    await expect(fastifyCsrfGuard()(request, {} as FastifyReply)).rejects.toThrow(
      isMiddlewareOrder('requireCsrfToken()'),
    );

    const c = {
      req: { method: 'POST', url: 'http://localhost/' },
      get: () => undefined,
    } as unknown as Context;
    await expect(honoGuard()(c, async () => {})).rejects.toThrow(isMiddlewareOrder('requireUser()'));
    await expect(honoCsrfGuard()(c, async () => {})).rejects.toThrow(isMiddlewareOrder('requireCsrfToken()'));

    await expect(fetchGuard(new Request('http://localhost/'), undefined as never)).rejects.toThrow(
      isMiddlewareOrder('requireUser()'),
    );
    await expect(
      fetchCsrfGuard(new Request('http://localhost/', { method: 'POST' }), undefined as never),
    ).rejects.toThrow(isMiddlewareOrder('requireCsrfToken()'));
  });
});

describe('requireUser', () => {
  it('refuses a session without a user before asking verify', async () => {
    const verify = vi.fn(() => true);
    const anonymous = await sessions.load({});
    const refused = await fetchGuard(new Request('http://localhost/account'), anonymous, { verify });
    expect(refused?.status).toBe(401);
    expect(verify).not.toHaveBeenCalled();
  });

  it('lets verify refuse a logged-in user, and passes the path and query to redirectTo', async () => {
    const session = await sessions.load({});
    await session.login('ada');
    const request = new Request('http://localhost/admin?tab=2');
    expect(await fetchGuard(request, session, { verify: () => true })).toBeNull();
    const refused = await fetchGuard(request, session, {
      verify: async () => false,
      redirectTo: (url) => `/login?next=${encodeURIComponent(url)}`,
    });
    expect(refused?.status).toBe(303);
    expect(refused?.headers.get('location')).toBe('/login?next=%2Fadmin%3Ftab%3D2');
  });

  it('percent-encodes the non-ASCII characters of a redirectTo string, and nothing else', async () => {
    const refused = await fetchGuard(new Request('http://localhost/konto'), await sessions.load({}), {
      redirectTo: '/anmelden?zurück=%2Fkonto&x=€',
    });
    expect(refused?.status).toBe(303);
    expect(refused?.headers.get('location')).toBe('/anmelden?zur%C3%BCck=%2Fkonto&x=%E2%82%AC');
  });

  it('answers 401 when a redirectTo function returns what cannot be a Location, and reports it', async () => {
    const errors: unknown[] = [];
    const handler = withSession(sessions, { onError: (error) => errors.push(error) });
    for (const location of ['/a\r\nb', '/\ud800', '', 42]) {
      const guarded = handler(
        async (request, session) =>
          (await fetchGuard(request, session, { redirectTo: () => location as string })) ??
          new Response('in'),
      );
      const response = await guarded(new Request('http://localhost/'));
      expect(response.status).toBe(401);
      expect(response.headers.get('location')).toBeNull();
    }
    expect(errors).toEqual(Array(4).fill(expect.objectContaining({ code: 'INVALID_ARGUMENT' })));
  });
});

describe('the pipeline', () => {
  const port: SessionPort<Request, WebResponse> = {
    method: (request) => request.method,
    header: (request, name) => request.headers.get(name),
    ownOrigin: (request) => new URL(request.url).origin,
    ip: () => null,
    ...webResponseHeaders,
  };

  it('commits a session that changed nothing without a promise or a store call, headers written at once', async () => {
    const commit = vi.spyOn(sessions, 'commit');
    const open = sessionPipeline(sessions, {}, port);
    const fresh = await open(new Request('http://localhost/'));
    if ('status' in fresh) throw new Error('expected a session');
    fresh.session.set('n', 1);
    const created = { headers: new Headers() };
    expect(fresh.commit(created)).toBeInstanceOf(Promise);
    await fresh.commit(created);
    const cookie = created.headers.getSetCookie()[0]?.split(';')[0] as string;
    commit.mockClear();

    for (const request of [
      new Request('http://localhost/'),
      new Request('http://localhost/', { headers: { cookie } }),
    ]) {
      const opened = await open(request);
      if ('status' in opened) throw new Error('expected a session');
      const response = { headers: new Headers() };
      expect(opened.commit(response)).toBeUndefined();
      const carried = request.headers.has('cookie');
      expect(response.headers.get('cache-control')).toBe(carried ? 'private, no-store' : null);
      expect(response.headers.get('vary')).toBe(carried ? 'Cookie' : null);
    }
    expect(commit).not.toHaveBeenCalled();
    commit.mockRestore();
  });

  it('answers a cross-site unsafe request and a store outage itself, never caching either', async () => {
    const store = new FlakyStore();
    const errors: unknown[] = [];
    const flaky = createCartSessions(store);
    const open = sessionPipeline(flaky, { onError: (error) => errors.push(error) }, port);
    const crossSite = await open(
      new Request('http://localhost/', { method: 'POST', headers: { origin: 'https://evil.example' } }),
    );
    expect(crossSite).toMatchObject({ status: 403, headers: { 'cache-control': 'no-store' } });

    const first = await open(new Request('http://localhost/'));
    if ('status' in first) throw new Error('expected a session');
    first.session.set('cart', []);
    const created = { headers: new Headers() };
    await first.commit(created);
    store.mode = 'down';
    const cookie = created.headers.getSetCookie()[0]?.split(';')[0] as string;
    const outage = await open(new Request('http://localhost/', { headers: { cookie } }));
    expect(outage).toMatchObject({ status: 503, headers: { 'cache-control': 'no-store' } });
    expect(errors).toEqual([expect.objectContaining({ code: 'STORE_ERROR' })]);
  });
});

describe('Origin check', () => {
  const settings = resolveIntegrationOptions({
    originCheck: { trustedOrigins: ['https://partner.example'] },
  });
  const check = (facts: Partial<Parameters<typeof isCrossSiteRequest>[1]>) =>
    isCrossSiteRequest(settings.originCheck as NonNullable<typeof settings.originCheck>, {
      ownOrigin: 'https://shop.example',
      origin: undefined,
      referer: undefined,
      secFetchSite: undefined,
      ...facts,
    });

  it('compares whole origins: scheme, host and port', () => {
    expect(check({ origin: 'https://shop.example' })).toBe(false);
    expect(check({ origin: 'http://shop.example' })).toBe(true);
    expect(check({ origin: 'https://shop.example:8443' })).toBe(true);
    expect(check({ origin: 'https://shop.example.evil.example' })).toBe(true);
    expect(check({ origin: 'https://sub.shop.example' })).toBe(true);
    expect(check({ origin: 'https://partner.example' })).toBe(false);
  });

  it('refuses what it cannot parse', () => {
    expect(check({ origin: 'not a url' })).toBe(true);
    expect(check({ referer: '/relative/path' })).toBe(true);
    expect(check({ origin: 'https://shop.example', ownOrigin: null })).toBe(true);
  });

  it('lets Origin decide over Referer and Sec-Fetch-Site', () => {
    expect(check({ origin: 'https://evil.example', referer: 'https://shop.example/page' })).toBe(true);
    expect(check({ origin: 'https://shop.example', secFetchSite: 'cross-site' })).toBe(false);
  });

  it('treats every method but GET, HEAD and OPTIONS as unsafe', () => {
    for (const method of ['GET', 'head', 'OPTIONS']) expect(isUnsafeMethod(method)).toBe(false);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      expect(isUnsafeMethod(method)).toBe(true);
    }
  });
});

describe('response headers', () => {
  it('adds Cookie to an existing Vary once, and leaves Vary: * alone', () => {
    for (const [before, after] of [
      ['Accept-Encoding', 'Accept-Encoding, Cookie'],
      ['accept-encoding, cookie', 'accept-encoding, cookie'],
      ['*', '*'],
      ['Cookie-Consent', 'Cookie-Consent, Cookie'],
    ]) {
      const headers = new Headers({ vary: before as string });
      writeSessionHeaders(
        webResponseHeaders,
        { headers },
        [],
        { personal: true, read: false },
        'private, no-store',
      );
      expect(headers.get('vary')).toBe(after);
    }
  });
});

describe('what counts as depending on the session', () => {
  it('is any read the app makes: isNew and isDirty, its data, user or times', async () => {
    const reads: Array<(session: Awaited<ReturnType<typeof sessions.load>>) => unknown> = [
      (session) => session.isNew,
      (session) => session.isDirty,
      (session) => session.get('cart'),
      (session) => session.data,
      (session) => session.userId,
      (session) => session.expiresAt,
      (session) => session.isFresh(),
      (session) => session.consumeFlash('notice'),
      (session) => verifyCsrfToken(session, 'x'),
    ];
    for (const read of reads) {
      const session = await sessions.load({});
      expect(sessionWasRead(session)).toBe(false);
      read(session);
      expect(sessionWasRead(session), String(read)).toBe(true);
    }
  });
});

describe('CSRF token', () => {
  it('is stored under the internal key, and verifies only in its own session', async () => {
    const session = await sessions.load({});
    expect(verifyCsrfToken(session, 'anything')).toBe(false);
    const token = csrfToken(session);
    expect(session.isDirty).toBe(true);
    expect(session.data).not.toHaveProperty(CSRF_KEY);
    expect(token).toMatch(/^[\w-]{86}$/);
    expect(verifyCsrfToken(session, token)).toBe(true);

    const cookie = (await sessions.commit(session)).headers[0]?.[1].split(';')[0];
    expect(verifyCsrfToken(await sessions.load({ cookie }), token)).toBe(true);

    const other = await sessions.load({});
    csrfToken(other);
    expect(verifyCsrfToken(other, token)).toBe(false);
  });

  it('masks each token differently, and refuses malformed ones', async () => {
    const session = await sessions.load({});
    const tokens = new Set(Array.from({ length: 5 }, () => csrfToken(session)));
    expect(tokens.size).toBe(5);
    for (const token of tokens) expect(verifyCsrfToken(session, token)).toBe(true);
    const [token] = [...tokens] as [string];
    for (const bad of [
      undefined,
      null,
      42,
      ['x'],
      '',
      token.slice(0, 43),
      `${token}AA`,
      `${token.slice(0, -1)}!`,
    ]) {
      expect(verifyCsrfToken(session, bad)).toBe(false);
    }
  });
});
