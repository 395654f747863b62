import type { SessionRecord } from '@coatcheck/core/store';

/** A row of the `Session` model in `schema/<provider>/session.prisma`, as Prisma reads it. */
export interface SessionRow extends SessionColumns {
  id: string;
}

/** Every column but the id: what a save writes. */
export interface SessionColumns {
  /** `JSON.stringify(record.data)`. */
  data: string;
  userId: string | null;
  createdAt: bigint;
  lastSeenAt: bigint;
  authenticatedAt: bigint | null;
  idleExpiresAt: bigint;
  absoluteExpiresAt: bigint;
  version: number;
  ip: string | null;
  userAgent: string | null;
}

/** The columns that hold `record`. */
export function toColumns(record: SessionRecord): SessionColumns {
  return {
    data: JSON.stringify(record.data),
    userId: record.userId,
    createdAt: toEpochMs(record.createdAt),
    lastSeenAt: toEpochMs(record.lastSeenAt),
    authenticatedAt: record.authenticatedAt === null ? null : toEpochMs(record.authenticatedAt),
    idleExpiresAt: toEpochMs(record.idleExpiresAt),
    absoluteExpiresAt: toEpochMs(record.absoluteExpiresAt),
    version: record.version,
    ip: record.ip,
    userAgent: record.userAgent,
  };
}

/** The record a row holds. */
export function toRecord(row: SessionRow): SessionRecord {
  return {
    data: JSON.parse(row.data) as Record<string, unknown>,
    userId: row.userId,
    createdAt: Number(row.createdAt),
    lastSeenAt: Number(row.lastSeenAt),
    authenticatedAt: row.authenticatedAt === null ? null : Number(row.authenticatedAt),
    idleExpiresAt: Number(row.idleExpiresAt),
    absoluteExpiresAt: Number(row.absoluteExpiresAt),
    version: row.version,
    ip: row.ip,
    userAgent: row.userAgent,
  };
}

/** Epoch milliseconds as a BIGINT column value; a fractional clock is cut to whole milliseconds. */
export function toEpochMs(ms: number): bigint {
  return BigInt(Math.floor(ms));
}
