export type { CookieOptions, ResolvedCookieOptions } from './cookie.js';
export { MAX_COOKIE_AGE_SECONDS, MAX_COOKIE_BYTES } from './cookie.js';
export { MIN_SECRET_BYTES, storeIdOf } from './crypto.js';
export type { SessionInfo } from './devices.js';
export { CoatcheckError, type CoatcheckErrorCode, isCoatcheckError } from './errors.js';
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
export {
  type MemoryRevocationStore,
  type MemoryRevocationStoreOptions,
  memoryRevocationStore,
  type RevocationStore,
  revocationStoreFrom,
} from './revocation.js';
export { type ClientInfo, Session, type SessionData } from './session.js';
export { type CommitResult, createSessions, type SessionRequest, Sessions } from './sessions.js';
export type { StandardSchemaResult, StandardSchemaV1 } from './standard-schema.js';
export type { SessionRecord, SessionStore, StoredSession, TouchUpdate } from './store.js';
// Store authors: construction checks, store errors, expiry arithmetic and the sweeper are in
// `@coatcheck/core/store` (store-kit.ts).
