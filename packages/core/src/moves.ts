import { sha256 } from './crypto.js';
import { CoatcheckError, callStore } from './errors.js';
import { FAMILY_KEY, MOVED_KEY } from './session.js';
import type { SessionRecord, SessionStore, StoredSession } from './store.js';

/**
 * How a stored session changes token (login, regenerate) or ends (logout, `revoke`, `revokeAll`) while
 * other processes use it, so that nothing in flight outruns an end — with the store contract alone.
 *
 * **A move** of record A to a new record B: create B; replace A, by compare-and-set at the version it was
 * read, with a **marker** (A's user, no data but `{ __moved: B }`, alive a few minutes); then check that no
 * end of A's *family* has been announced, else delete B. The new token is issued only after all three.
 * A family is a session and every record it moved to under the same user (regenerate, a login as the same
 * user); a login as someone else starts a new family, and its marker points nowhere.
 *
 * **An end** of a session: replace its record, by compare-and-set, with a marker pointing nowhere, then
 * delete it. That wins or loses against a move's compare-and-set on the same record, so if it succeeds the
 * session cannot have moved on. If it fails (the record moved, or was saved, meanwhile) or the record is a
 * marker already, the end announces itself (creates a tombstone record for the session's family), then
 * walks from the record along the markers and deletes the live record at the end of the chain.
 *
 * Why nothing outruns an announced end, with T the moment the announcement is written:
 *
 * - A move whose check ran before T had retired A before T, so B existed and A's marker pointed at it
 *   before T; the walk, which reads only after T, finds B. A move whose check runs after T sees the
 *   announcement and deletes B itself. So after T the family cannot grow: the walk reaches its last record
 *   in a bounded number of steps, and a plain delete ends it (a save or a touch that comes later finds
 *   nothing; a move that comes later fails its compare-and-set, or deletes its record after its check).
 *   No compare-and-set race has to be won by the end, so it is never starved by a writer that keeps moving
 *   or saving the session (SQLite's lock is not fair between processes).
 * - `revokeAll` walks from every record its listing of the user returns, markers included (they keep the
 *   user). A listing is not a snapshot on every backend (Redis reads the index, then each record; MongoDB's
 *   cursor runs beside writes), but A is listed whether it is read before its move (live) or after (a
 *   marker); it can be missed only if it did not exist when the listing began — and then a predecessor of
 *   A in the same family is listed, by the same argument. `deleteByUser` is not used: one pass can delete A's
 *   marker, or A, without ever seeing B.
 * - A save of A from another request: if it lands before the marker, the move's compare-and-set fails and
 *   the move starts again from the saved record, so the save is carried over; if after, the save's own
 *   compare-and-set fails, its re-read finds "no session" and its changes are dropped — never written to B
 *   behind the back of the request that moved it, and never resurrecting A. A touch of A's marker is
 *   harmless (a marker's deadline never grows past its own).
 *
 * Every read of a session treats a marker as "no session", so the old token never opens the new session
 * (no fixation). A process that stops between a move's create and its check leaves B behind with a token
 * nobody received; it expires like any record. Costs: a move of a logged-in session one read more (the
 * check; a login from an anonymous session needs none), an end one create more. Reading a session costs
 * nothing more. All of it relies on the store keeping markers and announcements until their deadlines, as
 * it keeps any record; a `MemoryStore` evicting at its cap can drop them as it drops sessions.
 */

/**
 * How long markers and announcements stay, at most: as long as a request can be in flight (Node's default
 * `server.requestTimeout` is 5 minutes), so an end that loaded the old record can still follow the move,
 * and a move still in flight still sees the end. A marker never outlives the old record's absolute deadline.
 */
export const MARKER_MS = 5 * 60_000;

/** A chain of moves this long within a few minutes is a broken store (a loop of markers), not a race. */
const MAX_STEPS = 1_000;

/** `true` for the marker a move left behind. */
export function isMarker(record: SessionRecord): boolean {
  return Object.hasOwn(record.data, MOVED_KEY);
}

/** The family of the session stored as `record` under `id`: a session that never moved is its own. */
export function familyOf(id: string, record: SessionRecord): string {
  const family = record.data[FAMILY_KEY];
  return typeof family === 'string' ? family : id;
}

/** Where an end of `family` is announced: an id no token hashes to (tokens have no `:`). */
function announcementId(family: string): Promise<string> {
  return sha256(`coatcheck-ended-family:${family}`);
}

/**
 * The record a move to `record` creates: in the family of `from` when the user stays, else in a family of
 * its own (a login as someone else is that user's new session).
 */
export function movedRecord(fromId: string, from: SessionRecord, record: SessionRecord): SessionRecord {
  const { [FAMILY_KEY]: _, ...data } = record.data;
  if (record.userId !== from.userId) return { ...record, data };
  return { ...record, data: { ...data, [FAMILY_KEY]: familyOf(fromId, from) } };
}

