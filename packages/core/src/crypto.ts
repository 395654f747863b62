import { invalidOption } from './errors.js';

// Web Crypto everywhere, so the same build runs on Node, Bun, Deno and edge runtimes…
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

// …except for what requests pay (SHA-256 of the token, HMAC of the cookie, AES-GCM of a sealed cookie):
// where Node's own crypto is reachable synchronously it is used instead, because it avoids a promise
// round trip through Web Crypto per call. Both paths derive the same keys and produce the same bytes, so
// cookies move freely between runtimes.
type NodeCrypto = typeof import('node:crypto');
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/** AES-GCM's nonce and tag sizes, in bytes. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Minimum secret length. Secrets are keys, not passwords: they are not stretched. */
export const MIN_SECRET_BYTES = 32;

// Node's Buffer (also Bun's) encodes and decodes base64url natively, far faster than the loop below, which
// runtimes without it (Deno, workerd) use.
const NodeBuffer = (globalThis as { Buffer?: typeof import('node:buffer').Buffer }).Buffer;

/** Encodes bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  if (NodeBuffer)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Unused low bits of the last character, by the text's length modulo 4. */
const UNUSED_BITS = [0, 0, 4, 2] as const;

/**
 * Decodes unpadded base64url; `null` when the text is not base64url, or not its canonical spelling: when
 * the length is not a multiple of 4, the last character has 2 or 4 unused bits, and text with any of them
 * set decodes to the same bytes. Accepting those would let 4 or 16 spellings of one sealed cookie or token
 * open, so altered cookies would not all be refused.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const unused = UNUSED_BITS[(text.length % 4) as 0 | 2 | 3];
  if (unused > 0 && (ALPHABET.indexOf(text.at(-1) as string) & ((1 << unused) - 1)) !== 0) return null;
  if (NodeBuffer) {
    const decoded = NodeBuffer.from(text, 'base64url');
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength) as Uint8Array<ArrayBuffer>;
  }
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** CSPRNG output fetched ahead, so that a token costs a copy rather than a call into the CSPRNG each. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = new Uint8Array(0);
let randomOffset = 0;

/**
 * `length` (at most 4096) fresh bytes from the CSPRNG, never handed out twice. They come from a pool
 * filled 4 KiB at a time (Node does the same for `randomUUID()`): one `getRandomValues` call costs about
 * as much as the rest of a login.
 */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (randomOffset + length > randomPool.length) {
    randomPool = globalThis.crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES));
    randomOffset = 0;
  }
  const bytes = randomPool.slice(randomOffset, randomOffset + length);
  // Handed-out bytes do not stay behind in the pool.
  randomPool.fill(0, randomOffset, randomOffset + length);
  randomOffset += length;
  return bytes;
}

/** A new session token: 256 bits from the CSPRNG, base64url. It carries no meaning. */
export function generateToken(): string {
  return toBase64Url(randomBytes(32));
}

