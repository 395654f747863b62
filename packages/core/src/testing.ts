/**
 * `@coatcheck/core/testing`: helpers for an app's own tests — a cookie for a real session, a clock to
 * drive timeouts with, and a session's store id. Nothing here belongs in production code.
 *
 * ```ts
 * import { manualClock, sessionCookie } from '@coatcheck/core/testing';
 *
 * const clock = manualClock();
 * const sessions = createSessions({ store: new MemoryStore({ now: clock.now }), secrets, now: clock.now });
 * const cookie = await sessionCookie(sessions, { userId: 'ada', data: { cart: ['apple'] } });
 * await request(app).get('/me').set('Cookie', cookie).expect(200);
 * clock.advanceSeconds(86_400); // past the idle timeout
 * await request(app).get('/me').set('Cookie', cookie).expect(401);
 * ```
 * @packageDocumentation
 */
import { CoatcheckError } from './errors.js';
import { internalsOf, type Session, type SessionData } from './session.js';
import type { Sessions } from './sessions.js';

/** Options of {@link sessionCookie}. */
export interface SessionCookieOptions<Data extends SessionData = SessionData> {
  /** Log this user in, as `session.login(userId)` does. @default undefined (an anonymous session) */
  userId?: string;
  /** The session's data, set before the login (so it goes into the same write). @default {} */
  data?: Partial<Data>;
  /** The client IP recorded with the session. @default undefined */
  ip?: string;
  /** The client user agent recorded with the session. @default undefined */
  userAgent?: string;
}

/**
 * Creates a real session through `sessions` — its store, or a sealed cookie in cookie-only mode, with
 * every option as configured — and returns the `name=value` pair to send as the `Cookie` request header.
 * The session is saved even when `data` is empty and there is no `userId`.
 */
export async function sessionCookie<Data extends SessionData>(
  sessions: Sessions<Data>,
  options: SessionCookieOptions<Data> = {},
): Promise<string> {
  const { userId, data = {}, ip, userAgent } = options;
  const session = await sessions.load({ ip: ip ?? null, userAgent: userAgent ?? null });
  // An update that changes nothing is still a change, so an empty anonymous session gets saved too.
  session.update((current) => ({ ...current, ...data }));
  if (userId !== undefined) await session.login(userId);
  const { headers } = await sessions.commit(session);
  const setCookie = headers.find(([name]) => name.toLowerCase() === 'set-cookie');
  if (!setCookie) {
    throw new CoatcheckError(
      'INVALID_ARGUMENT',
      'sessionCookie(): the session was not saved; no cookie to send',
    );
  }
  return setCookie[1].slice(0, setCookie[1].indexOf(';'));
}

/** A clock the test moves by hand, for the `now` option of `createSessions` and `MemoryStore`. */
export interface ManualClock {
  /** The clock's time (epoch ms). Bound: pass it as is, `now: clock.now`. */
  readonly now: () => number;
  /** Moves the clock forward by `seconds` (backward when negative). */
  advanceSeconds(seconds: number): void;
  /** Sets the clock to `epochMs`. */
  set(epochMs: number): void;
}

/**
 * A clock that stands still until the test moves it. Give the same clock to `createSessions` and to the
 * store, so both agree on when a session expires.
 * @param startEpochMs where the clock starts. @default Date.now() when the clock is made
 */
export function manualClock(startEpochMs: number = Date.now()): ManualClock {
  let nowMs = checkedTime(startEpochMs, 'manualClock(startEpochMs)');
  return {
    now: () => nowMs,
    advanceSeconds(seconds) {
      nowMs = checkedTime(nowMs + seconds * 1000, 'advanceSeconds(seconds)');
    },
    set(epochMs) {
      nowMs = checkedTime(epochMs, 'set(epochMs)');
    },
  };
}

/**
 * The store id of `session` (`SHA-256` of its token), as events report it in `sessionId` and as the store
 * keys its record; `null` before the session is saved.
 */
export function sessionIdOf<Data extends SessionData>(session: Session<Data>): string | null {
  return internalsOf(session).id;
}

function checkedTime(epochMs: number, where: string): number {
  if (!Number.isFinite(epochMs)) {
    throw new CoatcheckError('INVALID_ARGUMENT', `${where} needs a finite number (got ${String(epochMs)})`);
  }
  return epochMs;
}
