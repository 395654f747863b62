import { randomBytes } from 'node:crypto';
import type { PrismaSessionDelegate, PrismaSessionEventDelegate } from '../../src/index.js';

export type Provider = 'postgresql' | 'mysql' | 'sqlite';

/** What the shared cases need of a generated client; each provider's client must fit it. */
export interface TestPrisma {
  session: PrismaSessionDelegate;
  sessionEvent: PrismaSessionEventDelegate;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
  $disconnect(): Promise<void>;
}

/** A database (or schema) of its own for one test run, holding the shipped tables. */
export interface TestDatabase<Prisma extends TestPrisma = TestPrisma> {
  provider: Provider;
  prisma: Prisma;
  /** The schema (PostgreSQL), database (MySQL) or file (SQLite) the run uses. */
  location: string;
  /** Disconnects and drops what the run created. */
  dispose(): Promise<void>;
}

/** A name no other run uses, so two runs against one server never collide. */
export function uniqueName(): string {
  return `coatcheck_prisma_${randomBytes(6).toString('hex')}`;
}
