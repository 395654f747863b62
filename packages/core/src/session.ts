import { CoatcheckError } from './errors.js';
import { recordExpiresAt, type SessionRecord } from './store.js';

/** The shape of session data: JSON-serialisable values under string keys. */
export type SessionData = Record<string, unknown>;

/** Data key that holds flash values. */
export const FLASH_KEY = '__flash';
/** Data key that holds the CSRF secret (see `csrf.ts`). */
export const CSRF_KEY = '__csrf';
/** Data key of the marker a moved session leaves in the store (see `moves.ts`). */
export const MOVED_KEY = '__moved';
/** Data key naming the session a moved record continues (see `moves.ts`). */
export const FAMILY_KEY = '__family';
/**
 * Keys Coatcheck keeps in the session's data for itself: hidden from `data`, `get` and `update`, refused
 * by `set`, and set aside from schema validation (a schema that strips unknown keys must not drop them).
 * An app can never write one, so it can never make its session look like a marker.
 */
export const INTERNAL_KEYS: readonly string[] = [FLASH_KEY, CSRF_KEY, MOVED_KEY, FAMILY_KEY];

/** Splits data into the application's part and Coatcheck's internal keys. */
export function splitInternal(data: SessionData): { user: SessionData; internal: SessionData } {
  const user: SessionData = {};
  const internal: SessionData = {};
  for (const [key, value] of Object.entries(data)) {
    if (INTERNAL_KEYS.includes(key)) internal[key] = value;
    else user[key] = value;
  }
  return { user, internal };
}

/** A recorded change, replayed in order onto the latest stored data when a save conflicts. */
export type Mutation = (draft: SessionData) => SessionData | undefined;

/** What the response must do with the cookie. */
export type CookieAction = 'none' | 'set' | 'clear';

/** Client details recorded with a session, for "your devices" screens. */
export interface ClientInfo {
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * What a {@link Session} asks of the manager that loaded it. The manager works on the session's state,
 * so it needs no knowledge of the application's data type.
 */
export interface SessionEngine {
  save(state: SessionState): Promise<void>;
  login(state: SessionState, userId: string, client?: ClientInfo): Promise<void>;
  regenerate(state: SessionState): Promise<void>;
  destroy(state: SessionState): Promise<void>;
  readonly freshnessSeconds: number;
  now(): number;
}

/** Everything about one request's session that the manager changes; reached through {@link internalsOf}. */
export interface SessionState {
  token: string | null;
  id: string | null;
  record: SessionRecord | null;
  /** The working data, internal keys included: frozen, and replaced (never edited) by every change. */
  data: SessionData;
  mutations: Mutation[];
  cookie: CookieAction;
  needsTouch: boolean;
  client: { ip: string | null; userAgent: string | null };
  /**
   * `true` once the app read anything about the session (`isNew` and `isDirty` too, data, user, times,
   * client): the response may then depend on the cookie, so the integrations mark it `Vary: Cookie`. The
   * manager and the integrations read the state directly, so their reads do not count.
   */
  wasRead: boolean;
  /**
   * Called whenever the session gets something to commit (a change, a login, a regenerate, a destroy): an
   * integration hooks the response only once there is something to hold it for. `null` when none listens.
   */
  onChange: (() => void) | null;
  /** Where errors of this session's request are reported (the integration that opened it); `null` for none. */
  reporter: { report(error: unknown): void } | null;
}

/** The state of a session before anything is known about it. */
export function emptyState(client: SessionState['client']): SessionState {
  return {
    token: null,
    id: null,
    record: null,
    data: deepFreeze({}),
    mutations: [],
    cookie: 'none',
    needsTouch: false,
    client,
    wasRead: false,
    onChange: null,
    reporter: null,
  };
}

// The state is reached through a registry symbol rather than a module-private WeakMap so that a session
// made by one copy of the package (ESM) still works with another (CommonJS `csrfToken` or integration).
const STATE = Symbol.for('coatcheck.session');

let construct: <Data extends SessionData>(engine: SessionEngine, state: SessionState) => Session<Data>;

/**
 * One request's view of a session, made by `sessions.load()`. Reads are synchronous; writes are recorded
 * and saved when the response is committed (or on `save()`). A request that changes nothing writes nothing.
 *
 * Change data through `set`, `unset` and `update` only: values returned by `get` and `data` are frozen,
 * so an in-place edit throws instead of being silently lost.
 */
export class Session<Data extends SessionData = SessionData> {
  readonly #state: SessionState;
  readonly #engine: SessionEngine;
  /** `data`, computed on first access after each change. */
  #view: { of: SessionData; data: Readonly<Partial<Data>> } | undefined;

