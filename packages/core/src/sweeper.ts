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
  const { intervalSeconds = 300, onError = (error: CoatcheckError) => console.error(error) } = options;
  if (typeof intervalSeconds !== 'number' || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0) {
    invalidOption('intervalSeconds', `must be a positive number (got ${String(intervalSeconds)})`);
  }
  if (typeof onError !== 'function') invalidOption('onError', 'must be a function');

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
