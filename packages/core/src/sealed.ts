import type { OpenedCookie, RecordBackend } from './backend.js';
import { fromBase64Url, generateToken, type KeyRing, toBase64Url } from './crypto.js';
import { callStore } from './errors.js';
import type { RevocationStore } from './revocation.js';
import type { SessionRecord, TouchUpdate } from './store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Cookie-only sessions: the whole record, deadlines included, is sealed into the cookie with
 * AES-256-GCM (authenticated encryption) under the key ring. The value is `<keyId>.<iv+ciphertext>`
 * where the key id (derived from the secret) says which key sealed it, so old keys still open cookies
 * and a cookie opened with an old key is re-sealed under the current one.
 *
 * Without server-side state nothing can be revoked: a copied cookie works until its idle or absolute
 * deadline. With a revocation store, logout and token changes revoke the sealed session id until the
 * session's own sealed deadline, and a cookie whose id is revoked is refused — one read per request, no
 * session data on the server.
 */
export class SealedCookieBackend implements RecordBackend {
  readonly inCookie = true;

  private readonly additionalData: Uint8Array<ArrayBuffer>;

  /**
   * @param cookieName bound into every seal, so a cookie sealed for another name never opens here.
   * @param revocations where ended sessions are remembered; none: nothing is revocable.
   */
  constructor(
    private readonly keys: KeyRing,
    cookieName: string,
    private readonly revocations: RevocationStore | undefined,
    private readonly now: () => number,
  ) {
    this.additionalData = encoder.encode(cookieName);
  }

  async open(values: string[]): Promise<OpenedCookie | null> {
    for (const value of values) {
      const dot = value.indexOf('.');
      const sealed = dot > 0 ? fromBase64Url(value.slice(dot + 1)) : null;
      const unsealed = sealed && (await this.keys.unseal(value.slice(0, dot), sealed, this.additionalData));
      // Tampered, truncated or sealed under a key we no longer have: try the next value.
      if (!unsealed) continue;
      let opened: { id: string; record: SessionRecord };
      try {
        opened = JSON.parse(decoder.decode(unsealed.plain)) as { id: string; record: SessionRecord };
      } catch {
        continue;
      }
      const { id, record } = opened;
      const revoked = await this.isRevoked(id);
      return { id, record: revoked ? null : record, token: null, stale: unsealed.keyIndex > 0 };
    }
    return null;
  }

  async create(): Promise<{ id: string; token: null }> {
    // A random id gives events and audit logs something to name the session by.
    return { id: generateToken(), token: null };
  }

  /**
   * Revokes the old id and mints a new one, unless the old id is revoked already: a logout, or another
   * request's login or regenerate, got there first, and this session must not live on under a new id. A
   * revocation store that says whether its `revoke()` was the first (both of Coatcheck's do) also closes the
   * gap between that check and this revocation.
   */
  async move(
    fromId: string,
    from: SessionRecord,
    record: SessionRecord,
  ): Promise<{ id: string; token: null; record: SessionRecord } | null> {
    if (await this.isRevoked(fromId)) return null;
    if ((await this.revoke(fromId, from)) === false) return null;
    return { ...(await this.create()), record };
  }

  private async isRevoked(id: string): Promise<boolean> {
    const revocations = this.revocations;
    // Outside the unsealing: a revocation store that fails is an outage (`STORE_ERROR`), never a bad cookie.
    return !!revocations && (await callStore('revocationStore.isRevoked', () => revocations.isRevoked(id)));
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

  /**
   * Ends a sealed session by revoking its id, when there is a revocation store; otherwise nothing can be
   * done. Every copy of the cookie carries the same absolute deadline and none opens after it, so the
   * revocation must last until then: a deadline from the current configuration could end sooner (a
   * shortened timeout) and let a revoked cookie open again.
   */
  async delete(id: string, record: SessionRecord): Promise<void> {
    await this.revoke(id, record);
  }

  /** @returns `false` when the revocation store says the id was revoked already. */
  private async revoke(id: string, record: SessionRecord): Promise<boolean | undefined> {
    const revocations = this.revocations;
    const untilEpochMs = record.absoluteExpiresAt;
    if (!revocations || untilEpochMs <= this.now()) return undefined;
    const first = await callStore('revocationStore.revoke', () => revocations.revoke(id, untilEpochMs));
    return typeof first === 'boolean' ? first : undefined;
  }

  /**
   * Nothing: a sealed cookie past its deadline is not revoked, since a fresher copy of it may be the
   * user's live session, and no copy of it opens any more anyway.
   */
  async discard(): Promise<void> {}

  /**
   * The sealed cookie, or `null` when the session was revoked while this request was in flight (a logout
   * in another request): re-issuing it would put a logged-out session back in the browser.
   */
  async cookieValue(id: string, _token: string | null, record: SessionRecord): Promise<string | null> {
    if (await this.isRevoked(id)) return null;
    const plain = encoder.encode(JSON.stringify({ id, record }));
    const { keyId, sealed } = await this.keys.seal(plain, this.additionalData);
    return `${keyId}.${toBase64Url(sealed)}`;
  }
}
