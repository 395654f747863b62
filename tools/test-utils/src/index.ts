export { startFerretDb, type TestFerretDb } from './ferretdb.js';
export {
  CLUSTER_BUS_OFFSET,
  isPortFree,
  PORT_RANGES,
  type PortRange,
  type PortRequest,
  type PortReservation,
  reservePorts,
  startOnFreePorts,
  stopOrphans,
} from './ports.js';
export {
  generatePrismaClient,
  type PrismaClientRequest,
  type PrismaProvider,
  shippedPrismaModels,
} from './prisma-client.js';
export { RedisTestCluster } from './redis-cluster.js';
export { sqliteUnavailableReason } from './sqlite.js';
export { typeScriptExecArgv } from './typescript-child.js';
