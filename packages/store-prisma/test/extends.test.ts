// A client extended with `$extends` is still a client the store accepts: checked by the type checker
// (this file is type-checked with the package) and on a real database.
import { makeRecord, newId } from '@coatcheck/store-test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../generated/postgresql/client/client.js';
import { createPrismaAuditLog, createPrismaStore } from '../src/index.js';
import { openPostgres } from './support/postgresql.js';
import type { TestDatabase } from './support/test-database.js';

describe('a PrismaClient extended with $extends', () => {
  let database: TestDatabase<PrismaClient>;
  beforeAll(async () => {
    database = await openPostgres();
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('works as the store and audit log client, and its query extensions see the store calls', async () => {
    const seen: string[] = [];
    const extended = database.prisma.$extends({
      query: {
        session: {
          async $allOperations({ operation, args, query }) {
            seen.push(operation);
            return query(args);
          },
        },
      },
      result: { session: { dataLength: { needs: { data: true }, compute: (row) => row.data.length } } },
    });
    const store = createPrismaStore(extended);
    createPrismaAuditLog(extended);
    const id = newId();
    expect(await store.create(id, makeRecord({ data: { via: '$extends' } }))).toBe(true);
    expect((await store.get(id))?.data).toEqual({ via: '$extends' });
    expect(seen).toEqual(['createMany', 'findUnique']);
  });
});
