import { recordExpiresAt, type SessionRecord } from '@coatcheck/core/store';
import type { MongoDocument } from './mongo-client.js';

/**
 * How a record is stored; the document's `_id` is the session id.
 *
 * Timestamps stay epoch-millisecond numbers so records round-trip exactly. `expiresAt` repeats the
 * record's deadline as a BSON Date because a TTL index only acts on Dates. `data` is a JSON string:
 * BSON field names cannot hold `\u0000`, and some servers refuse names with `.` or a leading `$`,
 * all of which are valid keys in session data.
 */
export type SessionFields = {
  data: string;
  userId: string | null;
  createdAt: number;
  lastSeenAt: number;
  authenticatedAt: number | null;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
  version: number;
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
};

export function toFields(record: SessionRecord): SessionFields {
  return {
    data: JSON.stringify(record.data),
    userId: record.userId,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    authenticatedAt: record.authenticatedAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    version: record.version,
    ip: record.ip,
    userAgent: record.userAgent,
    expiresAt: new Date(recordExpiresAt(record)),
  };
}

export function toRecord(document: unknown): SessionRecord {
  const fields = document as SessionFields;
  return {
    data: JSON.parse(fields.data),
    userId: fields.userId,
    createdAt: fields.createdAt,
    lastSeenAt: fields.lastSeenAt,
    authenticatedAt: fields.authenticatedAt,
    idleExpiresAt: fields.idleExpiresAt,
    absoluteExpiresAt: fields.absoluteExpiresAt,
    version: fields.version,
    ip: fields.ip,
    userAgent: fields.userAgent,
  };
}

/**
 * Matches records still live at `nowMs`. It compares the exact millisecond deadlines, not `expiresAt`,
 * so reads are exact whatever removal lags behind (a TTL monitor runs once a minute).
 */
export function liveAt(nowMs: number): MongoDocument {
  return { idleExpiresAt: { $gt: nowMs }, absoluteExpiresAt: { $gt: nowMs } };
}

/** Matches records expired at `nowMs`, the complement of {@link liveAt}. */
export function expiredAt(nowMs: number): MongoDocument {
  return { $or: [{ idleExpiresAt: { $lte: nowMs } }, { absoluteExpiresAt: { $lte: nowMs } }] };
}
