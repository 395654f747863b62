import { type RecordBackend, StoreBackend } from './backend.js';
import { assertMethods } from './client-shape.js';
import {
  type CookieOptions,
  type ResolvedCookieOptions,
  readCookieValues,
  resolveCookieOptions,
  serializeCookie,
} from './cookie.js';
import { KeyRing, publicHandleOf } from './crypto.js';
import { CoatcheckError, callStore, invalidOption } from './errors.js';
import {
  type SessionEvent,
  type SessionEventListener,
  SessionEvents,
  type SessionEventType,
} from './events.js';
import { KeyedQueue } from './keyed-queue.js';
import { SealedCookieBackend } from './sealed.js';
import {
  applyMutations,
  type ClientInfo,
  Session,
  type SessionData,
  type SessionEngine,
  type SessionState,
  splitInternal,
} from './session.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { isExpired, type SessionRecord, type SessionStore } from './store.js';

/** Options of {@link createSessions}. */
export interface SessionsOptions<Data extends SessionData = SessionData> {
  /**
   * Where records live: `MemoryStore` or a store package (`@coatcheck/store-redis`, …). Omit it only
   * together with `cookieOnly: true`.
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
   * Cookie-only mode: a store (any `SessionStore`) that remembers ended sessions, so a cookie copied before
   * logout or before a login's token change is refused (CVE-2024-31999). Costs one store read per request
   * with a session cookie, and holds only tombstones (ids and deadlines), never session data. "Log out
   * everywhere" still needs a server store.
   * @default undefined (a copied cookie works until its sealed deadline)
   */
  revocationStore?: SessionStore;
  /**
   * Key ring for signing (and, in cookie-only mode, sealing) cookies: the first signs, all verify. Each at least 32 random bytes. To rotate,
   * put the new secret first and keep the old one until its cookies have been re-issued (on their
   * next request, automatically) or have expired.
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
  /** Keep at most this many sessions per user; a login evicts the oldest. @default undefined (no limit) */
  maxSessionsPerUser?: number;
  /** The session cookie. Secure, HttpOnly, SameSite=Lax and Path=/ by default. */
  cookie?: CookieOptions;
  /**
   * Standard Schema (zod, valibot, arktype…) that stored data must match on load. Data that fails is
   * treated as no session and reported as an `invalid-data` event.
   */
  schema?: StandardSchemaV1<unknown, Data>;
  /**
   * `Cache-Control` sent with every response that sets or clears the cookie, so no shared cache keeps
   * one user's cookie for another. `false` leaves the header to the app.
   * @default 'no-store'
   */
  cacheControl?: string | false;
  /** How many times a save re-applies its changes after losing a race to another process. @default 8 */
  maxConflictRetries?: number;
  /** Clock (epoch ms). @default Date.now */
  now?: () => number;
}

/** What a request knows about its client, passed to {@link Sessions.load}. */
export interface SessionRequest extends ClientInfo {
  /** The raw `Cookie` request header. */
  cookie?: string | null;
}

/** What {@link Sessions.commit} did and the headers the response must carry. */
export interface CommitResult {
  /** Response headers to add, in order (`Set-Cookie` may appear once). Empty when nothing changed. */
  headers: Array<[name: string, value: string]>;
}

