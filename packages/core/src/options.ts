import { assertMethods } from './client-shape.js';
import { type CookieOptions, type ResolvedCookieOptions, resolveCookieOptions } from './cookie.js';
import { KeyRing } from './crypto.js';
import { hasUserIndex } from './devices.js';
import { invalidOption, refuseRenamedOptions } from './errors.js';
import type { RevocationStore } from './revocation.js';
import type { SessionData } from './session.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { SessionStore } from './store.js';

/** Options of `createSessions`. Every one is validated at construction; a bad one throws `INVALID_OPTION` naming it. */
export interface SessionsOptions<Data extends SessionData = SessionData> {
  /**
   * Where records live: `MemoryStore` or a store package (`@coatcheck/store-redis`, …). Omit it only
   * together with `cookieOnly: true`.
   * @default undefined (required unless `cookieOnly: true`)
   */
  store?: SessionStore;
  /**
   * Keep the whole session in the cookie, sealed with AES-256-GCM, and no server store. Nothing can then
   * be revoked from the server (log out everywhere, a stolen cookie): a copied cookie works until its
   * idle or absolute deadline. Sessions must stay small (4096-byte cookie limit).
   * @default false
   */
  cookieOnly?: boolean;
  /**
   * Cookie-only mode: where ended sessions are remembered, so a cookie copied before logout or before a
   * login's token change is refused (CVE-2024-31999), and a request in flight during a logout re-issues no
   * cookie and mints no new one. `revocationStoreFrom(store)` makes one from a shared `SessionStore` that
   * never evicts, `memoryRevocationStore()` one in this process. Costs one read per request with a session
   * cookie (and one per response re-issuing it), and holds only ids and deadlines, never session data.
   * "Log out everywhere" still needs a server store.
   * @default undefined (a logout clears the browser's cookie only: a copied cookie works until its sealed
   *   deadline, and a request in flight during the logout can send the logged-in cookie again)
   */
  revocationStore?: RevocationStore;
  /**
   * Key ring for signing (and, in cookie-only mode, sealing) cookies: the first signs, all verify. Each
   * at least 32 random bytes. To rotate, put the new secret first and keep the old one until its cookies
   * have been re-issued (on their next request, automatically) or have expired.
   * @default undefined (required)
   */
  secrets: string | readonly string[];
  /**
   * The session ends after this long without a request (sliding). Left unset with a shorter
   * `absoluteTimeoutSeconds`, it takes that value, since no session outlives its absolute deadline anyway.
   * @default 86400 (1 day), or `absoluteTimeoutSeconds` when that is shorter
   */
  idleTimeoutSeconds?: number;
  /** The session ends this long after login or creation, however active. @default 604800 (7 days) */
  absoluteTimeoutSeconds?: number;
  /**
   * A request that changes nothing writes to the store only when the idle deadline would move by at
   * least this much: one write per interval for a busy user, not one per request. The price is that
   * the idle deadline lags the last request by up to this much, so a session can end this much early.
   * The default keeps that lag under a tenth of the idle timeout (a 3 s idle timeout touches every
   * 0.3 s) and never above a minute, so a busy user costs at most one write a minute. Set explicitly,
   * it must be below `idleTimeoutSeconds`; `0` touches on every request.
   * @default min(60, idleTimeoutSeconds / 10)
   */
  touchIntervalSeconds?: number;
  /** Default window of `session.isFresh()`: how recent a login counts as fresh. @default 900 */
  freshnessSeconds?: number;
  /**
   * Keep at most this many sessions per user; a login evicts the oldest. Needs a store with the per-user
   * index (`listByUser` and `deleteByUser`), so not cookie-only mode.
   * @default undefined (no limit)
   */
  maxSessionsPerUser?: number;
  /** The session cookie. Secure, HttpOnly, SameSite=Lax and Path=/ by default. @default {} */
  cookie?: CookieOptions;
  /**
   * Standard Schema (zod, valibot, arktype…) that stored data must match on load. Data that fails is
   * treated as no session and reported as an `invalid-data` event.
   * @default undefined (no validation)
   */
  schema?: StandardSchemaV1<unknown, Data>;
  /**
   * `Cache-Control` sent with every response that sets or clears the cookie, so no shared cache keeps
   * one user's cookie for another. `false` leaves the header to the app.
   * @default 'no-store'
   */
  setCookieCacheControl?: string | false;
  /** How many times a save re-applies its changes after losing a race to another process. @default 8 */
  maxConflictRetries?: number;
  /** Clock (epoch ms); `manualClock()` from `@coatcheck/core/testing` gives tests one. @default Date.now */
  now?: () => number;
}

/** {@link SessionsOptions} after defaults and validation, in milliseconds. */
export interface ResolvedSessionsOptions<Data extends SessionData = SessionData> {
  /** `'server'`: records in `store`; `'cookie'`: sealed in the cookie. */
  mode: 'server' | 'cookie';
  /** Set in server mode only. */
  store: SessionStore | undefined;
  /** Set in cookie mode only, and only when configured. */
  revocationStore: RevocationStore | undefined;
  keys: KeyRing;
  cookie: ResolvedCookieOptions;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  touchIntervalMs: number;
  freshnessSeconds: number;
  maxSessionsPerUser: number | undefined;
  maxConflictRetries: number;
  schema: StandardSchemaV1<unknown, Data> | undefined;
  setCookieCacheControl: string | false;
  now: () => number;
}

const STORE_METHODS = ['create', 'get', 'replace', 'touch', 'delete'] as const;

