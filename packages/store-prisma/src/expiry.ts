import { type CoatcheckError, checkSweepOptions } from '@coatcheck/core/store';

/** What `createPrismaStore` passes to core's `startSweeper`, checked and defaulted. */
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
