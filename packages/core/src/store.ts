/**
 * The contract between Coatcheck's session lifecycle and a storage backend.
 *
 * Required: `create`, `get`, `replace`, `touch`, `delete` — any key-value backend with an atomic
 * compare-and-set can provide them.
 * Optional: the per-user index, `listByUser` and `deleteByUser`, implemented together or not at all. It is
 * what device lists, revocation and the per-user cap need; without it `sessions.listForUser()`, `revoke()`
 * and `revokeAll()` throw `UNSUPPORTED` and the `maxSessionsPerUser` option is refused at construction.
 * Also optional: `deleteExpired` (backends without native expiry) and `close`.
 *
 * Stores are deliberately dumb: the lifecycle (tokens, timeouts, conflict resolution, cookies) lives in
 * core. A store only has to make each method atomic on its backend. Ids are always
 * `base64url(SHA-256(token))`: a store never sees a token, so a leaked database yields no usable session.
 */
export interface SessionStore {
  /**
   * Writes `record` under `id` only if no live record has that id.
   * @returns `true` when written, `false` when a live record already holds the id (nothing changed).
   */
  create(id: string, record: SessionRecord): Promise<boolean>;

  /**
   * Reads a record. A record past {@link recordExpiresAt} reads as `null` whether or not the backend has
   * deleted it yet.
   */
  get(id: string): Promise<SessionRecord | null>;

  /**
   * Compare-and-set: replaces the record only if it exists, is live, and its `version` is still
   * `expectedVersion`. The caller passes `record.version === expectedVersion + 1`.
   * Never re-creates a missing record, so a destroyed session cannot be resurrected by a late save.
   * @returns `true` when replaced; `false` on a version mismatch or a missing/expired record.
   */
  replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean>;

  /**
   * Slides a live record's idle deadline without rewriting its data or changing its `version`
   * (a touch never conflicts with a concurrent save). Never re-creates a missing record.
   * @returns `true` when the record was live and updated.
   */
  touch(id: string, update: TouchUpdate): Promise<boolean>;

  /** Deletes one record. Deleting a missing record is not an error. */
  delete(id: string): Promise<void>;

  /**
   * Per-user index, optional (with {@link SessionStore.deleteByUser}): lists the live records bound to
   * `userId` (any order). Expired entries are never returned. Match `userId` exactly: a backend whose
   * comparison ignores case or trailing spaces must filter its results.
   */
  listByUser?(userId: string): Promise<StoredSession[]>;

  /**
   * Per-user index, optional (with {@link SessionStore.listByUser}): deletes every record bound to
   * `userId` (matched exactly, as there), except the one whose id is `options.exceptId`.
   * @returns how many live records were deleted.
   */
  deleteByUser?(userId: string, options?: { exceptId?: string }): Promise<number>;

  /**
   * Deletes expired records. Only backends without native expiry need it; core never calls it on the
   * request path — run it from a timer or a cron job.
   * @returns how many records were deleted.
   */
  deleteExpired?(): Promise<number>;

  /** Releases resources the store owns (timers). Never closes a client the user passed in. */
  close?(): Promise<void>;
}

/**
 * What a store keeps per session. All timestamps are epoch milliseconds.
 * `data` must survive a JSON round trip; stores serialise it as JSON.
 */
export interface SessionRecord {
  /** The application's data (JSON). */
  data: Record<string, unknown>;
  /** The user the session is bound to after login, or `null` for an anonymous session. */
  userId: string | null;
  /** When the session was created (epoch ms). */
  createdAt: number;
  /** When a request last used the session, to within the touch interval (epoch ms). */
  lastSeenAt: number;
  /** When the user last authenticated in this session, or `null` (epoch ms). */
  authenticatedAt: number | null;
  /** Sliding deadline: the session dies if unused until then (epoch ms). */
  idleExpiresAt: number;
  /** Hard deadline from creation, never extended (epoch ms). */
  absoluteExpiresAt: number;
  /** Incremented by every `replace`; starts at 1. */
  version: number;
  /** Client IP when the session was created or last authenticated, for "your devices" screens. */
  ip: string | null;
  /** Client user agent when the session was created or last authenticated. */
  userAgent: string | null;
}

/** A record together with its store id, as returned by {@link SessionStore.listByUser}. */
export interface StoredSession {
  /** The store id: `base64url(SHA-256(token))`. */
  id: string;
  record: SessionRecord;
}

/** The fields {@link SessionStore.touch} writes. */
export interface TouchUpdate {
  /** New sliding deadline (epoch ms). */
  idleExpiresAt: number;
  /** New last-seen time (epoch ms). */
  lastSeenAt: number;
}

/** When a record stops being live: the earlier of its idle and absolute deadlines (epoch ms). */
export function recordExpiresAt(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}

/** True when the record is past its deadline at `nowMs`. */
export function isExpired(
  record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>,
  nowMs: number = Date.now(),
): boolean {
  return recordExpiresAt(record) <= nowMs;
}
