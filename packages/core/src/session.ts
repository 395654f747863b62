import { CoatcheckError } from './errors.js';
import { recordExpiresAt, type SessionRecord } from './store.js';

/** The shape of session data: JSON-serialisable values under string keys. */
export type SessionData = Record<string, unknown>;

/** Data key that holds flash values. */
export const FLASH_KEY = '__flash';
/** Data key that holds the CSRF secret (see `csrf.ts`). */
export const CSRF_KEY = '__csrf';
/**
 * Keys Coatcheck keeps in the session's data for itself: hidden from `data`, `get` and `update`, refused
 * by `set`, and set aside from schema validation (a schema that strips unknown keys must not drop them).
 */
export const INTERNAL_KEYS: readonly string[] = [FLASH_KEY, CSRF_KEY];

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

/** The operations a {@link Session} delegates to the manager that loaded it. @internal */
export interface SessionEngine {
  save(session: Session<SessionData>): Promise<void>;
  login(session: Session<SessionData>, userId: string, client?: ClientInfo): Promise<void>;
  regenerate(session: Session<SessionData>): Promise<void>;
  destroy(session: Session<SessionData>): Promise<void>;
  readonly freshnessSeconds: number;
  now(): number;
}

/** Mutable lifecycle state of a session, owned by the manager. @internal */
export interface SessionState {
  token: string | null;
  id: string | null;
  record: SessionRecord | null;
  mutations: Mutation[];
  cookie: CookieAction;
  needsTouch: boolean;
  client: { ip: string | null; userAgent: string | null };
}

/**
 * One request's view of a session. Reads are synchronous; writes are recorded and saved when the
 * response is committed (or on `save()`). A request that changes nothing writes nothing.
 *
 * Change data through `set`, `unset` and `update` only: values returned by `get` and `data` are frozen,
 * so an in-place edit throws instead of being silently lost.
 */
export class Session<Data extends SessionData = SessionData> {
  /** @internal */
  readonly state: SessionState;
  private working: SessionData;
  /** `data`, computed on first access after each change. */
  private userData: Readonly<Partial<Data>> | undefined;
  private readonly engine: SessionEngine;
  private read = false;

  /** @internal Sessions are created by `sessions.load()`. */
  constructor(engine: SessionEngine, state: SessionState, data: SessionData) {
    this.engine = engine;
    this.state = state;
    this.working = deepFreeze(data);
  }

  /** `true` until the session has a stored record (nothing has been saved for this visitor yet). */
  get isNew(): boolean {
    return this.state.record === null;
  }

  /** `true` when there are changes not yet saved. */
  get isDirty(): boolean {
    return this.state.mutations.length > 0;
  }

  /**
   * @internal `true` once anything about the session was read (data, user, times, client): the response
   * may then depend on the cookie, so the integrations mark it `Vary: Cookie`. `isNew` and `isDirty` do
   * not count, since the integrations ask them on every request.
   */
  get wasRead(): boolean {
    return this.read;
  }

  /** The user this session is bound to (set by `login`), or `null`. */
  get userId(): string | null {
    this.read = true;
    return this.state.record?.userId ?? null;
  }

  /** When the session was created (epoch ms), or `null` before it is saved. */
  get createdAt(): number | null {
    this.read = true;
    return this.state.record?.createdAt ?? null;
  }

  /** When the session was last used, to within the touch interval (epoch ms), or `null`. */
  get lastSeenAt(): number | null {
    this.read = true;
    return this.state.record?.lastSeenAt ?? null;
  }

  /** When the user last logged in within this session (epoch ms), or `null`. */
  get authenticatedAt(): number | null {
    this.read = true;
    return this.state.record?.authenticatedAt ?? null;
  }

  /** When the session will expire unless used again: the earlier of its two deadlines (epoch ms), or `null`. */
  get expiresAt(): number | null {
    this.read = true;
    return this.state.record ? recordExpiresAt(this.state.record) : null;
  }

  /** The hard deadline that no activity extends (epoch ms), or `null`. */
  get absoluteExpiresAt(): number | null {
    this.read = true;
    return this.state.record?.absoluteExpiresAt ?? null;
  }