/** A session as shown in a "your active devices" list. */
export interface SessionInfo {
  /** A public handle to revoke it with: neither the token nor its hash. */
  handle: string;
  /** `true` for the session of the request that asked. */
  current: boolean;
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  authenticatedAt: number | null;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

const STORE_METHODS = ['create', 'get', 'replace', 'touch', 'delete', 'listByUser', 'deleteByUser'] as const;

const DEFAULTS = {
  idleTimeoutSeconds: 24 * 60 * 60,
  absoluteTimeoutSeconds: 7 * 24 * 60 * 60,
  /** The longest default touch interval; shorter idle timeouts get a tenth of theirs. */
  touchIntervalSeconds: 60,
  freshnessSeconds: 15 * 60,
  maxConflictRetries: 8,
};

/**
 * Creates the session manager. Validates every option now, so bad configuration fails at start-up.
 *
 * ```ts
 * const sessions = createSessions<{ cart: string[] }>({ store: new MemoryStore(), secrets: [process.env.SESSION_SECRET!] });
 * const session = await sessions.load({ cookie: request.headers.cookie });
 * session.update((d) => ({ ...d, cart: [...(d.cart ?? []), 'apple'] }));
 * const { headers } = await sessions.commit(session); // add these to the response
 * ```
 */
export function createSessions<Data extends SessionData = SessionData>(
  options: SessionsOptions<Data>,
): Sessions<Data> {
  return new Sessions(options);
}

/** The session manager: loads sessions from requests and commits them to responses. Framework-neutral. */
export class Sessions<Data extends SessionData = SessionData> {
  /** The configured store; `undefined` in cookie-only mode. */
  readonly store: SessionStore | undefined;
  /** The resolved cookie options. */
  readonly cookie: ResolvedCookieOptions;
  private readonly backend: RecordBackend;
  private readonly events = new SessionEvents();
  private readonly queue = new KeyedQueue();
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly touchIntervalMs: number;
  private readonly maxSessionsPerUser: number | undefined;
  private readonly maxConflictRetries: number;
  private readonly schema: StandardSchemaV1<unknown, Data> | undefined;
  private readonly cacheControl: string | false;
  private readonly engine: SessionEngine;

  constructor(options: SessionsOptions<Data>) {
    if (!options || typeof options !== 'object') invalidOption('options', 'must be an object');
    this.cookie = resolveCookieOptions(options.cookie);
    const { store, cookieOnly = false } = options;
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
    this.idleMs = idle * 1000;
    this.absoluteMs = absolute * 1000;
    this.touchIntervalMs = touchInterval * 1000;
    if (cookieOnly) {
      if (store !== undefined) invalidOption('store', 'must be omitted with `cookieOnly: true`');
      const revocationStore = options.revocationStore;
      if (revocationStore !== undefined) {
        assertMethods(revocationStore, 'revocationStore', ['get', 'create'], { expected: 'a SessionStore' });
      }
      this.backend = new SealedCookieBackend(
        keys,
        this.cookie.name,
        revocationStore && {
          store: revocationStore,
          tombstoneLifetimeMs: this.absoluteMs,
          now: () => this.now(),
        },
      );
    } else {
      if (store === undefined) invalidOption('store', 'is required (or set `cookieOnly: true`)');
      if (options.revocationStore !== undefined) {
        invalidOption('revocationStore', 'only applies with `cookieOnly: true`');
      }
      assertMethods(store, 'store', STORE_METHODS, { expected: 'a SessionStore' });
      this.backend = new StoreBackend(store, keys);
    }
    this.store = store;
    this.maxConflictRetries = positive(options, 'maxConflictRetries', DEFAULTS.maxConflictRetries, true);
    if (!Number.isInteger(this.maxConflictRetries)) {
      invalidOption('maxConflictRetries', 'must be a whole number');
    }
    if (options.maxSessionsPerUser !== undefined) {
      if (!Number.isInteger(options.maxSessionsPerUser) || options.maxSessionsPerUser < 1) {
        invalidOption('maxSessionsPerUser', 'must be a whole number of at least 1');
      }
      if (cookieOnly) {
        invalidOption('maxSessionsPerUser', 'needs a server store: cookie-only sessions cannot be counted');
      }
      this.maxSessionsPerUser = options.maxSessionsPerUser;
    }
    if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
      invalidOption('schema', 'must be a Standard Schema (zod, valibot, arktype, …)');
    }
    this.schema = options.schema;
    if (options.cacheControl !== undefined && options.cacheControl !== false) {
      if (typeof options.cacheControl !== 'string' || /[\r\n]/.test(options.cacheControl)) {
        invalidOption('cacheControl', 'must be a header value or false');
      }
    }
    this.cacheControl = options.cacheControl ?? 'no-store';
    const now = options.now ?? Date.now;
    if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
    const freshnessSeconds = positive(options, 'freshnessSeconds');
    this.engine = {
      freshnessSeconds,
      now,
      save: (session) => this.save(session),
      login: (session, userId, client) => this.login(session, userId, client),
      regenerate: (session) => this.regenerate(session),
      destroy: (session) => this.destroy(session),
    };
  }

