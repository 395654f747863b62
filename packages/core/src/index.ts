export { assertMethods, type MethodsExpectation } from './client-shape.js';
export type { CookieOptions, ResolvedCookieOptions } from './cookie.js';
export { MAX_COOKIE_AGE_SECONDS, MAX_COOKIE_BYTES } from './cookie.js';
export { MIN_SECRET_BYTES, storeIdOf } from './crypto.js';
export type { SessionInfo } from './devices.js';
export {
  CoatcheckError,
  type CoatcheckErrorCode,
  callStore,
  invalidOption,
  isCoatcheckError,
  storeError,
} from './errors.js';
export type {
  SessionEvent,
  SessionEventBase,
  SessionEventListener,
  SessionEventReason,
  SessionEventReasons,
  SessionEventType,
} from './events.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export type { SessionsOptions } from './options.js';
export { type RevocationStore, revocationStoreFrom } from './revocation.js';
export { type ClientInfo, Session, type SessionData } from './session.js';
export { type CommitResult, createSessions, type SessionRequest, Sessions } from './sessions.js';
export type { StandardSchemaResult, StandardSchemaV1 } from './standard-schema.js';
export {
  isExpired,
  recordExpiresAt,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type TouchUpdate,
} from './store.js';
export { type Sweeper, type SweeperOptions, startSweeper } from './sweeper.js';
