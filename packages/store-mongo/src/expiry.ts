import { type CoatcheckError, checkSweepOptions } from '@coatcheck/core/store';

/** The sweeper's settings of `createMongoStore`, checked and defaulted; `onError` also gets a refused TTL index. */
export interface SweepSettings {
  intervalSeconds: number;
  onError: (error: CoatcheckError) => void;
}

/**
 * Checks `sweepIntervalSeconds` and `onError` at construction, naming them, whatever `expiry` is: a wrong
 * value fails the same way in every process.
 */
export function sweepSettings(options: { sweepIntervalSeconds?: unknown; onError?: unknown }): SweepSettings {
  return checkSweepOptions(
    { intervalSeconds: options.sweepIntervalSeconds, onError: options.onError },
    'sweepIntervalSeconds',
  );
}
