/** What happened to a session; enough to write an audit log. */
export type SessionEventType =
  /** A new session record was written (first write of an anonymous session, or a login without one). */
  | 'created'
  /** The session got a new token; the old record was deleted (login, `regenerate()`). */
  | 'regenerated'
  /** The session was destroyed by its own request (logout). */
  | 'destroyed'
  /** The session was ended from elsewhere: revoked from a device list, "log out everywhere", or evicted by `maxSessionsPerUser`. */
  | 'revoked'
  /**
   * A request presented a session past its idle or absolute deadline. Always reported in cookie-only
   * mode. With a server store it is reported only when the record is still there to look at: stores
   * hide expired records (and Redis deletes them itself), so most expiries read as "no session".
   */
  | 'expired'
  /** A save lost a compare-and-set race and re-applied its changes to the latest record. */
  | 'conflict-retried'
  /** A cookie was present but its signature, shape or key did not verify. */
  | 'invalid-cookie'
  /** Stored data failed the configured schema; the request was treated as having no session. */
  | 'invalid-data';

/** An event delivered to listeners registered with `sessions.on()`. */
export interface SessionEvent {
  type: SessionEventType;
  /** The store id (`SHA-256` of the token), never the token; `null` when no record is involved. */
  sessionId: string | null;
  /** On `regenerated`: the store id that was replaced. */
  previousSessionId?: string;
  userId: string | null;
  /** When it happened (epoch ms). */
  at: number;
  ip: string | null;
  userAgent: string | null;
  /** Why, where a type has several causes: `login`, `regenerate`, `idle-timeout`, `absolute-timeout`, `revoked`, `revoke-all`, `max-sessions`, `signature`. */
  reason?: string;
}

/** A listener; it may be async. Listeners are awaited, so an audit write finishes before the response. */
export type SessionEventListener = (event: SessionEvent) => void | Promise<void>;

/** A minimal typed emitter. A throwing listener fails the operation that emitted (audit trails must not silently miss events). */
export class SessionEvents {
  private readonly listeners = new Map<SessionEventType | '*', Set<SessionEventListener>>();

  /** Subscribes to one event type, or every type with `'*'`. @returns a function that unsubscribes. */
  on(type: SessionEventType | '*', listener: SessionEventListener): () => void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** True when someone listens for `type`; lets callers skip building events nobody reads. */
  has(type: SessionEventType): boolean {
    return (this.listeners.get(type)?.size ?? 0) + (this.listeners.get('*')?.size ?? 0) > 0;
  }

  async emit(event: SessionEvent): Promise<void> {
    for (const key of [event.type, '*'] as const) {
      const set = this.listeners.get(key);
      if (set) for (const listener of [...set]) await listener(event);
    }
  }
}
