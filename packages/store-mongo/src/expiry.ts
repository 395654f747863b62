import { type CoatcheckError, invalidOption } from '@coatcheck/core/store';

/** The sweeper's settings of `createMongoStore`, checked and defaulted; `onError` also gets a refused TTL index. */
export interface SweepSettings {
  intervalSeconds: number;
  onError: (error: CoatcheckError) => void;
}

// A timer holds at most 2^31 - 1 ms; Node fires a longer one after 1 ms, which would sweep without pause.
const MAX_SWEEP_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Checks `sweepIntervalSeconds` and `onError` at construction, naming them (core's sweeper would name its
 * own `intervalSeconds`), whatever `expiry` is: a wrong value fails the same way in every process.
 */
export function sweepSettings(options: { sweepIntervalSeconds?: unknown; onError?: unknown }): SweepSettings {
  const { sweepIntervalSeconds = 300, onError = logError } = options;
  if (
    typeof sweepIntervalSeconds !== 'number' ||
    !(sweepIntervalSeconds > 0) ||
    sweepIntervalSeconds > MAX_SWEEP_INTERVAL_SECONDS
  ) {
    invalidOption(
      'sweepIntervalSeconds',
      `must be a number of seconds above 0 and at most ${MAX_SWEEP_INTERVAL_SECONDS} (got ${String(sweepIntervalSeconds)})`,
    );
  }
  if (typeof onError !== 'function') invalidOption('onError', 'must be a function');
  return { intervalSeconds: sweepIntervalSeconds, onError: onError as SweepSettings['onError'] };
}

function logError(error: CoatcheckError): void {
  console.error(error);
}
