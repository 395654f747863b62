export { applySchema, type RawSqlExecutor, type SqlProvider } from './apply-schema.js';
export {
  createPrismaAuditLog,
  type PrismaAuditLog,
  type PrismaAuditLogOptions,
  type PrismaSessionEventDelegate,
  type SessionEventRow,
  type SessionEventSource,
} from './audit-log.js';
export {
  createPrismaStore,
  type EpochMsFilter,
  type PrismaSessionDelegate,
  type PrismaSessionStore,
  type PrismaStoreOptions,
  type SessionWhere,
} from './prisma-store.js';
export type { SessionColumns, SessionRow } from './session-row.js';
