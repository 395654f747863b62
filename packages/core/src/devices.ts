import { publicHandleOf } from './crypto.js';
import { CoatcheckError, callStore } from './errors.js';
import type { SessionEventReason, SessionEvents } from './events.js';
import { endSessions, familyOf, isMarker } from './moves.js';
import {
  isExpired,
  recordExpiresAt,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './store.js';

/** A session as shown in a "your active devices" list. */
export interface SessionInfo {
  /** A public handle to revoke it with: neither the token nor its hash. */
  handle: string;
  /** `true` for the session of the request that asked. */
  current: boolean;
  userId: string | null;
  /** When the session was created (epoch ms). */
  createdAt: number;
  /** When the session was last used, to within the touch interval (epoch ms). */
  lastSeenAt: number;
  /** When the user last logged in within this session (epoch ms), or `null`. */
  authenticatedAt: number | null;
  /** The earlier of the session's two deadlines (epoch ms). */
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** A store with the optional per-user index of the contract. */
type IndexedStore = SessionStore & Required<Pick<SessionStore, 'listByUser' | 'deleteByUser'>>;

/** `true` when `store` has the per-user index (`listByUser` and `deleteByUser`). */
export function hasUserIndex(store: SessionStore): store is IndexedStore {
  return typeof store.listByUser === 'function' && typeof store.deleteByUser === 'function';
}

/** User ids reach store queries: anything but a non-empty string (an operator object) is refused. */
export function assertUserId(userId: unknown, where: string): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new CoatcheckError('INVALID_ARGUMENT', `${where} needs a non-empty string user id`);
  }
}

/**
 * A user's sessions on all their devices: the "your devices" list, revoking one or all, and the
 * `maxSessionsPerUser` cap. These reach sessions other than the current request's, so they work on the
 * store directly, through its per-user index; cookie-only mode and stores without the index answer
 * `UNSUPPORTED`.
 */
export class Devices {
  readonly #store: SessionStore | undefined;
  readonly #events: SessionEvents;
  readonly #now: () => number;

  constructor(store: SessionStore | undefined, events: SessionEvents, now: () => number) {
    this.#store = store;
    this.#events = events;
    this.#now = now;
  }

  /** The live sessions of `userId`, newest first; `currentId` is marked `current`. */
  async list(userId: string, currentId: string | null): Promise<SessionInfo[]> {
    assertUserId(userId, 'listForUser(userId)');
    const store = this.#indexed('listForUser()');
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    const now = this.#now();
    const infos = await Promise.all(
      stored
        .filter(({ record }) => !isExpired(record, now) && !isMarker(record))
        .map(async ({ id, record }) => ({
          handle: await publicHandleOf(id),
          current: id === currentId,
          userId: record.userId,
          createdAt: record.createdAt,
          lastSeenAt: record.lastSeenAt,
          authenticatedAt: record.authenticatedAt,
          expiresAt: recordExpiresAt(record),
          ip: record.ip,
          userAgent: record.userAgent,
        })),
    );
    return infos.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Ends the session of `userId` whose public handle is `handle`. @returns `true` when one was ended. */
  async revoke(userId: string, handle: string): Promise<boolean> {
    assertUserId(userId, 'revoke(userId)');
    const store = this.#indexed('revoke()');
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    for (const { id, record } of stored) {
      if ((await publicHandleOf(id)) !== handle) continue;
      // A marker here is the listed session, moved to a new token since: ending it follows the move.
      return (await this.#end(store, [{ id, record }], 'revoke')) > 0;
    }
    return false;
  }

  /** Ends every session of `userId` but `exceptId`. @returns how many were ended. */
  async revokeAll(userId: string, exceptId: string | undefined): Promise<number> {
    assertUserId(userId, 'revokeAll(userId)');
    const store = this.#indexed('revokeAll()');
    // Ended from one listing, markers included, rather than by one deleteByUser, so that a session moving
    // to a new token meanwhile is followed and ended too (moves.ts): revoking cannot be outrun.
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    const kept = stored.find(({ id }) => id === exceptId);
    // The kept session's earlier tokens (markers of its family) lead to it: they are left alone too.
    const keptFamily = kept && familyOf(kept.id, kept.record);
    const ending = stored.filter(({ id, record }) => id !== exceptId && familyOf(id, record) !== keptFamily);
    return this.#end(store, ending, 'revoke-all');
  }

  /**
   * Deletes the user's oldest sessions beyond `limit`, after a login created `kept`. Only sessions older
   * than that one count against it, so two logins racing each other never evict each other: the newer
   * one keeps its place.
   */
  async evictBeyond(limit: number, userId: string, keptId: string, kept: SessionRecord): Promise<void> {
    const store = this.#indexed('maxSessionsPerUser');
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    const isOlder = (id: string, record: SessionRecord) =>
      record.createdAt < kept.createdAt || (record.createdAt === kept.createdAt && id < keptId);
    const oldestFirst = stored
      .filter(({ id, record }) => id !== keptId && !isMarker(record) && isOlder(id, record))
      .sort((a, b) => a.record.createdAt - b.record.createdAt);
    const excess = oldestFirst.length + 1 - limit;
    await this.#end(store, oldestFirst.slice(0, Math.max(0, excess)), 'max-sessions');
  }

  /** The store, when it can answer per-user questions. */
  #indexed(operation: string): IndexedStore {
    const store = this.#store;
    if (!store) {
      throw new CoatcheckError(
        'UNSUPPORTED',
        `${operation} needs a server-side store: cookie-only sessions cannot be listed or revoked`,
      );
    }
    if (!hasUserIndex(store)) {
      throw new CoatcheckError(
        'UNSUPPORTED',
        `${operation} needs a store with the per-user index (listByUser and deleteByUser); this store has none`,
      );
    }
    return store;
  }

  /**
   * Ends listed sessions and whatever they moved to meanwhile (moves.ts).
   * @returns how many live sessions were ended here, not by someone else first.
   */
  async #end(
    store: SessionStore,
    sessions: readonly StoredSession[],
    reason: SessionEventReason<'revoked'>,
  ): Promise<number> {
    if (sessions.length === 0) return 0;
    const ended = await endSessions(store, sessions, this.#now());
    for (const session of ended) await this.#emitRevoked(session, reason);
    return ended.length;
  }

  async #emitRevoked({ id, record }: StoredSession, reason: SessionEventReason<'revoked'>) {
    if (!this.#events.has('revoked')) return;
    await this.#events.emit({
      type: 'revoked',
      reason,
      sessionId: id,
      userId: record.userId,
      at: this.#now(),
      ip: record.ip,
      userAgent: record.userAgent,
    });
  }
}