  /**
   * Subscribes to session events (`'*'` for all). Listeners are awaited.
   * @returns a function that unsubscribes.
   */
  on(type: SessionEventType | '*', listener: SessionEventListener): () => void {
    return this.events.on(type, listener);
  }

  /**
   * Reads the session of a request. A missing, tampered, malformed, unknown or expired cookie gives a
   * new empty session — never an error. A store failure throws `STORE_ERROR`.
   */
  async load(request: SessionRequest = {}): Promise<Session<Data>> {
    const client = { ip: request.ip ?? null, userAgent: request.userAgent ?? null };
    const state: SessionState = {
      token: null,
      id: null,
      record: null,
      mutations: [],
      cookie: 'none',
      needsTouch: false,
      client,
    };
    const values = readCookieValues(request.cookie, this.cookie.name);
    if (values.length === 0) return this.newSession(state);

    const opened = await this.backend.open(values);
    if (!opened) {
      state.cookie = 'clear';
      await this.emit('invalid-cookie', state, { reason: 'signature' });
      return this.newSession(state);
    }
    const { id, record } = opened;
    const now = this.now();
    if (!record) {
      // Logged out, revoked or expired: no session. The cookie is left alone, because a request that was
      // in flight during a login must not delete the new session's cookie the browser just received.
      return this.newSession(state);
    }
    if (isExpired(record, now)) {
      // Stores filter expired records; this guards cookie-only mode, lax stores and a clock at the edge.
      await this.backend.delete(id);
      state.cookie = 'clear';
      await this.emit(
        'expired',
        { ...state, id, record },
        {
          reason: record.absoluteExpiresAt <= now ? 'absolute-timeout' : 'idle-timeout',
        },
      );
      return this.newSession(state);
    }
    let data = record.data;
    if (this.schema) {
      const { user, internal } = splitInternal(data);
      const result = await this.schema['~standard'].validate(user);
      if (result.issues) {
        state.cookie = 'clear';
        await this.emit(
          'invalid-data',
          { ...state, id, record },
          { reason: result.issues.map((issue) => issue.message).join('; ') },
        );
        return this.newSession(state);
      }
      data = { ...(result.value as SessionData), ...internal };
    }
    state.token = opened.token;
    state.id = id;
    state.record = record;
    state.cookie = opened.stale ? 'set' : 'none';
    state.needsTouch = this.idleDeadline(record, now) - record.idleExpiresAt >= this.touchIntervalMs;
    return new Session<Data>(this.engine, state, data);
  }

  /**
   * Saves the session if it changed (or touches it if due) and returns the headers the response
   * must carry. Call it before the response's headers are sent; the integrations do.
   */
  async commit(session: Session<Data>): Promise<CommitResult> {
    await this.save(session as unknown as Session<SessionData>);
    const { state } = session;
    const headers: CommitResult['headers'] = [];
    if (state.cookie === 'set' && state.id && state.record) {
      const value = await this.backend.cookieValue(state.id, state.token, state.record);
      const expiresAt = this.cookie.persistent ? state.record.absoluteExpiresAt : null;
      headers.push(['Set-Cookie', serializeCookie(this.cookie, value, expiresAt, this.now())]);
    } else if (state.cookie === 'clear') {
      headers.push(['Set-Cookie', serializeCookie(this.cookie, '', 0, this.now())]);
    }
    if (headers.length > 0 && this.cacheControl) headers.push(['Cache-Control', this.cacheControl]);
    state.cookie = 'none';
    return { headers };
  }

