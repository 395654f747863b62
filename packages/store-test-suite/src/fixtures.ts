import { randomUUID } from 'node:crypto';
import type { SessionRecord } from '@coatcheck/core/store';

/** A live record with sensible defaults (deadlines a minute or two ahead, version 1). */
export function makeRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    data: {},
    userId: null,
    createdAt: now,
    lastSeenAt: now,
    authenticatedAt: null,
    idleExpiresAt: now + 60_000,
    absoluteExpiresAt: now + 120_000,
    version: 1,
    ip: '203.0.113.7',
    userAgent: 'conformance-suite',
    ...overrides,
  };
}

/** A random id shaped like a real one (43 base64url characters). */
export function newId(): string {
  return Buffer.from(randomUUID() + randomUUID())
    .toString('base64url')
    .slice(0, 43);
}

/** A user id no other case or run uses. */
export function newUserId(): string {
  return `user-${randomUUID()}`;
}

/**
 * Deadline of the records the expiry cases watch die, and how long they wait for it: a loaded machine can
 * take a second between two calls, so the record must outlive the first check with room to spare.
 */
export const LIVE_MS = 2_000;
export const PAST_DEADLINE_MS = 2_500;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
