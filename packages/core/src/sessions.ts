import { type RecordBackend, StoreBackend } from './backend.js';
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
   * Key ring for signing (and, in cookie-only mode, sealing) cookies: the first signs, all verify. Each at least 32 random bytes. To rotate,
   * put the new secret first and keep the old one until its cookies have been re-issued (on their
   * next request, automatically) or have expired.
   */
  secrets: string | readonly string[];
  /** The session ends after this long without a request (sliding). @default 86400 (1 day) */
  idleTimeoutSeconds?: number;
  /** The session ends this long after login or creation, however active. @default 604800 (7 days) */
  absoluteTimeoutSeconds?: number;
  /**
   * A request that changes nothing writes to the store only when the idle deadline would move by at
   * least this much: one write per interval for a busy user, not one per request.
   * @default 60
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
    const { store, cookieOnly = false } = options;
    const keys = new KeyRing(options.secrets);
    if (cookieOnly) {
      if (store !== undefined) invalidOption('store', 'must be omitted with `cookieOnly: true`');
      this.backend = new SealedCookieBackend(keys);
    } else {
      if (store === undefined) invalidOption('store', 'is required (or set `cookieOnly: true`)');
      for (const method of STORE_METHODS) {
        if (typeof store?.[method] !== 'function') invalidOption('store', `must implement ${method}()`);
      }
      this.backend = new StoreBackend(store, keys);
    }
    this.store = store;
    this.cookie = resolveCookieOptions(options.cookie);
    const idle = positive(options, 'idleTimeoutSeconds');
    const absolute = positive(options, 'absoluteTimeoutSeconds');
    if (idle > absolute) invalidOption('idleTimeoutSeconds', 'must not exceed `absoluteTimeoutSeconds`');
    this.idleMs = idle * 1000;
    this.absoluteMs = absolute * 1000;
    this.touchIntervalMs = positive(options, 'touchIntervalSeconds', true) * 1000;
    this.maxConflictRetries = positive(options, 'maxConflictRetries', true);
    if (options.maxSessionsPerUser !== undefined) {
      if (!Number.isInteger(options.maxSessionsPerUser) || options.maxSessionsPerUser < 1) {
        invalidOption('maxSessionsPerUser', 'must be a whole number of at least 1');
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
      state.cookie = 'clear';
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
      if (state.needsTouch && state.id && state.record) await this.touch(session);
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
        this.reset(session);
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
      this.reset(session);
    }
  }

  private async login(session: Session<SessionData>, userId: string, client?: ClientInfo): Promise<void> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new CoatcheckError('INVALID_ARGUMENT', 'login(userId) needs a non-empty string user id');
    }
    const { state } = session;
    if (client) {
      state.client = {
        ip: client.ip ?? state.client.ip,
        userAgent: client.userAgent ?? state.client.userAgent,
      };
    }
    const previousId = state.id;
    const now = this.now();
    await this.createRecord(session, {
      userId,
      authenticatedAt: now,
      createdAt: now,
      data: await this.latestData(session),
    });
    if (previousId) {
      await this.backend.delete(previousId);
      await this.emit('regenerated', state, { reason: 'login', previousSessionId: previousId });
    } else {
      await this.emit('created', state, { reason: 'login' });
    }
    await this.evictBeyondLimit(userId, state.id as string);
  }

  private async regenerate(session: Session<SessionData>): Promise<void> {
    const { state } = session;
    const previous = state.record;
    const previousId = state.id;
    if (!previous || !previousId) {
      // Nothing stored yet: the next save will mint a fresh token anyway.
      return;
    }
    await this.createRecord(session, {
      userId: previous.userId,
      authenticatedAt: previous.authenticatedAt,
      createdAt: previous.createdAt,
      absoluteExpiresAt: previous.absoluteExpiresAt,
      data: await this.latestData(session),
    });
    await this.backend.delete(previousId);
    await this.emit('regenerated', state, { reason: 'regenerate', previousSessionId: previousId });
  }

  private async destroy(session: Session<SessionData>): Promise<void> {
    const { state } = session;
    if (state.id && state.record) {
      await this.backend.delete(state.id);
      await this.emit('destroyed', state);
    }
    this.reset(session);
  }

  /** Makes `session` a new, empty, unsaved session whose cookie the response clears. */
  private reset(session: Session<SessionData>): void {
    const { state } = session;
    const hadCookie = state.id !== null || state.cookie !== 'none';
    Object.assign(state, { token: null, id: null, record: null, mutations: [], needsTouch: false });
    state.cookie = hadCookie ? 'clear' : 'none';
    session.resetData({});
  }

  /** Data to carry into a new record: the latest stored data with this request's changes re-applied. */
  private async latestData(session: Session<SessionData>): Promise<SessionData> {
    const { state } = session;
    // Re-read even without local changes: another request may have written since this one loaded.
    if (!state.id) return session.rawData();
    const latest = await this.backend.get(state.id);
    return latest ? applyMutations(latest.data, state.mutations) : session.rawData();
  }

  /** Writes a brand-new record under a fresh token and points the session at it. */
  private async createRecord(
    session: Session<SessionData>,
    fields: Pick<SessionRecord, 'userId' | 'authenticatedAt' | 'createdAt' | 'data'> & {
      absoluteExpiresAt?: number;
    },
  ): Promise<void> {
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

  private async evictBeyondLimit(userId: string, keepId: string): Promise<void> {
    const limit = this.maxSessionsPerUser;
    if (limit === undefined || !this.store) return;
    const store = this.store;
    const stored = await callStore('store.listByUser', () => store.listByUser(userId));
    if (stored.length <= limit) return;
    const oldestFirst = stored
      .filter(({ id }) => id !== keepId)
      .sort((a, b) => a.record.createdAt - b.record.createdAt);
    for (const { id, record } of oldestFirst.slice(0, stored.length - limit)) {
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
  allowZero = false,
): number {
  const value = options[name] ?? DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    invalidOption(name, `must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${String(value)})`);
  }
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
