import { describe, expect, it } from 'vitest';
import { resolveCookieOptions, serializeCookie } from '../src/cookie.js';
import { createSessions, MemoryStore } from '../src/index.js';
import { SECRET } from './helpers.js';

const store = new MemoryStore();

/** The store's methods as a plain object, so one can be left out. */
function methodsOf(target: MemoryStore): Record<string, unknown> {
  const names = ['create', 'get', 'replace', 'touch', 'delete', 'listByUser', 'deleteByUser'] as const;
  return Object.fromEntries(names.map((name) => [name, target[name].bind(target)]));
}

/** A key-value store without the optional per-user index. */
function indexless(): Record<string, unknown> {
  const { listByUser: _list, deleteByUser: _delete, ...rest } = methodsOf(store);
  return rest;
}

function configError(options: Record<string, unknown>) {
  try {
    createSessions({ store, secrets: [SECRET], ...options } as never);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected createSessions to throw');
}

describe('configuration fails at start, naming the option', () => {
  it.each([
    [{ secrets: ['short'] }, 'secrets[0]', '5 bytes'],
    [{ secrets: [SECRET, 'x'.repeat(31)] }, 'secrets[1]', '31 bytes'],
    [{ secrets: [] }, 'secrets', 'at least one'],
    [{ store: {} }, 'store', 'create()'],
    [{ idleTimeoutSeconds: 0 }, 'idleTimeoutSeconds', 'positive'],
    [{ idleTimeoutSeconds: 100, absoluteTimeoutSeconds: 50 }, 'idleTimeoutSeconds', 'absoluteTimeoutSeconds'],
    [{ touchIntervalSeconds: -1 }, 'touchIntervalSeconds', 'non-negative'],
    [{ idleTimeoutSeconds: 300, touchIntervalSeconds: 300 }, 'touchIntervalSeconds', 'less than'],
    // The old default interval, now given explicitly: still refused, and named.
    [{ idleTimeoutSeconds: 30, touchIntervalSeconds: 60 }, 'touchIntervalSeconds', 'less than'],
    [{ idleTimeoutSeconds: 3, touchIntervalSeconds: 3 }, 'touchIntervalSeconds', 'less than'],
    [{ idleTimeoutSeconds: 700000 }, 'idleTimeoutSeconds', '700000 > 604800, its default'],
    [{ maxConflictRetries: 1.5 }, 'maxConflictRetries', 'whole number'],
    [{ store: undefined, cookieOnly: true, maxSessionsPerUser: 2 }, 'maxSessionsPerUser', 'server store'],
    [{ cookie: { name: '__host-sid', secure: false } }, 'cookie.name', '__Host-'],
    [{ revocationStore: new MemoryStore() }, 'revocationStore', 'cookieOnly'],
    [{ store: undefined, cookieOnly: true, revocationStore: {} }, 'revocationStore', 'revoke()'],
    [
      { store: undefined, cookieOnly: true, revocationStore: store },
      'revocationStore',
      'revocationStoreFrom',
    ],
    [{ store: undefined, cookieOnly: 'yes' }, 'cookieOnly', 'boolean'],
    [
      { store: { ...methodsOf(store), deleteByUser: undefined } },
      'store',
      'both listByUser() and deleteByUser()',
    ],
    [{ store: indexless(), maxSessionsPerUser: 2 }, 'maxSessionsPerUser', 'per-user index'],
    [{ maxSessionsPerUser: 0 }, 'maxSessionsPerUser', 'at least 1'],
    [{ schema: {} }, 'schema', 'Standard Schema'],
    [{ setCookieCacheControl: 'no-store\r\nX-Evil: 1' }, 'setCookieCacheControl', 'header value'],
    // The old name: ignored, the app's cache policy would be dropped without a word.
    [{ cacheControl: 'no-cache' }, 'cacheControl', 'renamed to `setCookieCacheControl`'],
    [{ cacheControl: false }, 'cacheControl', 'renamed to `setCookieCacheControl`'],
    [{ cookie: { name: 'a=b' } }, 'cookie.name', 'token'],
    [{ cookie: { name: 'a;b' } }, 'cookie.name', 'token'],
    [{ cookie: { path: '/; Domain=evil.example' } }, 'cookie.path', '";"'],
    [{ cookie: { domain: 'evil.example; Secure' } }, 'cookie.domain', 'host name'],
    [{ cookie: { sameSite: 'Lax; Domain=evil' } }, 'cookie.sameSite', "'lax'"],
    [{ cookie: { sameSite: 'none', secure: false } }, 'cookie.sameSite', 'secure'],
    [{ cookie: { priority: 'urgent' } }, 'cookie.priority', "'low'"],
    [{ cookie: { name: '__Host-sid', domain: 'example.com' } }, 'cookie.name', '__Host-'],
    [{ cookie: { name: '__Host-sid', secure: false } }, 'cookie.name', '__Host-'],
    [{ cookie: { name: '__Secure-sid', secure: false } }, 'cookie.name', '__Secure-'],
  ])('%j → %s', (options, option, detail) => {
    const error = configError(options);
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain(`\`${option}\``);
    expect(error.message).toContain(detail);
  });

  it('derives the defaults of unset timeouts from the ones that are set, so they never conflict', () => {
    for (const options of [
      { idleTimeoutSeconds: 60 },
      { idleTimeoutSeconds: 30 },
      { idleTimeoutSeconds: 3 },
      { idleTimeoutSeconds: 0.5 },
      { absoluteTimeoutSeconds: 7 },
      { absoluteTimeoutSeconds: 3600 },
      { idleTimeoutSeconds: 3, absoluteTimeoutSeconds: 7 },
      { idleTimeoutSeconds: 30, touchIntervalSeconds: 0 },
    ]) {
      expect(
        () => createSessions({ store, secrets: [SECRET], ...options }),
        JSON.stringify(options),
      ).not.toThrow();
    }
  });

  it('accepts a single secret string and the __Host- prefix', () => {
    expect(() => createSessions({ store, secrets: SECRET, cookie: { name: '__Host-sid' } })).not.toThrow();
  });
});

describe('cookie serialisation', () => {
  it('refuses to emit a cookie over 4096 bytes, saying how big it was', () => {
    const options = resolveCookieOptions();
    expect(() => serializeCookie(options, 'v'.repeat(5000), null)).toThrow(/5017 bytes/);
    expect(() => serializeCookie(options, 'v'.repeat(5000), null)).toThrow(
      expect.objectContaining({ code: 'COOKIE_TOO_LARGE' }),
    );
  });

  it('caps the lifetime at 400 days', () => {
    const now = Date.UTC(2026, 0, 1);
    const cookie = serializeCookie(resolveCookieOptions(), 'v', now + 1000 * 24 * 3600 * 1000, now);
    expect(cookie).toContain(`Max-Age=${400 * 24 * 3600}`);
  });

  it('lets the cookie last until the deadline, rounding up to the next second, never down', () => {
    const now = Date.UTC(2026, 0, 1);
    const cookie = serializeCookie(resolveCookieOptions(), 'v', now + 6995, now);
    expect(cookie).toContain('Max-Age=7;');
    expect(cookie).toContain(`Expires=${new Date(now + 7000).toUTCString()}`);
  });

  it('writes a browser-session cookie when not persistent, and the chosen attributes', () => {
    const options = resolveCookieOptions({
      persistent: false,
      sameSite: 'strict',
      domain: 'example.com',
      partitioned: true,
      priority: 'high',
    });
    expect(serializeCookie(options, 'v', null)).toBe(
      'coatcheck=v; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Strict; Partitioned; Priority=High',
    );
  });

  it('drops Secure only when the app opts into plain http explicitly', () => {
    expect(serializeCookie(resolveCookieOptions({ secure: false }), 'v', null)).not.toContain('Secure');
    expect(serializeCookie(resolveCookieOptions({}), 'v', null)).toContain('Secure');
  });

  it('refuses values with characters that would break the header', () => {
    expect(() => serializeCookie(resolveCookieOptions(), 'a;b', null)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
