import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/sqlite/client/client.js';
import { applyShippedSql, type TestDatabase } from './test-database.js';

/**
 * Why better-sqlite3 cannot run on this Node, or `null` when it can. Its native module is compiled
 * for one Node ABI (Node 20 here); any other failure is a real error and throws.
 */
export function sqliteUnavailableReason(): string | null {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    new Database(':memory:').close();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const [built, needed] = [...message.matchAll(/NODE_MODULE_VERSION (\d+)/g)].map((match) => match[1]);
    if (built && needed) {
      return (
        `better-sqlite3's native module was built for NODE_MODULE_VERSION ${built}, Node ${process.version} ` +
        `needs ${needed} (rebuild it under this Node to run them)`
      );
    }
    throw error;
  }
}

/** A database file in a fresh temporary folder. */
export async function openSqlite(): Promise<TestDatabase> {
  const folder = await mkdtemp(join(tmpdir(), 'coatcheck-prisma-'));
  const file = join(folder, 'sessions.db');
  const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: file }) });
  await applyShippedSql(prisma, 'sqlite');
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