  static {
    Object.defineProperty(Session.prototype, STATE, {
      get(this: Session) {
        return #state in this ? this.#state : undefined;
      },
    });
    construct = <D extends SessionData>(engine: SessionEngine, state: SessionState) =>
      new Session<D>(engine, state);
  }

  private constructor(engine: SessionEngine, state: SessionState) {
    this.#engine = engine;
    this.#state = state;
  }

  /** `true` until the session has a stored record (nothing has been saved for this visitor yet). */
  get isNew(): boolean {
    return this.#read().record === null;
  }

  /** `true` when there are changes not yet saved. */
  get isDirty(): boolean {
    return this.#read().mutations.length > 0;
  }

  /** The user this session is bound to (set by `login`), or `null`. */
  get userId(): string | null {
    return this.#read().record?.userId ?? null;
  }

  /** When the session was created (epoch ms), or `null` before it is saved. */
  get createdAt(): number | null {
    return this.#read().record?.createdAt ?? null;
  }

  /** When the session was last used, to within the touch interval (epoch ms), or `null`. */
  get lastSeenAt(): number | null {
    return this.#read().record?.lastSeenAt ?? null;
  }

  /** When the user last logged in within this session (epoch ms), or `null`. */
  get authenticatedAt(): number | null {
    return this.#read().record?.authenticatedAt ?? null;
  }

  /** When the session will expire unless used again: the earlier of its two deadlines (epoch ms), or `null`. */
  get expiresAt(): number | null {
    const { record } = this.#read();
    return record ? recordExpiresAt(record) : null;
  }

  /** The hard deadline that no activity extends (epoch ms), or `null`. */
  get absoluteExpiresAt(): number | null {
    return this.#read().record?.absoluteExpiresAt ?? null;
  }

  /** Client IP and user agent recorded for this session. */
  get client(): { ip: string | null; userAgent: string | null } {
    const { record, client } = this.#read();
    return record ? { ip: record.ip, userAgent: record.userAgent } : { ...client };
  }

  /** The session's data (frozen). */
  get data(): Readonly<Partial<Data>> {
    const { data } = this.#read();
    if (this.#view?.of !== data) {
      this.#view = { of: data, data: Object.freeze(splitInternal(data).user) as Partial<Data> };
    }
    return this.#view.data;
  }

  /** Reads one value (frozen). */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    const { data } = this.#read();
    if (INTERNAL_KEYS.includes(key)) return undefined;
    return data[key] as Data[K] | undefined;
  }

  /**
   * Sets one value (a JSON copy is kept). Only this key is written on save, so a concurrent request
   * changing another key keeps its change. Setting `undefined` removes the key.
   */
  set<K extends keyof Data & string>(key: K, value: Data[K] | undefined): void {
    assertUserKey(key);
    if (value === undefined) {
      this.unset(key);
      return;
    }
    const copy = toJson(value, key);
    recordChange(this.#state, (draft) => {
      draft[key] = structuredClone(copy);
      return undefined;
    });
  }

  /** Removes one value. */
  unset<K extends keyof Data & string>(key: K): void {
    assertUserKey(key);
    recordChange(this.#state, (draft) => {
      delete draft[key];
      return undefined;
    });
  }

  /**
   * Read-modify-write. `fn` gets a mutable copy of the data: change it in place or return a new
   * object. If a concurrent request saved first, `fn` runs again on the latest data before saving,
   * so appending to a list never loses a concurrent append. Keep `fn` free of side effects.
   */
  update(fn: (draft: Partial<Data>) => Partial<Data> | undefined): void {
    recordChange(this.#state, (draft) => {
      const { user, internal } = splitInternal(draft);
      const next = toJson(fn(user as Partial<Data>) ?? user, 'update()') as SessionData;
      return { ...splitInternal(next).user, ...internal };
    });
  }

  /** Adds a flash value under `key`, shown once by the next `consumeFlash(key)`. */
  flash(key: string, value: unknown): void {
    const copy = toJson(value, `flash ${key}`);
    recordChange(this.#state, (draft) => {
      const flashes = { ...(draft[FLASH_KEY] as Record<string, unknown[]> | undefined) };
      flashes[key] = [...(flashes[key] ?? []), copy];
      draft[FLASH_KEY] = flashes;
      return undefined;
    });
  }

  /** Returns the flash values under `key` (oldest first) and removes them. */
  consumeFlash<T = unknown>(key: string): T[] {
    const values = (readInternal(this.#state, FLASH_KEY) as Record<string, T[]> | undefined)?.[key] ?? [];
    if (values.length > 0) {
      recordChange(this.#state, (draft) => {
        const flashes = { ...(draft[FLASH_KEY] as Record<string, unknown[]> | undefined) };
        delete flashes[key];
        if (Object.keys(flashes).length === 0) delete draft[FLASH_KEY];
        else draft[FLASH_KEY] = flashes;
        return undefined;
      });
    }
    return values;
  }

  /**
   * `true` when the user authenticated within `maxAgeSeconds`: ask for the password again before
   * sensitive actions otherwise.
   * @param maxAgeSeconds defaults to the `freshnessSeconds` option (15 minutes).
   */
  isFresh(maxAgeSeconds: number = this.#engine.freshnessSeconds): boolean {
    const at = this.authenticatedAt;
    return at !== null && this.#engine.now() - at < maxAgeSeconds * 1000;
  }

  /**
   * Logs `userId` in: a new token and record (the old one is deleted, against fixation), data and
   * unsaved changes kept, `authenticatedAt` set, deadlines restarted. Evicts the user's oldest sessions
   * beyond `maxSessionsPerUser`.
   *
   * It writes to the store at once, not at commit. Changes made before it go into the new record in
   * that same write; changes made after it are a second write, when the response is committed. So set
   * what you can before calling it.
   */
  login(userId: string, client?: ClientInfo): Promise<void> {
    this.#state.onChange?.();
    return this.#engine.login(this.#state, userId, client);
  }

  /** Issues a new token for the same session (e.g. after a role change); the old record is deleted. */
  regenerate(): Promise<void> {
    this.#state.onChange?.();
    return this.#engine.regenerate(this.#state);
  }

  /**
   * Logs out: deletes the session from the store and clears the cookie, so the old cookie is refused from
   * then on. The object becomes a new, empty, unsaved session, so a flash message set afterwards still
   * reaches the user.
   */
  destroy(): Promise<void> {
    this.#state.onChange?.();
    return this.#engine.destroy(this.#state);
  }

  /** Saves pending changes now instead of when the response is committed. */
  save(): Promise<void> {
    return this.#engine.save(this.#state);
  }

  #read(): SessionState {
    this.#state.wasRead = true;
    return this.#state;
  }
}

