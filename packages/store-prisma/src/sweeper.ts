import { type CoatcheckError, invalidOption, storeError } from '@coatcheck/core';

/** Options of {@link PrismaStore.startSweeper}. */
export interface SweeperOptions {
  /** Time between two sweeps (the first runs one interval after the start). @default 300 */
  intervalSeconds?: number;
  /**
   * Called with a `STORE_ERROR` when a sweep fails; the sweeper keeps running and tries again at the
   * next interval.
   * @default logs the error with `console.error`
   */
  onError?: (error: CoatcheckError) => void;
}

/**
 * Calls `sweep` every interval until stopped. Sweeps never overlap, and the timer does not keep the
 * process alive.
 * @returns a function that stops the timer and resolves once a sweep in progress has finished.
 */
export function startSweeper(
  sweep: () => Promise<unknown>,
  options: SweeperOptions = {},
): () => Promise<void> {
  const intervalSeconds = options.intervalSeconds ?? 300;
  if (typeof intervalSeconds !== 'number' || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0) {
    invalidOption('intervalSeconds', `must be a positive number (got ${String(intervalSeconds)})`);
  }
  const onError = options.onError ?? ((error) => console.error(error));
  if (typeof onError !== 'function') invalidOption('onError', 'must be a function');

  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .then(
        () => undefined,
        (error: unknown) => onError(storeError('sweeping expired sessions', error)),
      )
      .finally(() => {
        running = null;
      });
  }, intervalSeconds * 1000);
  timer.unref?.();

  return async () => {
    clearInterval(timer);
    await running;
  };
}
