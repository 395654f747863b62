import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/postgresql/client/client.js';
import { applySchema } from '../../src/index.js';
import { type TestDatabase, uniqueName } from './test-database.js';

/** `POSTGRES_URL`, or the machine's PostgreSQL. Each run works in a schema of its own. */
export const postgresUrl = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A client of its own on the run's `schema`. */
export function connectPostgres(schema: string): PrismaClient {
  // search_path makes the shipped (unqualified) SQL land in the schema; the adapter's `schema` does the
  // same for Prisma's own queries.
  const adapter = new PrismaPg(
    { connectionString: postgresUrl, options: `-c search_path="${schema}"` },
    { schema },
  );
  return new PrismaClient({ adapter });
}

export async function openPostgres(): Promise<TestDatabase<PrismaClient>> {
  const schema = uniqueName();
  const admin = new PrismaClient({ adapter: new PrismaPg({ connectionString: postgresUrl }) });
  await admin.$executeRawUnsafe(`CREATE SCHEMA "${schema}"`);
  const prisma = connectPostgres(schema);
  await applySchema(prisma, 'postgresql', { auditLog: true });
  return {
    provider: 'postgresql',
    prisma,
    location: schema,
    async dispose() {
      await prisma.$disconnect();
      await admin.$executeRawUnsafe(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.$disconnect();
    },
  };
}