/** True when `text` has the shape of a token we issue (checked before any crypto work). */
export function isTokenShaped(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** `base64url(SHA-256(text))`. */
export async function sha256(text: string, native = nodeCrypto): Promise<string> {
  // `hash()` is the one-shot form (Node 20.12+), cheaper than a Hash object per call.
  if (native)
    return (
      native.hash?.('sha256', text, 'base64url') ??
      native.createHash('sha256').update(text).digest('base64url')
    );
  return toBase64Url(new Uint8Array(await subtle.digest('SHA-256', encoder.encode(text))));
}

/** The store id of a token: its SHA-256. The store never sees the token itself. */
export function storeIdOf(token: string): Promise<string> {
  return sha256(token);
}

/**
 * A public handle for a stored session, safe to show in "your devices" lists and to send back to
 * revoke one: derived from the store id by another hash, so it cannot be turned into a cookie or an id.
 */
export async function publicHandleOf(storeId: string): Promise<string> {
  return (await sha256(`coatcheck-handle:${storeId}`)).slice(0, 22);
}

/**
 * The configured secrets: the first signs and seals, all verify and open, so keys rotate without
 * logging anyone out. Each purpose gets its own key, derived with HKDF, so one secret never serves
 * two algorithms.
 */
export class KeyRing {
  private readonly secrets: Uint8Array<ArrayBuffer>[];
  private signingKeys: Promise<CryptoKey[]> | undefined;
  private sealingKeys: Promise<CryptoKey[]> | undefined;
  private sealingIds: Promise<Array<{ id: string; key: CryptoKey }>> | undefined;
  private nativeSigningKeys: import('node:crypto').KeyObject[] | undefined;
  private nativeSealingKeys: import('node:crypto').KeyObject[] | undefined;
  private readonly native: NodeCrypto | undefined;

  /**
   * @param secrets one or more secrets of at least 32 bytes each; the first is current.
   * @param native Node's crypto module, or `undefined` to use Web Crypto only.
   */
  constructor(secrets: string | readonly string[], option = 'secrets', native = nodeCrypto) {
    this.native = native;
    const list = typeof secrets === 'string' ? [secrets] : secrets;
    if (!Array.isArray(list) || list.length === 0) invalidOption(option, 'needs at least one secret');
    this.secrets = list.map((secret, index) => {
      if (typeof secret !== 'string') invalidOption(`${option}[${index}]`, 'must be a string');
      const bytes = encoder.encode(secret);
      if (bytes.length < MIN_SECRET_BYTES) {
        invalidOption(
          `${option}[${index}]`,
          `is ${bytes.length} bytes; secrets must be at least ${MIN_SECRET_BYTES} random bytes ` +
            `(e.g. \`openssl rand -base64 32\`)`,
        );
      }
      return bytes;
    });
  }

  /** `base64url(HMAC-SHA256(current key, value))`. */
  async sign(value: string): Promise<string> {
    if (this.native) {
      const [key] = this.nativeKeys(this.native);
      return this.native
        .createHmac('sha256', key as import('node:crypto').KeyObject)
        .update(value)
        .digest('base64url');
    }
    const [key] = await this.keys('signing');
    return toBase64Url(new Uint8Array(await subtle.sign('HMAC', key as CryptoKey, encoder.encode(value))));
  }

  /**
   * Checks a signature against every key, in constant time per key (`subtle.verify`).
   * @returns the index of the key that signed it (0 = current), or -1 when none did.
   */
  async verify(value: string, signature: string): Promise<number> {
    if (this.native) {
      // Comparing base64url text accepts only the canonical spelling by construction.
      const native = this.native;
      return this.nativeKeys(native).findIndex((key) =>
        equalInConstantTime(native.createHmac('sha256', key).update(value).digest('base64url'), signature),
      );
    }
    // fromBase64Url accepts only the canonical spelling, as the native path does by comparing text.
    const bytes = fromBase64Url(signature);
    if (bytes?.length !== 32) return -1;
    const keys = await this.keys('signing');
    const data = encoder.encode(value);
    for (let index = 0; index < keys.length; index++) {
      if (await subtle.verify('HMAC', keys[index] as CryptoKey, bytes, data)) return index;
    }
    return -1;
  }

  /**
   * AES-256-GCM keys for sealed (cookie-only) sessions, current first, each with a stable id derived
   * from its secret, so a sealed cookie names the key that opens it even after the ring is reordered.
   */
  sealKeys(): Promise<Array<{ id: string; key: CryptoKey }>> {
    this.sealingIds ??= this.keys('sealing').then((keys) =>
      Promise.all(
        keys.map(async (key, index) => ({
          id: (await sha256(`coatcheck-key-id:${toBase64Url(this.secrets[index] as Uint8Array)}`)).slice(
            0,
            8,
          ),
          key,
        })),
      ),
    );
    return this.sealingIds;
  }

  /**
   * Seals `plain` with AES-256-GCM under the current key, bound to `additionalData`.
   * @returns the key's id and `iv ‖ ciphertext ‖ tag` (Web Crypto's layout, on both paths).
   */
  async seal(
    plain: Uint8Array,
    additionalData: Uint8Array,
  ): Promise<{ keyId: string; sealed: Uint8Array<ArrayBuffer> }> {
    const [current] = await this.sealKeys();
    const { id: keyId, key } = current as { id: string; key: CryptoKey };
    const iv = randomBytes(IV_BYTES);
    let cipher: Uint8Array;
    if (this.native) {
      const cipheriv = this.native.createCipheriv(
        'aes-256-gcm',
        this.nativeSealKeys(this.native)[0] as import('node:crypto').KeyObject,
        iv,
      );
      cipheriv.setAAD(additionalData);
      const head = cipheriv.update(plain);
      const tail = cipheriv.final();
      const tag = cipheriv.getAuthTag();
      cipher = new Uint8Array(head.length + tail.length + tag.length);
      cipher.set(head);
      cipher.set(tail, head.length);
      cipher.set(tag, head.length + tail.length);
    } else {
      const params = { name: 'AES-GCM', iv, additionalData: additionalData as Uint8Array<ArrayBuffer> };
      cipher = new Uint8Array(await subtle.encrypt(params, key, plain as Uint8Array<ArrayBuffer>));
    }
    const sealed = new Uint8Array(IV_BYTES + cipher.length);
    sealed.set(iv);
    sealed.set(cipher, IV_BYTES);
    return { keyId, sealed };
  }

  /**
   * Opens what {@link KeyRing.seal} made under the key named `keyId`.
   * @returns the plaintext and the index of its key (0 = current); `null` when no key has that id, or the
   *   seal does not authenticate (tampered, truncated, another key or other additional data).
   */
  async unseal(
    keyId: string,
    sealed: Uint8Array,
    additionalData: Uint8Array,
  ): Promise<{ plain: Uint8Array; keyIndex: number } | null> {
    const keys = await this.sealKeys();
    const keyIndex = keys.findIndex(({ id }) => id === keyId);
    if (keyIndex < 0 || sealed.length < IV_BYTES + TAG_BYTES) return null;
    const iv = sealed.subarray(0, IV_BYTES);
    try {
      if (this.native) {
        const tagAt = sealed.length - TAG_BYTES;
        const decipher = this.native.createDecipheriv(
          'aes-256-gcm',
          this.nativeSealKeys(this.native)[keyIndex] as import('node:crypto').KeyObject,
          iv,
          { authTagLength: TAG_BYTES },
        );
        decipher.setAAD(additionalData);
        decipher.setAuthTag(sealed.subarray(tagAt));
        const head = decipher.update(sealed.subarray(IV_BYTES, tagAt));
        const tail = decipher.final();
        const plain = new Uint8Array(head.length + tail.length);
        plain.set(head);
        plain.set(tail, head.length);
        return { plain, keyIndex };
      }
      const params = { name: 'AES-GCM', iv, additionalData: additionalData as Uint8Array<ArrayBuffer> };
      const key = (keys[keyIndex] as { key: CryptoKey }).key;
      const plain = await subtle.decrypt(params, key, sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>);
      return { plain: new Uint8Array(plain), keyIndex };
    } catch {
      return null;
    }
  }

  private nativeKeys(native: NodeCrypto): import('node:crypto').KeyObject[] {
    // The same HKDF as deriveKey() below, so both paths sign identically. Key objects, because an HMAC
    // over raw key bytes imports the key again on every call.
    this.nativeSigningKeys ??= this.nativeKeysFor(native, 'signing');
    return this.nativeSigningKeys;
  }

  private nativeSealKeys(native: NodeCrypto): import('node:crypto').KeyObject[] {
    this.nativeSealingKeys ??= this.nativeKeysFor(native, 'sealing');
    return this.nativeSealingKeys;
  }

  private nativeKeysFor(
    native: NodeCrypto,
    purpose: 'signing' | 'sealing',
  ): import('node:crypto').KeyObject[] {
    return this.secrets.map((secret) =>
      native.createSecretKey(
        new Uint8Array(native.hkdfSync('sha256', secret, new Uint8Array(0), hkdfInfo(purpose), 32)),
      ),
    );
  }

  private keys(purpose: 'signing' | 'sealing'): Promise<CryptoKey[]> {
    if (purpose === 'signing') {
      this.signingKeys ??= Promise.all(this.secrets.map((secret) => deriveKey(secret, purpose)));
      return this.signingKeys;
    }
    this.sealingKeys ??= Promise.all(this.secrets.map((secret) => deriveKey(secret, purpose)));
    return this.sealingKeys;
  }
}

/**
 * `true` when two strings are equal, in a time that depends only on their length: a signature check must
 * not tell an attacker how many leading characters of a forgery were right.
 */
export function equalInConstantTime(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index++) {
    difference |= expected.charCodeAt(index) ^ given.charCodeAt(index);
  }
  return difference === 0;
}

async function deriveKey(
  secret: Uint8Array<ArrayBuffer>,
  purpose: 'signing' | 'sealing',
): Promise<CryptoKey> {
  const material = await subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const params = {
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: hkdfInfo(purpose),
  };
  return purpose === 'signing'
    ? subtle.deriveKey(params, material, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, [
        'sign',
        'verify',
      ])
    : subtle.deriveKey(params, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

function hkdfInfo(purpose: 'signing' | 'sealing'): Uint8Array<ArrayBuffer> {
  return encoder.encode(`coatcheck ${purpose} v1`);
}