const DEFAULTS = {
  idleTimeoutSeconds: 24 * 60 * 60,
  absoluteTimeoutSeconds: 7 * 24 * 60 * 60,
  /** The longest default touch interval; shorter idle timeouts get a tenth of theirs. */
  touchIntervalSeconds: 60,
  freshnessSeconds: 15 * 60,
  maxConflictRetries: 8,
};

/** Applies defaults and validates every option; throws `INVALID_OPTION` naming the bad one. */
export function resolveSessionsOptions<Data extends SessionData>(
  options: SessionsOptions<Data>,
): ResolvedSessionsOptions<Data> {
  if (!options || typeof options !== 'object') invalidOption('options', 'must be an object');
  refuseRenamedOptions(options, { cacheControl: 'setCookieCacheControl' });
  const cookie = resolveCookieOptions(options.cookie);
  const keys = new KeyRing(options.secrets);
  const absolute = positive(options, 'absoluteTimeoutSeconds');
  // Defaults follow the options the app did set, so setting one never makes an unset one invalid.
  const idle = positive(options, 'idleTimeoutSeconds', Math.min(DEFAULTS.idleTimeoutSeconds, absolute));
  if (idle > absolute) {
    invalidOption(
      'idleTimeoutSeconds',
      `must not exceed \`absoluteTimeoutSeconds\` (${idle} > ${absolute}${
        options.absoluteTimeoutSeconds == null ? ', its default' : ''
      })`,
    );
  }
  const touchInterval = positive(
    options,
    'touchIntervalSeconds',
    Math.min(DEFAULTS.touchIntervalSeconds, idle / 10),
    true,
  );
  if (touchInterval >= idle) {
    // A touch would only be due once the idle deadline had passed: active users would be logged out.
    invalidOption('touchIntervalSeconds', 'must be less than `idleTimeoutSeconds`');
  }
  const { mode, store, revocationStore } = resolveStorage(options);
  const maxConflictRetries = positive(options, 'maxConflictRetries', DEFAULTS.maxConflictRetries, true);
  if (!Number.isInteger(maxConflictRetries)) invalidOption('maxConflictRetries', 'must be a whole number');
  const { maxSessionsPerUser } = options;
  if (maxSessionsPerUser !== undefined) {
    if (!Number.isInteger(maxSessionsPerUser) || maxSessionsPerUser < 1) {
      invalidOption('maxSessionsPerUser', 'must be a whole number of at least 1');
    }
    if (!store) {
      invalidOption('maxSessionsPerUser', 'needs a server store: cookie-only sessions cannot be counted');
    }
    if (!hasUserIndex(store)) {
      invalidOption(
        'maxSessionsPerUser',
        'needs a store with the per-user index (listByUser and deleteByUser)',
      );
    }
  }
  if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
    invalidOption('schema', 'must be a Standard Schema (zod, valibot, arktype, …)');
  }
  const { setCookieCacheControl = 'no-store' } = options;
  if (
    setCookieCacheControl !== false &&
    (typeof setCookieCacheControl !== 'string' || /[\r\n]/.test(setCookieCacheControl))
  ) {
    invalidOption('setCookieCacheControl', 'must be a header value or false');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
  return {
    mode,
    store,
    revocationStore,
    keys,
    cookie,
    idleTimeoutMs: idle * 1000,
    absoluteTimeoutMs: absolute * 1000,
    touchIntervalMs: touchInterval * 1000,
    freshnessSeconds: positive(options, 'freshnessSeconds'),
    maxSessionsPerUser,
    maxConflictRetries,
    schema: options.schema,
    setCookieCacheControl,
    now,
  };
}

/** Server or cookie mode, and the stores each takes. */
function resolveStorage(
  options: Pick<SessionsOptions, 'store' | 'revocationStore' | 'cookieOnly'>,
): Pick<ResolvedSessionsOptions, 'mode' | 'store' | 'revocationStore'> {
  const { store, revocationStore, cookieOnly = false } = options;
  if (typeof cookieOnly !== 'boolean') invalidOption('cookieOnly', 'must be a boolean');
  if (cookieOnly) {
    if (store !== undefined) invalidOption('store', 'must be omitted with `cookieOnly: true`');
    if (revocationStore !== undefined) {
      assertMethods<RevocationStore>(revocationStore, 'revocationStore', ['revoke', 'isRevoked'], {
        expected: 'a RevocationStore',
        hint: 'wrap a shared SessionStore with revocationStoreFrom(store), or use memoryRevocationStore()',
      });
    }
    return { mode: 'cookie', store: undefined, revocationStore };
  }
  if (store === undefined) invalidOption('store', 'is required (or set `cookieOnly: true`)');
  if (revocationStore !== undefined) invalidOption('revocationStore', 'only applies with `cookieOnly: true`');
  assertMethods<SessionStore>(store, 'store', STORE_METHODS, { expected: 'a SessionStore' });
  if ((typeof store.listByUser === 'function') !== (typeof store.deleteByUser === 'function')) {
    invalidOption('store', 'must have both listByUser() and deleteByUser() (the per-user index), or neither');
  }
  return { mode: 'server', store, revocationStore: undefined };
}

function positive<K extends keyof typeof DEFAULTS>(
  options: Partial<Record<K, unknown>>,
  name: K,
  fallback: number = DEFAULTS[name],
  allowZero = false,
): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    invalidOption(name, `must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${String(value)})`);
  }
  return value;
}
