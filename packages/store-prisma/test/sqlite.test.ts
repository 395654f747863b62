import { sqliteUnavailableReason } from '@coatcheck/test-utils';
import { it } from 'vitest';
import { runPrismaStoreSuite } from './support/prisma-store-suite.js';
import { openSqlite } from './support/sqlite.js';

const unavailable = sqliteUnavailableReason(import.meta.url);
if (unavailable) {
  console.info(`[store-prisma] skipping the SQLite cases: ${unavailable}`);
  it.skip(`PrismaStore (SQLite): ${unavailable}`, () => {});
} else {
  runPrismaStoreSuite('PrismaStore (SQLite)', openSqlite);
}
