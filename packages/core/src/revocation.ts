import { CoatcheckError, invalidOption } from './errors.js';
import { EVICTS_LIVE_RECORDS } from './memory-store.js';
import type { SessionRecord, SessionStore } from './store.js';

/**
 * Where cookie-only mode remembers ended sessions (the `revocationStore` option), so a copy of a cookie
 * taken before logout, or before a login's token change, is refused (CVE-2024-31999). It holds session ids
 * and deadlines only, never session data. {@link revocationStoreFrom} makes one from a shared
 * `SessionStore`, {@link memoryRevocationStore} one in this process's memory.
 *
 * A revocation must never be forgotten before its deadline: one dropped early (evicted to make room) lets
 * the revoked cookie open again. So a store that evicts live records is no place for them.
 */
export interface RevocationStore {
  /**
   * Remembers that `sessionId` has ended, at least until `untilEpochMs`: the ended session's own sealed
   * deadline, after which no copy of its cookie opens anyway. Revoking an id twice is not an error.
   * @returns optionally, `false` when `sessionId` was revoked already (by a logout racing a login's or
   *   regenerate's token change, which then gives up instead of issuing a new id), `true` otherwise.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a store written for `Promise<void>` must still fit.
  revoke(sessionId: string, untilEpochMs: number): Promise<boolean | void>;
  /** `true` when `sessionId` was revoked and its `untilEpochMs` has not passed. Called once per request with a cookie. */
  isRevoked(sessionId: string): Promise<boolean>;
  /** Releases what the revocation store owns; `sessions.close()` calls it. */
  close?(): Promise<void>;
}

/**
 * A {@link RevocationStore} over a shared `SessionStore` (Redis, SQL, MongoDB): each revoked id is a
 * tombstone record with no user and no data, which the store expires at `untilEpochMs` like any record.
 * The store must not evict records early: Redis with `maxmemory` needs `maxmemory-policy noeviction`
 * (every tombstone has a TTL, so `volatile-*` policies would evict them too). Its `close()` closes the store.
 *
 * ```ts
 * createSessions({ cookieOnly: true, revocationStore: revocationStoreFrom(redisStore), secrets });
 * ```
 *
 * @throws `INVALID_ARGUMENT` when `store` lacks `create()` or `get()`, or is a `MemoryStore`, which evicts
 *   records at its cap (use {@link memoryRevocationStore} in one process); `INVALID_OPTION` naming a bad option.
 */
export function revocationStoreFrom(
  store: SessionStore,
  options: {
    /**
     * Clock (epoch ms) the tombstones are stamped with. Give it the clock you gave `createSessions` and
     * the store, so all three agree on when a session ended.
     * @default Date.now
     */
    now?: () => number;
  } = {},
): RevocationStore {
  if ((store as { [EVICTS_LIVE_RECORDS]?: unknown } | null)?.[EVICTS_LIVE_RECORDS] === true) {
    throw new CoatcheckError(
      'INVALID_ARGUMENT',
      'revocationStoreFrom(store) refuses a MemoryStore: it evicts records at its maxSessions cap, and an ' +
        'evicted tombstone lets a revoked cookie open again. Use memoryRevocationStore() in one process, ' +
        'or a shared store that never evicts (Redis with maxmemory-policy noeviction, SQL, MongoDB)',
    );
  }
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const { now = Date.now } = options;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
  for (const method of ['create', 'get'] as const) {
    if (typeof (store as Partial<SessionStore> | null | undefined)?.[method] !== 'function') {
      throw new CoatcheckError(
        'INVALID_ARGUMENT',
        `revocationStoreFrom(store) needs a SessionStore (it has no ${method}() method)`,
      );
    }
  }
  return {
    async revoke(sessionId, untilEpochMs) {
      const at = now();
      const tombstone: SessionRecord = {
        data: {},
        userId: null,
        createdAt: at,
        lastSeenAt: at,
        authenticatedAt: null,
        idleExpiresAt: untilEpochMs,
        absoluteExpiresAt: untilEpochMs,
        version: 1,
        ip: null,
        userAgent: null,
      };
      // `false`: a live tombstone holds the id already — revoked already.
      return store.create(sessionId, tombstone);
    },
    async isRevoked(sessionId) {
      return (await store.get(sessionId)) !== null;
    },
    async close() {
      await store.close?.();
    },
  };
}

/** Options of {@link memoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /**
   * At most this many revocations are held at once (about 120 bytes each). None is ever dropped before its
   * deadline: at the cap the expired ones are swept, and if it is still full `revoke()` fails with
   * `STORE_ERROR` — the logout or login fails visibly (503) instead of a revoked cookie opening again.
   * Size it for the token changes your users make within one absolute timeout: every logout, login and
   * regenerate revokes one id, until that session's absolute deadline.
   * @default 100000
   */
  maxEntries?: number;
  /** Clock (epoch ms), for tests; give `createSessions` the same one. @default Date.now */
  now?: () => number;
}

/** A {@link RevocationStore} in this process's memory. */
export interface MemoryRevocationStore extends RevocationStore {
  /** How many revocations are held, expired ones included until they are swept. */
  readonly size: number;
}

/**
 * A {@link RevocationStore} in this process's memory, for a cookie-only app that runs as one process:
 * revocations are lost on restart and not shared between processes (use {@link revocationStoreFrom} with
 * a shared store for that). It never evicts: see `maxEntries`.
 * @throws `INVALID_OPTION` for a `maxEntries` that is not a whole number of at least 1.
 */
export function memoryRevocationStore(options: MemoryRevocationStoreOptions = {}): MemoryRevocationStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    invalidOption('maxEntries', 'must be a whole number of at least 1');
  }
  const now = options.now ?? Date.now;
  const until = new Map<string, number>();
  // A full store sweeps again only once something in it can have expired, so a flood at the cap costs
  // each refused revocation O(1), not a scan.
  let nextExpiry = Number.POSITIVE_INFINITY;
  const sweep = () => {
    const at = now();
    nextExpiry = Number.POSITIVE_INFINITY;
    for (const [id, deadline] of until) {
      if (deadline <= at) until.delete(id);
      else nextExpiry = Math.min(nextExpiry, deadline);
    }
  };
  return {
    get size() {
      return until.size;
    },
    async revoke(sessionId, untilEpochMs) {
      const known = until.get(sessionId);
      if (known === undefined && until.size >= maxEntries && now() >= nextExpiry) sweep();
      if (known === undefined && until.size >= maxEntries) {
        throw new CoatcheckError(
          'STORE_ERROR',
          `memoryRevocationStore is full (maxEntries ${maxEntries}, none expired): refusing to forget a ` +
            'revocation before its deadline; raise maxEntries or use a shared store',
        );
      }
      until.set(sessionId, Math.max(known ?? 0, untilEpochMs));
      nextExpiry = Math.min(nextExpiry, untilEpochMs);
      return known === undefined;
    },
    async isRevoked(sessionId) {
      const deadline = until.get(sessionId);
      if (deadline === undefined) return false;
      if (deadline > now()) return true;
      until.delete(sessionId);
      return false;
    },
    async close() {},
  };
}
