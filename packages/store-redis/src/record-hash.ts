import type { SessionRecord } from '@coatcheck/core/store';

/**
 * A record is one Redis hash, one field per record property, so `touch` can rewrite two small fields
 * without re-sending the data and Lua can compare `version` and the deadlines without parsing JSON.
 * A `null` property is an absent field (an empty string stays an empty string).
 */
export function recordToHashFields(record: SessionRecord): string[] {
  const fields = [
    'data',
    JSON.stringify(record.data),
    'version',
    String(record.version),
    'createdAt',
    String(record.createdAt),
    'lastSeenAt',
    String(record.lastSeenAt),
    'idleExpiresAt',
    String(record.idleExpiresAt),
    'absoluteExpiresAt',
    String(record.absoluteExpiresAt),
  ];
  if (record.userId !== null) fields.push('userId', record.userId);
  if (record.authenticatedAt !== null) fields.push('authenticatedAt', String(record.authenticatedAt));
  if (record.ip !== null) fields.push('ip', record.ip);
  if (record.userAgent !== null) fields.push('userAgent', record.userAgent);
  return fields;
}

/** The record a hash holds, or `null` for a missing key (`HGETALL` answers `{}`). */
export function recordFromHash(hash: Record<string, string>): SessionRecord | null {
  if (hash.version === undefined || hash.data === undefined) return null;
  return {
    data: JSON.parse(hash.data) as SessionRecord['data'],
    userId: hash.userId ?? null,
    createdAt: Number(hash.createdAt),
    lastSeenAt: Number(hash.lastSeenAt),
    authenticatedAt: hash.authenticatedAt === undefined ? null : Number(hash.authenticatedAt),
    idleExpiresAt: Number(hash.idleExpiresAt),
    absoluteExpiresAt: Number(hash.absoluteExpiresAt),
    version: Number(hash.version),
    ip: hash.ip ?? null,
    userAgent: hash.userAgent ?? null,
  };
}