  /** The sessions of `userId`, newest first, for a "your active devices" screen. */
  async listForUser(userId: string, current?: Session<Data>): Promise<SessionInfo[]> {
    assertUserId(userId, 'listForUser(userId)');
    const store = this.serverStore('listForUser');
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    const now = this.now();
    const infos = await Promise.all(
      stored
        .filter(({ record }) => !isExpired(record, now))
        .map(async ({ id, record }) => ({
          handle: await publicHandleOf(id),
          current: id === current?.state.id,
          userId: record.userId,
          createdAt: record.createdAt,
          lastSeenAt: record.lastSeenAt,
          authenticatedAt: record.authenticatedAt,
          expiresAt: Math.min(record.idleExpiresAt, record.absoluteExpiresAt),
          ip: record.ip,
          userAgent: record.userAgent,
        })),
    );
    return infos.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /**
   * Ends one of `userId`'s sessions by its public handle (from {@link Sessions.listForUser}).
   * Scoped to the user, so a handle of someone else's session does nothing.
   * @returns `true` when a session was revoked.
   */
  async revoke(userId: string, handle: string): Promise<boolean> {
    assertUserId(userId, 'revoke(userId)');
    const store = this.serverStore('revoke');
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    for (const { id, record } of stored) {
      if ((await publicHandleOf(id)) !== handle) continue;
      await this.backend.delete(id);
      await this.emitFor('revoked', id, record, { reason: 'revoked' });
      return true;
    }
    return false;
  }

  /**
   * Ends every session of `userId` ("log out everywhere"), except `options.except` when given
   * ("log out everywhere else"). Use it after a password change.
   * @returns how many sessions were ended.
   */
  async revokeAll(userId: string, options: { except?: Session<Data> } = {}): Promise<number> {
    assertUserId(userId, 'revokeAll(userId)');
    const store = this.serverStore('revokeAll');
    const exceptId = options.except?.state.id ?? undefined;
    const listening = this.events.has('revoked');
    const before = listening ? await callStore('store.listByUser', () => store.listByUser(userId)) : [];
    const count = await callStore('store.deleteByUser', () =>
      store.deleteByUser(userId, exceptId ? { exceptId } : undefined),
    );
    for (const { id, record } of before) {
      if (id !== exceptId) await this.emitFor('revoked', id, record, { reason: 'revoke-all' });
    }
    return count;
  }

  /** Releases the store's resources (its timers). Does not close clients you passed to the store. */
  async close(): Promise<void> {
    await this.store?.close?.();
  }

  // ——— lifecycle, reached through Session methods ———

  private async save(session: Session<SessionData>): Promise<void> {
    const { state } = session;
    if (state.mutations.length === 0) {
      // Touches queue with saves too: a backend that rewrites whole records (FerretDB) must never see a
      // touch overlap a save of the same session from this process.
      const id = state.id;
      if (state.needsTouch && id && state.record) await this.queue.run(id, () => this.touch(session));
      return;
    }
    if (!state.record) {
      await this.createRecord(session, {
        userId: null,
        authenticatedAt: null,
        createdAt: this.now(),
        data: session.rawData(),
      });
      await this.emit('created', state);
      return;
    }
    const id = state.id as string;
    await this.queue.run(id, () => this.compareAndSet(session, id));
  }

  private async compareAndSet(session: Session<SessionData>, id: string): Promise<void> {
    const { state } = session;
    let base = state.record as SessionRecord;
    let data = session.rawData();
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const next: SessionRecord = {
        ...base,
        data,
        version: base.version + 1,
        lastSeenAt: now,
        idleExpiresAt: this.idleDeadline(base, now),
      };
      if (await this.backend.replace(id, next, base.version)) {
        state.record = next;
        if (this.backend.inCookie) state.cookie = 'set';
        state.mutations = [];
        state.needsTouch = false;
        return;
      }
      const latest = await this.backend.get(id);
      if (!latest || isExpired(latest, this.now())) {
        // Destroyed or expired meanwhile: this request's changes die with it, nothing is resurrected.
        this.reset(session, false);
        return;
      }
      if (attempt >= this.maxConflictRetries) {
        throw new CoatcheckError(
          'CONFLICT_RETRIES_EXHAUSTED',
          `session save lost ${attempt + 1} races in a row to concurrent writers; changes not saved`,
        );
      }
      await this.emit('conflict-retried', { ...state, record: latest }, { reason: `attempt ${attempt + 1}` });
      base = latest;
      data = applyMutations(latest.data, state.mutations);
      session.resetData(data);
      // Retries after the first back off with jitter so writers in other processes spread out.
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 2 ** attempt * 5));
    }
  }

  private async touch(session: Session<SessionData>): Promise<void> {
    const { state } = session;
    const record = state.record as SessionRecord;
    const now = this.now();
    const update = { idleExpiresAt: this.idleDeadline(record, now), lastSeenAt: now };
    if (await this.backend.touch(state.id as string, update)) {
      state.record = { ...record, ...update };
      if (this.backend.inCookie) state.cookie = 'set';
      state.needsTouch = false;
    } else {
      this.reset(session, false);
    }
  }

  private async login(session: Session<SessionData>, userId: string, client?: ClientInfo): Promise<void> {
    assertUserId(userId, 'login(userId)');
    const { state } = session;
    if (client) {
      state.client = {
        ip: client.ip ?? state.client.ip,
        userAgent: client.userAgent ?? state.client.userAgent,
      };
    }
    await this.replaceRecord(session, 'login', (latest) => {
      // A session left logged in by someone else (a shared computer) must not hand its data over.
      const previousUser = latest?.userId ?? null;
      const keep = previousUser === null || previousUser === userId;
      const now = this.now();
      return { userId, authenticatedAt: now, createdAt: now, data: keep ? (latest?.data ?? {}) : {} };
    });
    await this.evictBeyondLimit(userId, state.id as string, state.record as SessionRecord);
  }

  private async regenerate(session: Session<SessionData>): Promise<void> {
    // Nothing stored yet: the next save mints a fresh token anyway.
    if (!session.state.record) return;
    await this.replaceRecord(session, 'regenerate', (latest) =>
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
   * Moves the session to a new token: creates the new record from the latest stored one (this request's
   * changes re-applied), then deletes the old record. Queued with saves to the old record, so a save from
   * this process lands before the move and is carried over, never lost with the old record.
   */
  private async replaceRecord(
    session: Session<SessionData>,
    reason: 'login' | 'regenerate',
    fieldsFrom: (latest: SessionRecord | null) => NewRecordFields | null,
  ): Promise<void> {
    const { state } = session;
    const previousId = state.id;
    const move = async () => {
      // Cookie-only mode has no stored copy: the session's own record is the latest.
      const latest = this.backend.inCookie
        ? state.record
        : previousId
          ? await this.backend.get(previousId)
          : null;
      const fields = fieldsFrom(latest && !isExpired(latest, this.now()) ? latest : null);
      if (!fields) {
        this.reset(session, false);
        return;
      }
      await this.createRecord(session, { ...fields, data: applyMutations(fields.data, state.mutations) });
      if (previousId) await this.backend.delete(previousId);
    };
    await (previousId ? this.queue.run(previousId, move) : move());
    if (!state.id || state.id === previousId) return;
    if (previousId) await this.emit('regenerated', state, { reason, previousSessionId: previousId });
    else await this.emit('created', state, { reason });
  }

  private async destroy(session: Session<SessionData>): Promise<void> {
    const { state } = session;
    if (state.id && state.record) {
      await this.backend.delete(state.id);
      await this.emit('destroyed', state);
    }
    this.reset(session, true);
  }

  /**
   * Makes `session` a new, empty, unsaved session. `clearCookie` asks the browser to drop the cookie
   * (logout); a session that vanished under a concurrent request leaves the cookie alone, since the
   * browser may already hold the cookie of a newer session (a login racing this request).
   */
  private reset(session: Session<SessionData>, clearCookie: boolean): void {
    const { state } = session;
    const hadCookie = state.id !== null || state.cookie !== 'none';
    Object.assign(state, { token: null, id: null, record: null, mutations: [], needsTouch: false });
    state.cookie = clearCookie && hadCookie ? 'clear' : 'none';
    session.resetData({});
  }

  /** Writes a brand-new record under a fresh token and points the session at it. */
  private async createRecord(session: Session<SessionData>, fields: NewRecordFields): Promise<void> {
    const { state } = session;
    const now = this.now();
    const absoluteExpiresAt = fields.absoluteExpiresAt ?? fields.createdAt + this.absoluteMs;
    const record: SessionRecord = {
      data: fields.data,
      userId: fields.userId,
      createdAt: fields.createdAt,
      lastSeenAt: now,
      authenticatedAt: fields.authenticatedAt,
      idleExpiresAt: Math.min(now + this.idleMs, absoluteExpiresAt),
      absoluteExpiresAt,
      version: 1,
      ip: state.client.ip,
      userAgent: state.client.userAgent,
    };
    const { id, token } = await this.backend.create(record);
    Object.assign(state, { token, id, record, mutations: [], needsTouch: false, cookie: 'set' });
    session.resetData(record.data);
  }

  /**
   * Deletes the user's oldest sessions beyond `maxSessionsPerUser`. Only sessions older than the one
   * just created count against it, so two logins racing each other never evict each other: the newer
   * one keeps its place.
   */
  private async evictBeyondLimit(userId: string, keepId: string, kept: SessionRecord): Promise<void> {
    const limit = this.maxSessionsPerUser;
    if (limit === undefined || !this.store) return;
    const store = this.store;
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    const isOlder = (id: string, record: SessionRecord) =>
      record.createdAt < kept.createdAt || (record.createdAt === kept.createdAt && id < keepId);
    const oldestFirst = stored
      .filter(({ id, record }) => id !== keepId && isOlder(id, record))
      .sort((a, b) => a.record.createdAt - b.record.createdAt);
    const excess = oldestFirst.length + 1 - limit;
    for (const { id, record } of oldestFirst.slice(0, Math.max(0, excess))) {
      await this.backend.delete(id);
      await this.emitFor('revoked', id, record, { reason: 'max-sessions' });
    }
  }

  private serverStore(operation: string): SessionStore {
    if (!this.store) {
      throw new CoatcheckError(
        'UNSUPPORTED',
        `${operation}() needs a server-side store: cookie-only sessions cannot be listed or revoked`,
      );
    }
    return this.store;
  }

  private idleDeadline(record: Pick<SessionRecord, 'absoluteExpiresAt'>, now: number): number {
    return Math.min(now + this.idleMs, record.absoluteExpiresAt);
  }

  private newSession(state: SessionState): Session<Data> {
    return new Session<Data>(this.engine, state, {});
  }

  private now(): number {
    return this.engine.now();
  }

  private emit(
    type: SessionEventType,
    state: Pick<SessionState, 'id' | 'record' | 'client'>,
    extra: Pick<SessionEvent, 'reason' | 'previousSessionId'> = {},
  ): Promise<void> {
    if (!this.events.has(type)) return Promise.resolve();
    return this.events.emit({
      type,
      sessionId: state.id,
      userId: state.record?.userId ?? null,
      at: this.now(),
      ip: state.record?.ip ?? state.client.ip,
      userAgent: state.record?.userAgent ?? state.client.userAgent,
      ...extra,
    });
  }

  private emitFor(type: SessionEventType, id: string, record: SessionRecord, extra: { reason: string }) {
    return this.emit(type, { id, record, client: { ip: record.ip, userAgent: record.userAgent } }, extra);
  }
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

/** Fields of a record about to be created (the rest are derived). */
type NewRecordFields = Pick<SessionRecord, 'userId' | 'authenticatedAt' | 'createdAt' | 'data'> & {
  absoluteExpiresAt?: number;
};

/** User ids reach store queries: anything but a non-empty string (an operator object) is refused. */
function assertUserId(userId: unknown, where: string): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new CoatcheckError('INVALID_ARGUMENT', `${where} needs a non-empty string user id`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