/** A new session over `state`; only the manager makes sessions. */
export function createSession<Data extends SessionData>(
  engine: SessionEngine,
  state: SessionState,
): Session<Data> {
  return construct<Data>(engine, state);
}

/**
 * The manager's access to a session's state, for `sessions.ts`, `csrf.ts` and the integrations. Not
 * exported from the package: apps see only the members of {@link Session}.
 * @throws `INVALID_ARGUMENT` when `session` did not come from `sessions.load()`.
 */
export function internalsOf<Data extends SessionData>(session: Session<Data>): SessionState {
  const state = (session as { [STATE]?: SessionState } | null | undefined)?.[STATE];
  if (!state) throw new CoatcheckError('INVALID_ARGUMENT', 'expected a session from sessions.load()');
  return state;
}

/** Replaces the working data (after a load, a conflict or a reset). */
export function setData(state: SessionState, data: SessionData): void {
  state.data = deepFreeze(data);
}

/** Reads one of Coatcheck's internal keys (see {@link INTERNAL_KEYS}). */
export function readInternal(state: SessionState, key: string): unknown {
  state.wasRead = true;
  return state.data[key];
}

/** Writes one of Coatcheck's internal keys; recorded and re-applied like any change. */
export function writeInternal(state: SessionState, key: string, value: unknown): void {
  const copy = toJson(value, key);
  recordChange(state, (draft) => {
    draft[key] = structuredClone(copy);
    return undefined;
  });
}

/** Applies a change to the working data now and records it for the save (and its conflict retries). */
function recordChange(state: SessionState, mutation: Mutation): void {
  setData(state, applyMutations(state.data, [mutation]));
  state.mutations.push(mutation);
  state.onChange?.();
}

/** Applies recorded mutations, in order, to a copy of `base`. */
export function applyMutations(base: SessionData, mutations: readonly Mutation[]): SessionData {
  let draft = structuredClone(base) as SessionData;
  for (const mutation of mutations) draft = mutation(draft) ?? draft;
  return draft;
}

function assertUserKey(key: string): void {
  if (typeof key !== 'string' || INTERNAL_KEYS.includes(key)) {
    throw new CoatcheckError(
      'INVALID_ARGUMENT',
      `session key ${JSON.stringify(key)} is reserved or not a string`,
    );
  }
}

function toJson(value: unknown, what: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new CoatcheckError('INVALID_ARGUMENT', `session value for ${what} is not JSON-serialisable`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new CoatcheckError('INVALID_ARGUMENT', `session value for ${what} is not JSON-serialisable`);
  }
  return JSON.parse(text);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
