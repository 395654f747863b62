import { fromBase64Url, randomBytes, toBase64Url } from './crypto.js';
import {
  CSRF_KEY,
  internalsOf,
  readInternal,
  type Session,
  type SessionData,
  writeInternal,
} from './session.js';

const SECRET_BYTES = 32;

/**
 * What is stored: the secret and the user it was issued to. A token issued before a login is not
 * valid after it: login keeps the session's data, and a planted anonymous session's token must not
 * carry over to the victim's logged-in session.
 */
interface StoredCsrf {
  secret: string;
  userId: string | null;
}

/**
 * The CSRF token for a classic HTML form (synchronizer token): put it in a hidden `_csrf` field or an
 * `x-csrf-token` header, and check it with `requireCsrfToken()` (or {@link verifyCsrfToken}).
 *
 * The first call for a session stores a random secret in it, which is a session write: a visitor
 * without a session gets one. Each call returns a differently masked token for the same secret, so a
 * compressed page never repeats it (BREACH); every one of them verifies.
 */
export function csrfToken<Data extends SessionData>(session: Session<Data>): string {
  let secret = storedSecret(session);
  if (!secret) {
    secret = randomBytes(SECRET_BYTES);
    const stored: StoredCsrf = { secret: toBase64Url(secret), userId: session.userId };
    writeInternal(internalsOf(session), CSRF_KEY, stored);
  }
  const pad = randomBytes(SECRET_BYTES);
  const token = new Uint8Array(SECRET_BYTES * 2);
  token.set(pad);
  token.set(xor(pad, secret), SECRET_BYTES);
  return toBase64Url(token);
}

/**
 * `true` when `token` is a token {@link csrfToken} issued for this session and its current user.
 * Compared in constant time.
 */
export function verifyCsrfToken<Data extends SessionData>(session: Session<Data>, token: unknown): boolean {
  const secret = storedSecret(session);
  if (!secret || typeof token !== 'string') return false;
  const bytes = fromBase64Url(token);
  if (!bytes || bytes.length !== SECRET_BYTES * 2) return false;
  const submitted = xor(bytes.subarray(0, SECRET_BYTES), bytes.subarray(SECRET_BYTES));
  let difference = 0;
  for (let index = 0; index < SECRET_BYTES; index++) {
    difference |= (submitted[index] as number) ^ (secret[index] as number);
  }
  return difference === 0;
}

function storedSecret<Data extends SessionData>(session: Session<Data>): Uint8Array | null {
  const stored = readInternal(internalsOf(session), CSRF_KEY) as Partial<StoredCsrf> | undefined;
  if (typeof stored?.secret !== 'string' || stored.userId !== session.userId) return null;
  const secret = fromBase64Url(stored.secret);
  return secret?.length === SECRET_BYTES ? secret : null;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const result = new Uint8Array(a.length);
  for (let index = 0; index < a.length; index++) result[index] = (a[index] as number) ^ (b[index] as number);
  return result;
}
