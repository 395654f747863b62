import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaClient } from '../../generated/mysql/client/client.js';
import { applySchema } from '../../src/index.js';
import { type TestDatabase, uniqueName } from './test-database.js';

/** `MYSQL_URL`, or the machine's MariaDB. Each run works in a database of its own. */
export const mysqlUrl = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A client of its own on the run's `database`. */
export function connectMysql(database: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaMariaDb({ ...connectionConfig(), database }) });
}

export async function openMysql(): Promise<TestDatabase> {
  const database = uniqueName();
  const admin = new PrismaClient({ adapter: new PrismaMariaDb(connectionConfig()) });
  await admin.$executeRawUnsafe(`CREATE DATABASE \`${database}\``);
  const prisma = connectMysql(database);
  await applySchema(prisma, 'mysql', { auditLog: true });
  return {
    provider: 'mysql',
    prisma,
    location: database,
    async dispose() {
      await prisma.$disconnect();
      await admin.$executeRawUnsafe(`DROP DATABASE \`${database}\``);
      await admin.$disconnect();
    },
  };
}

function connectionConfig() {
  const url = new URL(mysqlUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || undefined,
    connectionLimit: 10,
  };
}
