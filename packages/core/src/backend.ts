import { equalInConstantTime, generateToken, isTokenShaped, type KeyRing, storeIdOf } from './crypto.js';
import { CoatcheckError, callStore } from './errors.js';
import { endSessions, isMarker, movedRecord, retire } from './moves.js';
import type { SessionRecord, SessionStore, TouchUpdate } from './store.js';

/** What a verified cookie points at. */
export interface OpenedCookie {
  /** Store id (server mode) or the session id sealed in the cookie (cookie-only mode). */
  id: string;
  /** The record, or `null` when the server no longer has it. */
  record: SessionRecord | null;
  /** The server-mode token; `null` in cookie-only mode. */
  token: string | null;
  /** `true` when an older key opened the cookie, so it must be re-issued under the current one. */
  stale: boolean;
}

/**
 * Where the lifecycle keeps records: a server-side store keyed by the token's hash, or the cookie
 * itself. The lifecycle in `sessions.ts` is written once against this interface.
 * @internal
 */
export interface RecordBackend {
  /** `true` when every change travels in the cookie (no server-side revocation). */
  readonly inCookie: boolean;
  /** Opens the first cookie value that verifies; `null` when none does. */
  open(values: string[]): Promise<OpenedCookie | null>;
  /** Stores a new record under a fresh id. */
  create(record: SessionRecord): Promise<{ id: string; token: string | null }>;
  /**
   * Moves the session `fromId`, read as `from`, to a new id holding `record` (login, regenerate).
   * @returns the new id, token and record as stored; `null` when `fromId` changed, moved or ended since it
   *   was read — nothing was moved, and the caller reads it again.
   */
  move(
    fromId: string,
    from: SessionRecord,
    record: SessionRecord,
  ): Promise<{ id: string; token: string | null; record: SessionRecord } | null>;
  /** The live session under `id`; `null` for none, or for what a move or an end left behind. */
  get(id: string): Promise<SessionRecord | null>;
  replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean>;
  touch(id: string, update: TouchUpdate): Promise<boolean>;
  /** Ends the session `id`, whose latest known record is `record`, and whatever it moved to meanwhile. */
  delete(id: string, record: SessionRecord): Promise<void>;
  /** Removes a record found past its deadline, which nothing can move or save any more. */
  discard(id: string): Promise<void>;
  /** The cookie value that carries the session; `null` when it ended meanwhile and none may be sent. */
  cookieValue(id: string, token: string | null, record: SessionRecord): Promise<string | null>;
}

/** How many verified signatures {@link StoreBackend} remembers (about 200 bytes each). */
const VERIFIED_SIGNATURES = 10_000;

/** Server-side records: the cookie carries `token.signature`, the store holds `SHA-256(token)`. */
export class StoreBackend implements RecordBackend {
  readonly inCookie = false;
  /**
   * Signatures that verified, by the store id of their token, oldest first: a cookie seen again costs a
   * hash and a comparison, not an HMAC. Keyed by the id, not the token, so a lookup with a guessed token
   * finds only what that guess hashes to, and the comparison takes the same time however much of a
   * forged signature is right. The key ring never changes, so nothing goes stale.
   */
  private readonly verified = new Map<string, { signature: string; keyIndex: number }>();

  constructor(
    private readonly store: SessionStore,
    private readonly keys: KeyRing,
    private readonly now: () => number,
  ) {}

  async open(values: string[]): Promise<OpenedCookie | null> {
    // Several values under one name happen when an old cookie with another Path or Domain lingers, or a
    // parent domain plants one: the first that verifies and still has a record wins.
    let verified: OpenedCookie | null = null;
    for (const value of values) {
      const dot = value.indexOf('.');
      const token = value.slice(0, dot);
      if (dot === -1 || !isTokenShaped(token)) continue;
      const signature = value.slice(dot + 1);
      const id = await storeIdOf(token);
      const keyIndex = await this.verify(id, token, signature);
      if (keyIndex < 0) continue;
      const opened = { id, token, stale: keyIndex > 0, record: await this.get(id) };
      if (opened.record) return opened;
      verified ??= opened;
    }
    return verified;
  }

  /** The index of the key that signed `token` (0 = current), or -1; remembered once it verified. */
  private async verify(id: string, token: string, signature: string): Promise<number> {
    const known = this.verified.get(id);
    if (known && equalInConstantTime(known.signature, signature)) return known.keyIndex;
    const keyIndex = await this.keys.verify(token, signature);
    // A cookie re-issued under the current key takes the place of its old-key spelling.
    if (keyIndex >= 0 && (!known || keyIndex < known.keyIndex)) {
      this.verified.delete(id);
      if (this.verified.size >= VERIFIED_SIGNATURES) {
        this.verified.delete(this.verified.keys().next().value as string);
      }
      this.verified.set(id, { signature, keyIndex });
    }
    return keyIndex;
  }

  async create(record: SessionRecord): Promise<{ id: string; token: string }> {
    // 256 random bits never collide in practice; the loop only guards a broken random source.
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = generateToken();
      const id = await storeIdOf(token);
      if (await callStore('store.create', () => this.store.create(id, record))) return { id, token };
    }
    throw new CoatcheckError(
      'STORE_ERROR',
      'store.create refused three fresh random ids; is create() correct?',
    );
  }

  async move(
    fromId: string,
    from: SessionRecord,
    record: SessionRecord,
  ): Promise<{ id: string; token: string; record: SessionRecord } | null> {
    // The new record first, the old one retired after it, then the check for an end (see moves.ts).
    const moved = movedRecord(fromId, from, record);
    const created = await this.create(moved);
    if (await retire(this.store, fromId, from, { id: created.id, record: moved }, this.now())) {
      return { ...created, record: moved };
    }
    // Its token was never issued, so the new record is simply dropped.
    await callStore('store.delete', () => this.store.delete(created.id));
    return null;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const record = await callStore('store.get', () => this.store.get(id));
    return record && !isMarker(record) ? record : null;
  }

  replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    return callStore('store.replace', () => this.store.replace(id, record, expectedVersion));
  }

  touch(id: string, update: TouchUpdate): Promise<boolean> {
    return callStore('store.touch', () => this.store.touch(id, update));
  }

  async delete(id: string, record: SessionRecord): Promise<void> {
    await endSessions(this.store, [{ id, record }], this.now());
  }

  discard(id: string): Promise<void> {
    return callStore('store.delete', () => this.store.delete(id));
  }

  async cookieValue(_id: string, token: string | null): Promise<string> {
    return `${token}.${await this.keys.sign(token as string)}`;
  }
}
