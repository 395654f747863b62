/**
 * The store the conformance suite's race cases build in their child process (`peerProcess`): the run's
 * own database, schema or file, through a Prisma client of its own.
 */
import { createPrismaStore, type PrismaSessionStore } from '../../src/index.js';
import { connectMysql } from './mysql.js';
import { connectPostgres } from './postgresql.js';
import { connectSqlite } from './sqlite.js';
import type { Provider, TestPrisma } from './test-database.js';

export interface RacePeerArgs {
  provider: Provider;
  /** The schema (PostgreSQL), database (MySQL) or file (SQLite) of the run. */
  location: string;
}

let prisma: TestPrisma;

export function createStore({ provider, location }: RacePeerArgs): PrismaSessionStore {
  const connect = { postgresql: connectPostgres, mysql: connectMysql, sqlite: connectSqlite }[provider];
  prisma = connect(location);
  // The run's own store sweeps; this one only takes part in the races.
  return createPrismaStore(prisma, { expiry: 'off' });
}

export async function dispose(): Promise<void> {
  await prisma.$disconnect();
}
