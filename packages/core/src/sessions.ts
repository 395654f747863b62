import { type RecordBackend, StoreBackend } from './backend.js';
import { type ResolvedCookieOptions, readCookieValues, serializeCookie } from './cookie.js';
import { assertUserId, Devices, type SessionInfo } from './devices.js';
import { CoatcheckError } from './errors.js';
import {
  type SessionEvent,
  type SessionEventBase,
  type SessionEventListener,
  SessionEvents,
  type SessionEventType,
} from './events.js';
import { KeyedQueue } from './keyed-queue.js';
import { type ResolvedSessionsOptions, resolveSessionsOptions, type SessionsOptions } from './options.js';
import { SealedCookieBackend } from './sealed.js';
import {
  applyMutations,
  type ClientInfo,
  createSession,
  emptyState,
  internalsOf,
  type Session,
  type SessionData,
  type SessionEngine,
  type SessionState,
  setData,
  splitInternal,
} from './session.js';
import { isExpired, type SessionRecord } from './store.js';

/** What a request knows about its client, passed to {@link Sessions.load}. */
export interface SessionRequest extends ClientInfo {
  /** The raw `Cookie` request header. @default undefined (no session) */
  cookie?: string | null;
}

/** What {@link Sessions.commit} did and the headers the response must carry. */
export interface CommitResult {
  /** Response headers to add, in order (`Set-Cookie` may appear once). Empty when nothing changed. */
  headers: Array<[name: string, value: string]>;
}

/**
 * Creates the session manager. Validates every option now, so bad configuration fails at start-up.
 *
 * ```ts
 * const sessions = createSessions<{ cart: string[] }>({ store: new MemoryStore(), secrets: [process.env.SESSION_SECRET!] });
 * const session = await sessions.load({ cookie: request.headers.cookie });
 * session.update((d) => ({ ...d, cart: [...(d.cart ?? []), 'apple'] }));
 * const { headers } = await sessions.commit(session); // add these to the response
 * ```
 *
 * @throws `INVALID_OPTION` naming the first option that is wrong.
 */
export function createSessions<Data extends SessionData = SessionData>(
  options: SessionsOptions<Data>,
): Sessions<Data> {
  return new Sessions(options);
}

/** The event fields a call site chooses; the rest come from the session. */
type EventFields<E = SessionEvent> = E extends unknown
  ? Omit<E, Exclude<keyof SessionEventBase, 'type' | 'previousSessionId' | 'detail'>>
  : never;

/** Saves of one session that go into one write (see `Sessions.#save`). */
interface WaitingSaves {
  states: SessionState[];
  /** Settles when their write has landed or failed. */
  done: Promise<void>;
}

/** Fields of a record about to be created (the rest are derived). */
type NewRecordFields = Pick<SessionRecord, 'userId' | 'authenticatedAt' | 'createdAt' | 'data'> & {
  absoluteExpiresAt?: number;
};

/**
 * The session manager: loads sessions from requests and commits them to responses, framework-neutral.
 * Each request's {@link Session} goes through `load()`, the app's changes, and `commit()`; the per-user
 * operations (`listForUser`, `revoke`, `revokeAll`) reach the user's other sessions.
 */
export class Sessions<Data extends SessionData = SessionData> {
  /**
   * Where sessions live: `'server'` in the configured store, `'cookie'` sealed in the cookie
   * (`cookieOnly: true`), where the per-user operations throw `UNSUPPORTED`.
   */
  readonly mode: 'server' | 'cookie';
  /** The resolved cookie options. */
  readonly cookie: ResolvedCookieOptions;
  readonly #options: ResolvedSessionsOptions<Data>;
  readonly #backend: RecordBackend;
  readonly #events = new SessionEvents();
  readonly #queue = new KeyedQueue();
  /**
   * Saves of a session waiting for its turn, by id: a save that arrives while another write of the same
   * session is queued or in flight joins the next write instead of making its own.
   */
  readonly #waitingSaves = new Map<string, WaitingSaves>();
  /**
   * The record this process last wrote, by id, while more saves of it wait: their base, so that they do
   * not conflict with a write they queued behind and re-read what this process just wrote.
   */
  readonly #lastWritten = new Map<string, SessionRecord>();
  readonly #devices: Devices;
  readonly #engine: SessionEngine;

