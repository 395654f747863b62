import type { OpenedCookie, RecordBackend } from './backend.js';
import { fromBase64Url, generateToken, type KeyRing, toBase64Url } from './crypto.js';
import { callStore } from './errors.js';
import type { SessionRecord, SessionStore, TouchUpdate } from './store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const IV_BYTES = 12;

/**
 * Cookie-only sessions: the whole record, deadlines included, is sealed into the cookie with
 * AES-256-GCM (authenticated encryption) under the key ring. The value is `<keyId>.<iv+ciphertext>`
 * where the key id (derived from the secret) says which key sealed it, so old keys still open cookies
 * and a cookie opened with an old key is re-sealed under the current one.
 *
 * Without server-side state nothing can be revoked: a copied cookie works until its idle or absolute
 * deadline. With a revocation store, logout and token changes write a tombstone for the sealed session
 * id, and a cookie whose id has one is refused — one store read per request, no session data on the server.
 */
export class SealedCookieBackend implements RecordBackend {
  readonly inCookie = true;

  private readonly additionalData: Uint8Array<ArrayBuffer>;

  /**
   * @param cookieName bound into every seal, so a cookie sealed for another name never opens here.
   * @param revocations where tombstones of ended sessions live, kept `tombstoneLifetimeMs` (the longest
   *   a sealed cookie can stay valid); none: nothing is revocable.
   */
  constructor(
    private readonly keys: KeyRing,
    cookieName: string,
    private readonly revocations?: { store: SessionStore; tombstoneLifetimeMs: number; now: () => number },
  ) {
    this.additionalData = encoder.encode(cookieName);
  }

  async open(values: string[]): Promise<OpenedCookie | null> {
    const keys = await this.keys.sealKeys();
    for (const value of values) {
      const dot = value.indexOf('.');
      const keyIndex = keys.findIndex(({ id }) => id === value.slice(0, dot));
      const key = keys[keyIndex]?.key;
      const sealed = fromBase64Url(value.slice(dot + 1));
      if (!key || !sealed || sealed.length <= IV_BYTES + 16) continue;
      try {
        const plain = await globalThis.crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: sealed.subarray(0, IV_BYTES), additionalData: this.additionalData },
          key,
          sealed.subarray(IV_BYTES),
        );
        const { id, record } = JSON.parse(decoder.decode(plain)) as { id: string; record: SessionRecord };
        const revocations = this.revocations;
        const revoked = revocations && (await callStore('revocations.get', () => revocations.store.get(id)));
        return { id, record: revoked ? null : record, token: null, stale: keyIndex > 0 };
      } catch {
        // Tampered, truncated or sealed under a key we no longer have: try the next value.
      }
    }
    return null;
  }

  async create(): Promise<{ id: string; token: null }> {
    // A random id gives events and audit logs something to name the session by.
    return { id: generateToken(), token: null };
  }

  async get(): Promise<SessionRecord | null> {
    return null;
  }

  // The cookie is the record: every write succeeds and is carried by the response's Set-Cookie.
  async replace(): Promise<boolean> {
    return true;
  }

  async touch(_id: string, _update: TouchUpdate): Promise<boolean> {
    return true;
  }

  /** Ends a sealed session: a tombstone when there is a revocation store, otherwise nothing can be done. */
  async delete(id: string): Promise<void> {
    const revocations = this.revocations;
    if (!revocations) return;
    const now = revocations.now();
    const expiresAt = now + revocations.tombstoneLifetimeMs;
    const tombstone: SessionRecord = {
      data: {},
      userId: null,
      createdAt: now,
      lastSeenAt: now,
      authenticatedAt: null,
      idleExpiresAt: expiresAt,
      absoluteExpiresAt: expiresAt,
      version: 1,
      ip: null,
      userAgent: null,
    };
    await callStore('revocations.create', () => revocations.store.create(id, tombstone));
  }

  async cookieValue(id: string, _token: string | null, record: SessionRecord): Promise<string> {
    const [current] = await this.keys.sealKeys();
    const { id: keyId, key } = current as { id: string; key: CryptoKey };
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const plain = encoder.encode(JSON.stringify({ id, record }));
    const cipher = new Uint8Array(
      await globalThis.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: this.additionalData },
        key,
        plain,
      ),
    );
    const sealed = new Uint8Array(IV_BYTES + cipher.length);
    sealed.set(iv);
    sealed.set(cipher, IV_BYTES);
    return `${keyId}.${toBase64Url(sealed)}`;
  }
}
