/**
 * What can happen to a session, each type with the reasons it can happen for (`undefined` where a type
 * has a single cause). Enough to write an audit log.
 */
export interface SessionEventReasons {
  /**
   * A new session record was written: `'save'` for the first write of an anonymous session, `'login'` for
   * a login without an earlier record.
   */
  created: 'save' | 'login';
  /** The session got a new token and the old record was deleted, by `login()` or `regenerate()`. */
  regenerated: 'login' | 'regenerate';
  /** The session was ended by its own request (`destroy()`). */
  destroyed: undefined;
  /**
   * The session was ended from elsewhere: `'revoke'` from a device list (`sessions.revoke()`),
   * `'revoke-all'` by "log out everywhere (else)" (`sessions.revokeAll()`), `'max-sessions'` evicted by a
   * login beyond `maxSessionsPerUser`.
   */
  revoked: 'revoke' | 'revoke-all' | 'max-sessions';
  /**
   * A request presented a session past its idle or absolute deadline. Always reported in cookie-only
   * mode. With a server store it is reported only when the record is still there to look at: stores
   * hide expired records (and Redis deletes them itself), so most expiries read as "no session".
   */
  expired: 'idle-timeout' | 'absolute-timeout';
  /** A save lost a compare-and-set race and re-applies its changes to the latest record (`detail`: which attempt). */
  'conflict-retried': undefined;
  /** A cookie was present but its signature, shape or key did not verify. */
  'invalid-cookie': undefined;
  /** Stored data failed the configured schema; the request was treated as having no session (`detail`: the issues). */
  'invalid-data': undefined;
}

/** What happened to a session; see {@link SessionEventReasons}. */
export type SessionEventType = keyof SessionEventReasons;

/** Why an event of type `T` happened. */
export type SessionEventReason<T extends SessionEventType = SessionEventType> = SessionEventReasons[T];

/** The fields every event carries. */
export interface SessionEventBase<T extends SessionEventType = SessionEventType> {
  type: T;
  /** The store id (`SHA-256` of the token), never the token; `null` when no record is involved. */
  sessionId: string | null;
  /** On `regenerated`: the store id that was replaced. */
  previousSessionId?: string;
  userId: string | null;
  /** When it happened (epoch ms). */
  at: number;
  ip: string | null;
  userAgent: string | null;
  /**
   * Free text for people, never to match on: the failed schema's issues on `invalid-data`, the attempt on
   * `conflict-retried`.
   */
  detail?: string;
}

/**
 * An event delivered to listeners registered with `sessions.on()`: `reason` is typed by `type` (narrow on
 * `type` to see which reasons it can have).
 */
export type SessionEvent<T extends SessionEventType = SessionEventType> = {
  [K in T]: SessionEventBase<K> &
    (SessionEventReasons[K] extends undefined ? { reason?: undefined } : { reason: SessionEventReasons[K] });
}[T];

/** A listener; it may be async. Listeners are awaited, so an audit write finishes before the response. */
export type SessionEventListener<T extends SessionEventType = SessionEventType> = (
  event: SessionEvent<T>,
) => void | Promise<void>;

/** A minimal typed emitter. A throwing listener fails the operation that emitted (audit trails must not silently miss events). */
export class SessionEvents {
  readonly #listeners = new Map<SessionEventType | '*', Set<SessionEventListener<never>>>();

  /** Subscribes to one event type, or every type with `'*'`. @returns a function that unsubscribes. */
  on<T extends SessionEventType>(type: T | '*', listener: SessionEventListener<T>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    set.add(listener as SessionEventListener<never>);
    return () => set.delete(listener as SessionEventListener<never>);
  }

  /** True when someone listens for `type`; lets callers skip building events nobody reads. */
  has(type: SessionEventType): boolean {
    return (this.#listeners.get(type)?.size ?? 0) + (this.#listeners.get('*')?.size ?? 0) > 0;
  }

  async emit(event: SessionEvent): Promise<void> {
    for (const key of [event.type, '*'] as const) {
      const set = this.#listeners.get(key) as Set<SessionEventListener> | undefined;
      if (set) for (const listener of [...set]) await listener(event);
    }
  }
}
