import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/sqlite/client/client.js';
import { applySchema } from '../../src/index.js';
import type { TestDatabase } from './test-database.js';

/** A client of its own on the run's database `file`. */
export function connectSqlite(file: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: file }) });
}

/** A database file in a fresh temporary folder. */
export async function openSqlite(): Promise<TestDatabase> {
  const folder = await mkdtemp(join(tmpdir(), 'coatcheck-prisma-'));
  const file = join(folder, 'sessions.db');
  const prisma = connectSqlite(file);
  await applySchema(prisma, 'sqlite', { auditLog: true });
  return {
    provider: 'sqlite',
    prisma,
    location: file,
    async dispose() {
      await prisma.$disconnect();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