  /** Client IP and user agent recorded for this session. */
  get client(): { ip: string | null; userAgent: string | null } {
    this.read = true;
    return this.state.record
      ? { ip: this.state.record.ip, userAgent: this.state.record.userAgent }
      : { ...this.state.client };
  }

  /** The session's data (frozen). */
  get data(): Readonly<Partial<Data>> {
    this.read = true;
    this.userData ??= Object.freeze(splitInternal(this.working).user) as Partial<Data>;
    return this.userData;
  }

  /** Reads one value (frozen). */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    this.read = true;
    if (INTERNAL_KEYS.includes(key)) return undefined;
    return this.working[key] as Data[K] | undefined;
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
    this.mutate((draft) => {
      draft[key] = structuredClone(copy);
      return undefined;
    });
  }

  /** Removes one value. */
  unset<K extends keyof Data & string>(key: K): void {
    assertUserKey(key);
    this.mutate((draft) => {
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
    this.mutate((draft) => {
      const { user, internal } = splitInternal(draft);
      const next = toJson(fn(user as Partial<Data>) ?? user, 'update()') as SessionData;
      return { ...splitInternal(next).user, ...internal };
    });
  }

  /** Adds a flash value under `key`, shown once by the next `consumeFlash(key)`. */
  flash(key: string, value: unknown): void {
    const copy = toJson(value, `flash ${key}`);
    this.mutate((draft) => {
      const flashes = { ...(draft[FLASH_KEY] as Record<string, unknown[]> | undefined) };
      flashes[key] = [...(flashes[key] ?? []), copy];
      draft[FLASH_KEY] = flashes;
      return undefined;
    });
  }

  /** Returns the flash values under `key` (oldest first) and removes them. */
  consumeFlash<T = unknown>(key: string): T[] {
    this.read = true;
    const values = (this.working[FLASH_KEY] as Record<string, T[]> | undefined)?.[key] ?? [];
    if (values.length > 0) {
      this.mutate((draft) => {
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
  isFresh(maxAgeSeconds: number = this.engine.freshnessSeconds): boolean {
    const at = this.authenticatedAt;
    return at !== null && this.engine.now() - at < maxAgeSeconds * 1000;
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
    return this.engine.login(this as unknown as Session<SessionData>, userId, client);
  }

  /** Issues a new token for the same session (e.g. after a role change); the old record is deleted. */
  regenerate(): Promise<void> {
    return this.engine.regenerate(this as unknown as Session<SessionData>);
  }

  /**
   * Deletes the session from the store and clears the cookie. The object becomes a new, empty,
   * unsaved session, so a flash message set after logout still reaches the user.
   */
  destroy(): Promise<void> {
    return this.engine.destroy(this as unknown as Session<SessionData>);
  }

  /** Alias of {@link Session.destroy}. */
  logout(): Promise<void> {
    return this.destroy();
  }

  /** Saves pending changes now instead of when the response is committed. */
  save(): Promise<void> {
    return this.engine.save(this as unknown as Session<SessionData>);
  }

  /** @internal Reads one of Coatcheck's internal keys (see {@link INTERNAL_KEYS}). */
  readInternal(key: string): unknown {
    this.read = true;
    return this.working[key];
  }

  /** @internal Writes one of Coatcheck's internal keys; recorded and re-applied like any change. */
  writeInternal(key: string, value: unknown): void {
    const copy = toJson(value, key);
    this.mutate((draft) => {
      draft[key] = structuredClone(copy);
      return undefined;
    });
  }

  /** @internal The working data, internal keys included. */
  rawData(): SessionData {
    return this.working;
  }

  /** @internal Replaces the working data (after a load, a conflict or a reset). */
  resetData(data: SessionData): void {
    this.working = deepFreeze(data);
    this.userData = undefined;
  }

  private mutate(mutation: Mutation): void {
    this.resetData(applyMutations(this.working, [mutation]));
    this.state.mutations.push(mutation);
  }
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