  /** Prefer {@link createSessions}. @throws `INVALID_OPTION` naming the first option that is wrong. */
  constructor(options: SessionsOptions<Data>) {
    const resolved = resolveSessionsOptions(options);
    this.#options = resolved;
    this.mode = resolved.mode;
    this.cookie = resolved.cookie;
    const now = resolved.now;
    this.#backend = resolved.store
      ? new StoreBackend(resolved.store, resolved.keys, now)
      : new SealedCookieBackend(resolved.keys, resolved.cookie.name, resolved.revocationStore, now);
    this.#devices = new Devices(resolved.store, this.#events, now);
    this.#engine = {
      freshnessSeconds: resolved.freshnessSeconds,
      now,
      save: (state) => this.#save(state),
      login: (state, userId, client) => this.#login(state, userId, client),
      regenerate: (state) => this.#regenerate(state),
      destroy: (state) => this.#destroy(state),
    };
  }

  /**
   * Subscribes to session events (`'*'` for all); the event's `reason` is typed by its type. Listeners are
   * awaited.
   * @returns a function that unsubscribes.
   */
  on<T extends SessionEventType>(type: T | '*', listener: SessionEventListener<T>): () => void {
    return this.#events.on(type, listener);
  }

  /**
   * Reads the session of a request. A missing, tampered, malformed, unknown or expired cookie gives a
   * new empty session — never an error. A store failure throws `STORE_ERROR`.
   */
  async load(request: SessionRequest = {}): Promise<Session<Data>> {
    const state = emptyState({ ip: request.ip ?? null, userAgent: request.userAgent ?? null });
    const values = readCookieValues(request.cookie, this.cookie.name);
    if (values.length === 0) return this.#session(state);

    const opened = await this.#backend.open(values);
    if (!opened) {
      state.cookie = 'clear';
      await this.#emit({ type: 'invalid-cookie' }, state);
      return this.#session(state);
    }
    const { id, record } = opened;
    const now = this.#now();
    if (!record) {
      // Logged out, revoked or expired: no session. The cookie is left alone, because a request that was
      // in flight during a login must not delete the new session's cookie the browser just received.
      return this.#session(state);
    }
    if (isExpired(record, now)) {
      // Stores filter expired records; this guards lax stores and a clock at the edge. A sealed cookie
      // past its deadline is not revoked: a fresher copy of it may be the user's live session.
      await this.#backend.discard(id);
      state.cookie = 'clear';
      const reason = record.absoluteExpiresAt <= now ? 'absolute-timeout' : 'idle-timeout';
      await this.#emit({ type: 'expired', reason }, { ...state, id, record });
      return this.#session(state);
    }
    let data = record.data;
    const { schema } = this.#options;
    if (schema) {
      const { user, internal } = splitInternal(data);
      const result = await schema['~standard'].validate(user);
      if (result.issues) {
        state.cookie = 'clear';
        const detail = result.issues.map((issue) => issue.message).join('; ');
        await this.#emit({ type: 'invalid-data', detail }, { ...state, id, record });
        return this.#session(state);
      }
      data = { ...(result.value as SessionData), ...internal };
    }
    state.token = opened.token;
    state.id = id;
    state.record = record;
    setData(state, data);
    state.cookie = opened.stale ? 'set' : 'none';
    state.needsTouch =
      this.#idleDeadline(record, now) - record.idleExpiresAt >= this.#options.touchIntervalMs;
    return this.#session(state);
  }

  /**
   * Saves the session if it changed (or touches it if due) and returns the headers the response
   * must carry. Call it before the response's headers are sent; the integrations do.
   */
  async commit(session: Session<Data>): Promise<CommitResult> {
    const state = internalsOf(session);
    await this.#save(state);
    const headers: CommitResult['headers'] = [];
    if (state.cookie === 'set' && state.id && state.record) {
      const value = await this.#backend.cookieValue(state.id, state.token, state.record);
      const expiresAt = this.cookie.persistent ? state.record.absoluteExpiresAt : null;
      // `null`: revoked while this request was in flight (cookie-only mode): gone, nothing re-issued.
      if (value === null) this.#reset(state, false);
      else headers.push(['Set-Cookie', serializeCookie(this.cookie, value, expiresAt, this.#now())]);
    } else if (state.cookie === 'clear') {
      headers.push(['Set-Cookie', serializeCookie(this.cookie, '', 0, this.#now())]);
    }
    const { setCookieCacheControl } = this.#options;
    if (headers.length > 0 && setCookieCacheControl) headers.push(['Cache-Control', setCookieCacheControl]);
    state.cookie = 'none';
    return { headers };
  }

  /**
   * The sessions of `userId`, newest first, for a "your active devices" screen; `current` (this
   * request's session) is marked.
   * @throws `UNSUPPORTED` in cookie-only mode or with a store without the per-user index.
   */
  async listForUser(userId: string, current?: Session<Data>): Promise<SessionInfo[]> {
    return this.#devices.list(userId, current ? internalsOf(current).id : null);
  }

  /**
   * Ends one of `userId`'s sessions by its public handle (from {@link Sessions.listForUser}).
   * Scoped to the user, so a handle of someone else's session does nothing.
   * @returns `true` when a session was revoked.
   * @throws `UNSUPPORTED` in cookie-only mode or with a store without the per-user index.
   */
  revoke(userId: string, handle: string): Promise<boolean> {
    return this.#devices.revoke(userId, handle);
  }

  /**
   * Ends every session of `userId` ("log out everywhere"), except `options.except` when given
   * ("log out everywhere else"). Use it after a password change.
   * @returns how many sessions were ended.
   * @throws `UNSUPPORTED` in cookie-only mode or with a store without the per-user index.
   */
  async revokeAll(userId: string, options: { except?: Session<Data> } = {}): Promise<number> {
    if (typeof options !== 'object' || options === null) {
      throw new CoatcheckError(
        'INVALID_ARGUMENT',
        'revokeAll(userId, options) takes an object, e.g. { except }',
      );
    }
    const exceptId = options.except ? (internalsOf(options.except).id ?? undefined) : undefined;
    return this.#devices.revokeAll(userId, exceptId);
  }

  /**
   * Releases what the stores hold (their timers): calls `close()` on the `store`, or in cookie-only mode
   * on the `revocationStore` — both were handed to this manager, and nothing else uses them through it.
   * A store never closes a client you passed to it (a Redis or Prisma client stays open).
   */
  async close(): Promise<void> {
    await this.#options.store?.close?.();
    await this.#options.revocationStore?.close?.();
  }

  // ——— lifecycle, reached through Session methods ———

  async #save(state: SessionState): Promise<void> {
    if (state.mutations.length === 0) {
      // Touches queue with saves too: a backend that rewrites whole records (FerretDB) must never see a
      // touch overlap a save of the same session from this process.
      const id = state.id;
      if (state.needsTouch && id && state.record) await this.#queue.run(id, () => this.#touch(state));
      return;
    }
    if (!state.record) {
      await this.#createRecord(state, {
        userId: null,
        authenticatedAt: null,
        createdAt: this.#now(),
        data: state.data,
      });
      await this.#emit({ type: 'created', reason: 'save' }, state);
      return;
    }
    const id = state.id as string;
    // A sealed cookie is each request's own copy: nothing to share a write with.
    if (this.#backend.inCookie) return this.#queue.run(id, () => this.#compareAndSet([state], id));
    const waiting = this.#waitingSaves.get(id);
    if (waiting) {
      if (!waiting.states.includes(state)) waiting.states.push(state);
      return waiting.done;
    }
    const batch: WaitingSaves = { states: [state], done: Promise.resolve() };
    this.#waitingSaves.set(id, batch);
    batch.done = this.#queue.run(id, async () => {
      // From here on, a new save of this session waits for the next turn.
      this.#waitingSaves.delete(id);
      // A save that waited may have nothing left to write: saved by an earlier turn, or destroyed or
      // moved meanwhile (those are not queued here).
      const states = batch.states.filter(
        (state) => state.id === id && state.record !== null && state.mutations.length > 0,
      );
      if (states.length === 0) return;
      try {
        await this.#compareAndSet(states, id);
      } finally {
        if (!this.#waitingSaves.has(id)) this.#lastWritten.delete(id);
      }
    });
    return batch.done;
  }

  /**
   * Writes the changes of `states`, all sessions of `id` from this process, in one compare-and-set: on
   * the newest record known here (this process's own last write, or the newest any of them loaded), their
   * changes applied in order. If another writer got there first, it re-reads and re-applies.
   */
  async #compareAndSet(states: SessionState[], id: string): Promise<void> {
    let base = states[0]?.record as SessionRecord;
    for (const state of states) {
      if ((state.record as SessionRecord).version > base.version) base = state.record as SessionRecord;
    }
    base = this.#newestKnown(id, base) as SessionRecord;
    // Changes made while a write is in flight are not in it: they stay pending for the next save.
    let applied = states.map((state) => state.mutations.length);
    const only = states.length === 1 ? states[0] : undefined;
    let data =
      only && only.record === base
        ? only.data
        : applyMutations(
            base.data,
            states.flatMap((state) => state.mutations),
          );
    for (let attempt = 0; ; attempt++) {
      const now = this.#now();
      const next: SessionRecord = {
        ...base,
        data,
        version: base.version + 1,
        lastSeenAt: now,
        idleExpiresAt: this.#idleDeadline(base, now),
      };
      if (await this.#backend.replace(id, next, base.version)) {
        if (!this.#backend.inCookie) this.#lastWritten.set(id, next);
        for (const [index, state] of states.entries()) {
          const wasCurrent = state.record === base && state.data === data;
          state.record = next;
          if (this.#backend.inCookie) state.cookie = 'set';
          state.mutations = state.mutations.slice(applied[index]);
          state.needsTouch = false;
          // What the request sees is now what was written, the other saves' changes included.
          if (!wasCurrent) {
            setData(state, state.mutations.length > 0 ? applyMutations(data, state.mutations) : data);
          }
        }
        return;
      }
      const latest = await this.#backend.get(id);
      if (!latest || isExpired(latest, this.#now())) {
        // Destroyed or expired meanwhile: these requests' changes die with it, nothing is resurrected.
        for (const state of states) this.#reset(state, false);
        return;
      }
      if (attempt >= this.#options.maxConflictRetries) {
        throw new CoatcheckError(
          'CONFLICT_RETRIES_EXHAUSTED',
          `session save lost ${attempt + 1} races in a row to concurrent writers; changes not saved`,
        );
      }
      await this.#emit(
        { type: 'conflict-retried', detail: `attempt ${attempt + 1}` },
        { ...(states[0] as SessionState), record: latest },
      );
      base = latest;
      applied = states.map((state) => state.mutations.length);
      data = applyMutations(
        latest.data,
        states.flatMap((state) => state.mutations),
      );
      // Retries after the first back off with jitter so writers in other processes spread out.
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 2 ** attempt * 5));
    }
  }

  async #touch(state: SessionState): Promise<void> {
    const record = state.record as SessionRecord;
    const now = this.#now();
    const update = { idleExpiresAt: this.#idleDeadline(record, now), lastSeenAt: now };
    if (await this.#backend.touch(state.id as string, update)) {
      state.record = { ...record, ...update };
      if (this.#backend.inCookie) state.cookie = 'set';
      state.needsTouch = false;
    } else {
      this.#reset(state, false);
    }
  }

  async #login(state: SessionState, userId: string, client?: ClientInfo): Promise<void> {
    assertUserId(userId, 'login(userId)');
    if (client) {
      state.client = {
        ip: client.ip ?? state.client.ip,
        userAgent: client.userAgent ?? state.client.userAgent,
      };
    }
    await this.#replaceRecord(state, 'login', (latest) => {
      // A session left logged in by someone else (a shared computer) must not hand its data over.
      const previousUser = latest?.userId ?? null;
      const keep = previousUser === null || previousUser === userId;
      const now = this.#now();
      return { userId, authenticatedAt: now, createdAt: now, data: keep ? (latest?.data ?? {}) : {} };
    });
    const limit = this.#options.maxSessionsPerUser;
    if (limit !== undefined && state.id && state.record) {
      await this.#devices.evictBeyond(limit, userId, state.id, state.record);
    }
  }

  async #regenerate(state: SessionState): Promise<void> {
    // Nothing stored yet: the next save mints a fresh token anyway.
    if (!state.record) return;
    await this.#replaceRecord(state, 'regenerate', (latest) =>
      // Revoked or destroyed while this request was in flight: it stays gone, never re-issued.
      latest
        ? {
            userId: latest.userId,
            authenticatedAt: latest.authenticatedAt,
            createdAt: latest.createdAt,
            absoluteExpiresAt: latest.absoluteExpiresAt,
            data: latest.data,
          }
        : null,
    );
  }

  /**
   * Moves the session to a new token: builds the new record from the newest one known here (the one the
   * request loaded, or this process's own later write; this request's changes re-applied) and lets the backend move it there, which succeeds only if the old record is still
   * what was read (see moves.ts). If it is not — saved, ended or moved meanwhile — this starts again from
   * what it is now, so a concurrent save is carried over and a revoked session stays gone. Queued with
   * saves to the old record, so this process's own saves land first.
   */
  async #replaceRecord(
    state: SessionState,
    reason: 'login' | 'regenerate',
    fieldsFrom: (latest: SessionRecord | null) => NewRecordFields | null,
  ): Promise<void> {
    const previousId = state.id;
    const move = async () => {
      // The newest record known here stands in for a read (in cookie-only mode there is nothing else): the
      // move's compare-and-set refuses it if the store has moved on since, and then it reads.
      let latest = previousId ? this.#newestKnown(previousId, state.record) : null;
      for (let attempt = 0; ; attempt++) {
        const live = latest && !isExpired(latest, this.#now()) ? latest : null;
        const fields = fieldsFrom(live);
        if (!fields) {
          this.#reset(state, false);
          return;
        }
        const applied = state.mutations.length;
        const record = this.#newRecord(state, {
          ...fields,
          data: applyMutations(fields.data, state.mutations),
        });
        const moved =
          previousId && live
            ? await this.#backend.move(previousId, live, record)
            : { ...(await this.#backend.create(record)), record };
        if (moved) {
          this.#point(state, moved, moved.record, applied);
          return;
        }
        if (attempt >= this.#options.maxConflictRetries) {
          throw new CoatcheckError(
            'CONFLICT_RETRIES_EXHAUSTED',
            `session ${reason} lost ${attempt + 1} races in a row to concurrent writers; nothing changed`,
          );
        }
        latest = await this.#backend.get(previousId as string);
      }
    };
    await (previousId ? this.#queue.run(previousId, move) : move());
    if (!state.id || state.id === previousId) return;
    if (previousId) await this.#emit({ type: 'regenerated', reason, previousSessionId: previousId }, state);
    // Without an earlier record only a login gets here: regenerate() returns early.
    else await this.#emit({ type: 'created', reason: 'login' }, state);
  }

  async #destroy(state: SessionState): Promise<void> {
    if (state.id && state.record) {
      await this.#backend.delete(state.id, state.record);
      await this.#emit({ type: 'destroyed' }, state);
    }
    this.#reset(state, true);
  }

  /**
   * Makes the session a new, empty, unsaved session. `clearCookie` asks the browser to drop the cookie
   * (logout); a session that vanished under a concurrent request leaves the cookie alone, since the
   * browser may already hold the cookie of a newer session (a login racing this request).
   */
  #reset(state: SessionState, clearCookie: boolean): void {
    const hadCookie = state.id !== null || state.cookie !== 'none';
    state.token = null;
    state.id = null;
    state.record = null;
    state.mutations = [];
    state.needsTouch = false;
    state.cookie = clearCookie && hadCookie ? 'clear' : 'none';
    setData(state, {});
  }

  /** Writes a brand-new record under a fresh token and points the session at it. */
  async #createRecord(state: SessionState, fields: NewRecordFields): Promise<void> {
    // `fields.data` holds the changes made so far; later ones, made while the write is in flight, stay pending.
    const applied = state.mutations.length;
    const record = this.#newRecord(state, fields);
    this.#point(state, await this.#backend.create(record), record, applied);
  }

  /** A new session's record, with deadlines from now, bound to this request's client. */
  #newRecord(state: SessionState, fields: NewRecordFields): SessionRecord {
    const now = this.#now();
    const absoluteExpiresAt = fields.absoluteExpiresAt ?? fields.createdAt + this.#options.absoluteTimeoutMs;
    return {
      data: fields.data,
      userId: fields.userId,
      createdAt: fields.createdAt,
      lastSeenAt: now,
      authenticatedAt: fields.authenticatedAt,
      idleExpiresAt: Math.min(now + this.#options.idleTimeoutMs, absoluteExpiresAt),
      absoluteExpiresAt,
      version: 1,
      ip: state.client.ip,
      userAgent: state.client.userAgent,
    };
  }

  /** Points the session at the record just stored under `id`, to be sent with a new cookie. */
  #point(
    state: SessionState,
    { id, token }: { id: string; token: string | null },
    record: SessionRecord,
    applied: number,
  ): void {
    state.token = token;
    state.id = id;
    state.record = record;
    state.mutations = state.mutations.slice(applied);
    state.needsTouch = false;
    state.cookie = 'set';
    setData(state, state.mutations.length > 0 ? applyMutations(record.data, state.mutations) : record.data);
  }

  /** `record`, or this process's own later write of the session `id` if there is one. */
  #newestKnown(id: string, record: SessionRecord | null): SessionRecord | null {
    const written = this.#lastWritten.get(id);
    return written && (!record || written.version > record.version) ? written : record;
  }

  #idleDeadline(record: Pick<SessionRecord, 'absoluteExpiresAt'>, now: number): number {
    return Math.min(now + this.#options.idleTimeoutMs, record.absoluteExpiresAt);
  }

  #session(state: SessionState): Session<Data> {
    return createSession<Data>(this.#engine, state);
  }

  #now(): number {
    return this.#options.now();
  }

  #emit(fields: EventFields, state: Pick<SessionState, 'id' | 'record' | 'client'>): Promise<void> {
    if (!this.#events.has(fields.type)) return Promise.resolve();
    return this.#events.emit({
      sessionId: state.id,
      userId: state.record?.userId ?? null,
      at: this.#now(),
      ip: state.record?.ip ?? state.client.ip,
      userAgent: state.record?.userAgent ?? state.client.userAgent,
      ...fields,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
