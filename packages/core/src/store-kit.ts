/**
 * `@coatcheck/core/store`: what a store author needs besides the contract — construction-time checks,
 * store-error wrapping, expiry arithmetic and a sweeper for backends without native expiry. Apps import
 * from `@coatcheck/core`; nothing here is needed to use a store.
 * @packageDocumentation
 */
export { assertMethods, type MethodsExpectation } from './client-shape.js';
export { CoatcheckError, type CoatcheckErrorCode, callStore, invalidOption, storeError } from './errors.js';
export {
  isExpired,
  recordExpiresAt,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type TouchUpdate,
} from './store.js';
export {
  checkSweepOptions,
  MAX_SWEEP_INTERVAL_SECONDS,
  type Sweeper,
  type SweeperOptions,
  startSweeper,
} from './sweeper.js';
