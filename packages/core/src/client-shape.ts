import { invalidOption } from './errors.js';

/** How {@link assertMethods} describes what it expected. */
export interface MethodsExpectation {
  /** What the option must be, e.g. `'an ioredis Redis or Cluster client'`. */
  expected: string;
  /** How to name the value in the message. @default 'it' */
  subject?: string;
  /** What to do about it, appended to the message. */
  hint?: string;
}

/**
 * Checks at construction that a client the user passed has every method a store will call, so a wrong
 * object fails at start-up, naming the option and the missing method, rather than on the first request.
 * Stores type their clients structurally; this is the run-time half of that check.
 *
 * ```ts
 * assertMethods<RedisClientLike>(options.client, 'client', ['evalsha', 'hgetall'], {
 *   expected: 'an ioredis Redis or Cluster client',
 * });
 * // CoatcheckError INVALID_OPTION: option `client` must be an ioredis Redis or Cluster client
 * // (it has no hgetall() method)
 * ```
 *
 * @throws `INVALID_OPTION` naming `option` and the first missing method.
 */
export function assertMethods<T>(
  value: unknown,
  option: string,
  methods: readonly string[],
  expectation: MethodsExpectation,
): asserts value is T {
  const missing = methods.find(
    (method) => typeof (value as Record<string, unknown> | null | undefined)?.[method] !== 'function',
  );
  if (missing === undefined) return;
  const { expected, subject = 'it', hint } = expectation;
  invalidOption(
    option,
    `must be ${expected} (${subject} has no ${missing}() method)${hint === undefined ? '' : `: ${hint}`}`,
  );
}
