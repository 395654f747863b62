import { describe, expect, it } from 'vitest';
import { csrfToken, verifyCsrfToken } from '../../src/csrf.js';
import { requireSession as expressGuard, sessionMiddleware as expressSessions } from '../../src/express.js';
import { sessionPlugin } from '../../src/fastify.js';
import { withSession } from '../../src/fetch.js';
import { sessionMiddleware as honoSessions } from '../../src/hono.js';
import { createSessions, MemoryStore } from '../../src/index.js';
import {
  isCrossSiteRequest,
  resolveIntegrationOptions,
  webHeaderTarget,
  writeSessionHeaders,
} from '../../src/integration.js';
import { CSRF_KEY, internalsOf, readInternal } from '../../src/session.js';
import { SECRET } from './harness.js';

const sessions = createSessions({ store: new MemoryStore(), secrets: [SECRET] });

describe('integration options', () => {
  it.each([
    [{ csrf: { trustedOrigins: ['https://app.example.com/path'] } }, 'csrf.trustedOrigins[0]'],
    [{ csrf: { trustedOrigins: ['app.example.com'] } }, 'csrf.trustedOrigins[0]'],
    [{ csrf: { trustedOrigins: ['https://ok.example', 'null'] } }, 'csrf.trustedOrigins[1]'],
    [{ csrf: { trustedOrigins: 'https://app.example.com' } }, 'csrf.trustedOrigins'],
    [{ csrf: { allowMissingOrigin: 'yes' } }, 'csrf.allowMissingOrigin'],
    [{ csrf: true }, 'csrf'],
    [{ cacheControl: 'private\r\nSet-Cookie: x=1' }, 'cacheControl'],
    [{ onError: 'log' }, 'onError'],
  ])('refuses %j at construction, naming the option', (options, option) => {
    for (const create of [
      () => expressSessions(sessions, options as never),
      () => honoSessions(sessions, options as never),
      () => withSession(sessions, options as never),
    ]) {
      expect(create).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(option) }),
      );
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

  it('normalises trusted origins (case, default port, trailing slash)', () => {
    const settings = resolveIntegrationOptions({
      csrf: { trustedOrigins: ['HTTPS://App.Example.com:443/'] },
    });
    expect([...(settings.trustedOrigins ?? [])]).toEqual(['https://app.example.com']);
  });

  it('marks the Fastify plugin as not encapsulated, so it applies to the whole instance', () => {
    expect((sessionPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true);
  });
});

describe('Origin check', () => {
  const settings = resolveIntegrationOptions({ csrf: { trustedOrigins: ['https://partner.example'] } });
  const check = (facts: Partial<Parameters<typeof isCrossSiteRequest>[1]>) =>
    isCrossSiteRequest(settings, {
      method: 'POST',
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
    for (const method of ['GET', 'head', 'OPTIONS'])
      expect(check({ method, origin: 'https://evil.example' })).toBe(false);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      expect(check({ method, origin: 'https://evil.example' })).toBe(true);
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
      writeSessionHeaders(webHeaderTarget(headers), [], { carried: true, read: false }, 'private, no-store');
      expect(headers.get('vary')).toBe(after);
    }
  });
});

describe('what counts as depending on the session', () => {
  it('is any read of its data, user or times, not the integrations’ isNew and isDirty', async () => {
    const reads: Array<(session: Awaited<ReturnType<typeof sessions.load>>) => unknown> = [
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
      void session.isNew;
      void session.isDirty;
      expect(internalsOf(session).wasRead).toBe(false);
      read(session);
      expect(internalsOf(session).wasRead, String(read)).toBe(true);
    }
  });
});

describe('CSRF token', () => {
  it('is stored under the internal key, and verifies only in its own session', async () => {
    const session = await sessions.load({});
    expect(verifyCsrfToken(session, 'anything')).toBe(false);
    const token = csrfToken(session);
    expect(session.isDirty).toBe(true);
    expect(readInternal(internalsOf(session), CSRF_KEY)).toMatchObject({ userId: null });
    expect(token).toMatch(/^[\w-]{86}$/);
    expect(verifyCsrfToken(session, token)).toBe(true);

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
