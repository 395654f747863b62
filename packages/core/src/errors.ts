/**
 * Every error Coatcheck throws has a stable {@link CoatcheckErrorCode}: match on `code`, never on
 * the message.
 *
 * - `INVALID_OPTION` — configuration is wrong; thrown at construction, the message names the option.
 * - `INVALID_ARGUMENT` — a method was called with a value it cannot accept (e.g. data that is not JSON).
 * - `STORE_ERROR` — the store failed (outage, timeout, bad response); the original error is `cause`.
 *   Never turned into an anonymous session: integrations answer 503.
 * - `COOKIE_TOO_LARGE` — the cookie would exceed the 4096 bytes browsers keep; the message says how big.
 * - `CONFLICT_RETRIES_EXHAUSTED` — concurrent writers kept changing the session; the save gave up.
 * - `UNSUPPORTED` — the operation needs something this configuration lacks (e.g. revoking in cookie-only mode).
 * - `TTL_INDEX_UNSUPPORTED` — the database refused the native expiry index a store asked for.
 * - `MIDDLEWARE_ORDER` — an integration's guard ran without its session middleware (or plugin) before it.
 */
export type CoatcheckErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_ARGUMENT'
  | 'STORE_ERROR'
  | 'COOKIE_TOO_LARGE'
  | 'CONFLICT_RETRIES_EXHAUSTED'
  | 'UNSUPPORTED'
  | 'TTL_INDEX_UNSUPPORTED'
  | 'MIDDLEWARE_ORDER';

// A registry symbol, not the class, identifies our errors: an app that loads the core both as ESM and as
// CommonJS has two copies of the class, and an error thrown by one must still be recognised by the other.
const BRAND = Symbol.for('coatcheck.error');

/**
 * The one error class of Coatcheck and its stores. `instanceof CoatcheckError` and
 * {@link isCoatcheckError} both hold for errors from any copy of the package (ESM and CommonJS loaded side
 * by side).
 */
export class CoatcheckError extends Error {
  override readonly name = 'CoatcheckError';
  /** Stable machine-readable code; see {@link CoatcheckErrorCode}. */
  readonly code: CoatcheckErrorCode;

  static {
    Object.defineProperty(CoatcheckError.prototype, BRAND, { value: true });
  }

  /** Makes `instanceof` answer like {@link isCoatcheckError}, across copies of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCoatcheckError(value);
  }

  constructor(code: CoatcheckErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[coatcheck] ${message}`, options);
    this.code = code;
  }
}

/**
 * True when `error` is a {@link CoatcheckError}, optionally with the given code. Recognises errors from
 * every copy of the package, so it holds when an app loads the core both as ESM and as CommonJS.
 */
export function isCoatcheckError(error: unknown, code?: CoatcheckErrorCode): error is CoatcheckError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { [BRAND]?: unknown; name?: unknown; code?: unknown };
  return (
    candidate[BRAND] === true &&
    candidate.name === 'CoatcheckError' &&
    typeof candidate.code === 'string' &&
    (code === undefined || candidate.code === code)
  );
}

/** Throws `INVALID_OPTION` naming the option: configuration errors surface at start, not per request. */
export function invalidOption(option: string, problem: string): never {
  throw new CoatcheckError('INVALID_OPTION', `option \`${option}\` ${problem}`);
}

/**
 * Throws `INVALID_OPTION` for an option set under an old name, naming the new one: ignored, it would drop
 * the app's setting without a word (a cache policy, the trusted origins).
 * @param renamed old name → new name.
 */
export function refuseRenamedOptions(options: object, renamed: Readonly<Record<string, string>>): void {
  for (const [old, current] of Object.entries(renamed)) {
    if ((options as Record<string, unknown>)[old] !== undefined) {
      invalidOption(old, `was renamed to \`${current}\``);
    }
  }
}

/**
 * Turns any failure of a backend call into `STORE_ERROR` with the original as `cause` (a
 * `CoatcheckError` passes through unchanged), so callers handle one error type whatever the backend.
 * For stores' own background work (sweepers, index creation, audit writes).
 */
export function storeError(operation: string, error: unknown): CoatcheckError {
  if (isCoatcheckError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new CoatcheckError('STORE_ERROR', `${operation} failed: ${reason}`, { cause: error });
}

/** Runs a backend call, reporting a failure through {@link storeError}. */
export async function callStore<T>(operation: string, call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeError(operation, error);
  }
}
