import { openMysql } from './support/mysql.js';
import { runPrismaStoreSuite } from './support/prisma-store-suite.js';

runPrismaStoreSuite('PrismaStore (MariaDB)', openMysql);
