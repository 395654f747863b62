import { openPostgres } from './support/postgresql.js';
import { runPrismaStoreSuite } from './support/prisma-store-suite.js';

runPrismaStoreSuite('PrismaStore (PostgreSQL)', openPostgres);
