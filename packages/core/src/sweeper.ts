import { type CoatcheckError, invalidOption, storeError } from './errors.js';
import type { SessionStore } from './store.js';

/** Options of {@link startSweeper}. */
export interface SweeperOptions {
  /**
   * Seconds from the end of one sweep to the start of the next (the first runs one interval after the
   * start), so a slow sweep never overlaps the next.
   * @default 300
   */
  intervalSeconds?: number;
  /**
   * Called with a `STORE_ERROR` (the store's error is its `cause`) when a sweep fails; sweeping goes on
   * at the next interval.
   * @default logs the error with `console.error`
   */
  onError?: (error: CoatcheckError) => void;
}

/** A running sweeper; see {@link startSweeper}. */
export interface Sweeper {
  /** Stops the timer and resolves once a sweep in progress has finished. Calling it again is harmless. */
  stop(): Promise<void>;
}

/**
 * Calls `store.deleteExpired()` periodically in this process, for stores without native expiry (SQL,
 * MongoDB-compatible servers without TTL indexes). The timer does not keep the process alive. One
 * sweeper (or one cron job) per deployment is enough; several are harmless, only wasteful.
 *
 * ```ts
 * const sweeper = startSweeper(store, { intervalSeconds: 300 });
 * // on shutdown
 * await sweeper.stop();
 * ```
 *
 * @throws `INVALID_OPTION` when the store has no `deleteExpired()` or an option is invalid.
 */
export function startSweeper(
  store: Pick<SessionStore, 'deleteExpired'>,
  options: SweeperOptions = {},
): Sweeper {
  if (typeof store?.deleteExpired !== 'function') {
    invalidOption('store', 'has no deleteExpired() method: only stores without native expiry need a sweeper');
  }
  const { intervalSeconds, onError } = checkSweepOptions(
    { intervalSeconds: options.intervalSeconds, onError: options.onError },
    'intervalSeconds',
  );

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sweeping: Promise<void> | undefined;

  const sweep = async () => {
    try {
      await store.deleteExpired?.();
    } catch (error) {
      report(onError, storeError('sweeping expired sessions', error));
    }
  };
  // A timeout re-armed after each sweep rather than an interval: sweeps can never overlap.
  const schedule = () => {
    timer = setTimeout(() => {
      sweeping = sweep().finally(() => {
        sweeping = undefined;
        if (!stopped) schedule();
      });
    }, intervalSeconds * 1000);
    timer.unref?.();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await sweeping;
    },
  };
}

/** A throwing `onError` must not become an unhandled rejection that ends the process. */
function report(onError: (error: CoatcheckError) => void, error: CoatcheckError): void {
  try {
    onError(error);
  } catch (failure) {
    console.error(failure);
  }
}

/** The longest timer Node keeps (2^31 - 1 ms); a longer one fires after 1 ms and would sweep without pause. */
export const MAX_SWEEP_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Checks and defaults a sweeper's interval and error callback, for a store's own options: `intervalName`
 * is the option name the error names (a store calls it `sweepIntervalSeconds`).
 * @throws `INVALID_OPTION` naming the option.
 */
export function checkSweepOptions(
  options: { intervalSeconds?: unknown; onError?: unknown },
  intervalName = 'intervalSeconds',
): Required<SweeperOptions> {
  const { intervalSeconds = 300, onError = logSweepError } = options;
  if (
    typeof intervalSeconds !== 'number' ||
    !(intervalSeconds > 0) ||
    intervalSeconds > MAX_SWEEP_INTERVAL_SECONDS
  ) {
    invalidOption(
      intervalName,
      `must be a number of seconds above 0 and at most ${MAX_SWEEP_INTERVAL_SECONDS} (got ${String(intervalSeconds)})`,
    );
  }
  if (typeof onError !== 'function') invalidOption('onError', 'must be a function');
  return { intervalSeconds, onError: onError as (error: CoatcheckError) => void };
}

function logSweepError(error: CoatcheckError): void {
  console.error(error);
}
