import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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
export interface TestDatabase {
  provider: Provider;
  prisma: TestPrisma;
  /** The schema (PostgreSQL), database (MySQL) or file (SQLite) the run uses. */
  location: string;
  /** Disconnects and drops what the run created. */
  dispose(): Promise<void>;
}

/** A name no other run uses, so two runs against one server never collide. */
export function uniqueName(): string {
  return `coatcheck_prisma_${randomBytes(6).toString('hex')}`;
}

/** Runs the shipped SQL of both tables, one statement at a time (drivers prepare single statements). */
export async function applyShippedSql(prisma: TestPrisma, provider: Provider): Promise<void> {
  for (const table of ['session', 'session-event']) {
    const sql = await readFile(new URL(`../../schema/${provider}/${table}.sql`, import.meta.url), 'utf8');
    for (const statement of sql.split(/;\s*$/m)) {
      if (statement.replace(/--.*$/gm, '').trim()) await prisma.$executeRawUnsafe(statement);
    }
  }
}