/** The marker that takes the place of `from` under `fromId`: it points at `movedTo`, or nowhere. */
function markerOf(fromId: string, from: SessionRecord, movedTo: string | null, now: number): SessionRecord {
  // Not the idle deadline: a touch slides that without changing the version, so the one `from` carries
  // may be older than the record's; a marker opens nothing, so outliving it costs nothing.
  const deadline = Math.min(from.absoluteExpiresAt, now + MARKER_MS);
  return {
    ...from,
    // Still its user's, so a listing of the user finds it (see above); no data but the pointer.
    data: { [MOVED_KEY]: movedTo, [FAMILY_KEY]: familyOf(fromId, from) },
    lastSeenAt: now,
    idleExpiresAt: deadline,
    absoluteExpiresAt: deadline,
    version: from.version + 1,
  };
}

/**
 * The rest of a move, once `to` is created: retires `from` (read at `from.version`) under `fromId` into a
 * marker pointing at `to`, then checks that the family's end has not begun.
 * @returns `false` when the record changed, moved or ended since it was read, or its end has begun; the
 *   caller deletes `to`, whose token must never be issued.
 */
export async function retire(
  store: SessionStore,
  fromId: string,
  from: SessionRecord,
  to: StoredSession,
  now: number,
): Promise<boolean> {
  const sameFamily = to.record.userId === from.userId;
  const marker = markerOf(fromId, from, sameFamily ? to.id : null, now);
  if (!(await callStore('store.replace', () => store.replace(fromId, marker, from.version)))) return false;
  if (!sameFamily) return true;
  const announcement = await announcementId(familyOf(fromId, from));
  return (await callStore('store.get', () => store.get(announcement))) === null;
}

/**
 * Ends the listed sessions (a live record or a marker each) and whatever they moved to: each by
 * compare-and-set if nothing raced it; the rest by announcing the end of their families, then walking each
 * chain to its live record and deleting it.
 * @param now the clock, for the markers' and announcements' deadlines.
 * @returns the live sessions ended here, not by someone else first.
 * @throws `CONFLICT_RETRIES_EXHAUSTED` for a chain of markers that does not end (a broken store).
 */
export async function endSessions(
  store: SessionStore,
  sessions: readonly StoredSession[],
  now: number,
): Promise<StoredSession[]> {
  const uncontended = await Promise.all(
    sessions.map(async ({ id, record }) => {
      if (isMarker(record)) return false;
      const ended = markerOf(id, record, null, now);
      if (!(await callStore('store.replace', () => store.replace(id, ended, record.version)))) return false;
      await callStore('store.delete', () => store.delete(id));
      return true;
    }),
  );
  const ended = sessions.filter((_, i) => uncontended[i]);
  const contended = sessions.filter((_, i) => !uncontended[i]);
  if (contended.length === 0) return ended;

  const deadline = now + MARKER_MS;
  const families = new Set(contended.map(({ id, record }) => familyOf(id, record)));
  await Promise.all(
    [...families].map(async (family) => {
      const announcement: SessionRecord = {
        data: {},
        userId: null,
        createdAt: now,
        lastSeenAt: now,
        authenticatedAt: null,
        idleExpiresAt: deadline,
        absoluteExpiresAt: deadline,
        version: 1,
        ip: null,
        userAgent: null,
      };
      const id = await announcementId(family);
      // `false`: announced already by another end, which is as good.
      await callStore('store.create', () => store.create(id, announcement));
    }),
  );
  // A walk stops at another listed id: that one is ended by its own compare-and-set or walk.
  const listed = new Set(sessions.map(({ id }) => id));
  const walked = await Promise.all(contended.map(({ id }) => walkAndDelete(store, id, listed)));
  return [...ended, ...walked.filter((session): session is StoredSession => session !== null)];
}

async function walkAndDelete(
  store: SessionStore,
  start: string,
  walkedElsewhere: ReadonlySet<string>,
): Promise<StoredSession | null> {
  let id = start;
  for (let step = 0; step < MAX_STEPS; step++) {
    // Read after the announcement, never from what the caller knew: that may be a move out of date.
    const record = await callStore('store.get', () => store.get(id));
    if (!record) return null;
    if (!isMarker(record)) {
      await callStore('store.delete', () => store.delete(id));
      return { id, record };
    }
    const movedTo = record.data[MOVED_KEY];
    // `null`: moved to another user's new session, which this end does not reach.
    if (typeof movedTo !== 'string' || walkedElsewhere.has(movedTo)) return null;
    id = movedTo;
  }
  throw new CoatcheckError(
    'CONFLICT_RETRIES_EXHAUSTED',
    `ending a session followed ${MAX_STEPS} moves without reaching its end; does the store return what it was given?`,
  );
}
