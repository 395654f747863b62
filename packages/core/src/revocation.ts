import { CoatcheckError, invalidOption } from './errors.js';
import type { SessionRecord, SessionStore } from './store.js';

/**
 * Where cookie-only mode remembers ended sessions (the `revocationStore` option), so a copy of a cookie
 * taken before logout, or before a login's token change, is refused (CVE-2024-31999). It holds session ids
 * and deadlines only, never session data. {@link revocationStoreFrom} makes one from any `SessionStore`.
 */
export interface RevocationStore {
  /**
   * Remembers that `sessionId` has ended, at least until `untilEpochMs`: the ended session's own sealed
   * deadline, after which no copy of its cookie opens anyway. Revoking an id twice is not an error.
   */
  revoke(sessionId: string, untilEpochMs: number): Promise<void>;
  /** `true` when `sessionId` was revoked and its `untilEpochMs` has not passed. Called once per request with a cookie. */
  isRevoked(sessionId: string): Promise<boolean>;
  /** Releases what the revocation store owns; `sessions.close()` calls it. */
  close?(): Promise<void>;
}

/**
 * A {@link RevocationStore} over any `SessionStore` (Redis, SQL, MongoDB, memory): each revoked id is a
 * tombstone record with no user and no data, which the store expires at `untilEpochMs` like any record.
 * Its `close()` closes the store.
 *
 * ```ts
 * createSessions({ cookieOnly: true, revocationStore: revocationStoreFrom(redisStore), secrets });
 * ```
 *
 * @throws `INVALID_ARGUMENT` when `store` lacks `create()` or `get()`; `INVALID_OPTION` naming a bad option.
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
      // `false` means a live tombstone already holds the id: revoked already, nothing to do.
      await store.create(sessionId, tombstone);
    },
    async isRevoked(sessionId) {
      return (await store.get(sessionId)) !== null;
    },
    async close() {
      await store.close?.();
    },
  };
}
