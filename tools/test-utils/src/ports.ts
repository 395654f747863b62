import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Loopback ports `first`..`last`, inclusive. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** A Redis Cluster node also listens on its port + 10000 (the cluster bus). */
export const CLUSTER_BUS_OFFSET = 10_000;

/**
 * Where each package's test servers listen. Every range, cluster-bus ports included, is
 *
 * - below 32768, where Linux's ephemeral range (32768–60999) begins, so no outgoing connection on the
 *   machine can take a port between our check that it is free and the server's bind;
 * - disjoint from every other range, so projects running in parallel never compete for a port.
 *
 * Ranges of 10000–19999 are avoided for nodes because their bus ports would land in 20000–29999.
 */
export const PORT_RANGES = {
  /** store-redis's Redis Clusters: nodes 8000–8999, cluster bus 18000–18999. */
  storeRedisCluster: { first: 8000, last: 8999 },
  /** The demo's Redis Cluster: nodes 9000–9999, cluster bus 19000–19999. */
  demoRedisCluster: { first: 9000, last: 9999 },
  /** store-redis's own standalone Redis servers (the outage test). */
  storeRedisServer: { first: 10_000, last: 10_999 },
  /** store-mongo's FerretDB. */
  storeMongoFerretDb: { first: 11_000, last: 11_999 },
  /** The demo's FerretDB. */
  demoFerretDb: { first: 12_000, last: 12_999 },
  /** Kept free for the packaging test's FerretDB. */
  packagingFerretDb: { first: 13_000, last: 13_999 },
  /** The benchmarks' FerretDB (`bench/mongo-vs-connect-mongo.mjs`). */
  benchFerretDb: { first: 14_000, last: 14_999 },
} as const satisfies Record<string, PortRange>;

/** True when nothing listens on `port` on 127.0.0.1. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Ports this process holds until {@link PortReservation.release}. */
export interface PortReservation {
  /** The first port of the block. */
  readonly basePort: number;
  /** Gives the block back (idempotent). */
  release(): Promise<void>;
}

/** What to reserve; see {@link reservePorts}. */
export interface PortRequest {
  range: PortRange;
  /** Consecutive ports from the base. @default 1 */
  count?: number;
  /** Also require `port + busOffset` free for each port (Redis Cluster's bus). */
  busOffset?: number;
  /** What will listen there, so a later run can clean up after a run that died (see {@link stopOrphans}). */
  kind: string;
}

// One file per reserved block, named by its base port, holding the owner's pid and the kind of server.
const reservationsDir = join(tmpdir(), 'coatcheck-test-ports');

/**
 * Reserves a block of free ports in `range`. Blocks start at multiples of ten, so runs of one package never
 * overlap partly; a file per block in the temporary folder keeps two concurrent runs on one machine from
 * picking the same block between their free check and their servers' bind.
 */
export async function reservePorts(request: PortRequest): Promise<PortReservation> {
  const { range, count = 1, busOffset, kind } = request;
  const step = Math.ceil(count / 10) * 10;
  const blocks = Math.floor((range.last - range.first + 1) / step);
  if (blocks < 1) throw new Error(`port range ${range.first}–${range.last} cannot hold ${count} ports`);
  await mkdir(reservationsDir, { recursive: true });
  for (let attempt = 0; attempt < 50; attempt++) {
    const basePort = range.first + step * Math.floor(Math.random() * blocks);
    const ports = Array.from({ length: count }, (_, i) => basePort + i);
    const needed = busOffset === undefined ? ports : [...ports, ...ports.map((port) => port + busOffset)];
    if (!(await claim(basePort, kind))) continue;
    if ((await Promise.all(needed.map(isPortFree))).every(Boolean)) {
      return { basePort, release: () => rm(fileOf(basePort), { force: true }) };
    }
    await rm(fileOf(basePort), { force: true });
  }
  throw new Error(`no free block of ${count} port(s) in ${range.first}–${range.last}`);
}

/**
 * Starts a server on freshly reserved ports, and when the start fails (another process bound a port first)
 * cleans up and tries another block.
 * @returns what `start` returned and the reservation, to release once the server is stopped.
 */
export async function startOnFreePorts<T>(
  request: PortRequest & { attempts?: number },
  start: (basePort: number) => Promise<T>,
  cleanUp: (basePort: number) => Promise<unknown>,
): Promise<{ value: T; reservation: PortReservation }> {
  const attempts = request.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const reservation = await reservePorts(request);
    try {
      return { value: await start(reservation.basePort), reservation };
    } catch (error) {
      await cleanUp(reservation.basePort).catch(() => undefined);
      await reservation.release();
      if (attempt >= attempts) throw error;
    }
  }
}

/**
 * Stops servers of `kind` left behind by runs that died before their teardown (their owner process is
 * gone) and frees their blocks. Servers of runs still going are left alone.
 */
export async function stopOrphans(kind: string, stop: (basePort: number) => Promise<unknown>): Promise<void> {
  const entries = await readdir(reservationsDir).catch(() => [] as string[]);
  for (const entry of entries) {
    const owner = await readOwner(Number(entry));
    if (!owner || owner.kind !== kind || isRunning(owner.pid)) continue;
    await stop(Number(entry)).catch(() => undefined);
    await rm(fileOf(Number(entry)), { force: true });
  }
}

function fileOf(basePort: number): string {
  return join(reservationsDir, String(basePort));
}

/** Creates the block's file, taking over one whose owner has died. */
async function claim(basePort: number, kind: string): Promise<boolean> {
  const content = JSON.stringify({ pid: process.pid, kind });
  try {
    await writeFile(fileOf(basePort), content, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = await readOwner(basePort);
  // A live owner, or a file being written right now: someone else's block.
  if (!owner || isRunning(owner.pid)) return false;
  await rm(fileOf(basePort), { force: true });
  return writeFile(fileOf(basePort), content, { flag: 'wx' }).then(
    () => true,
    () => false,
  );
}

async function readOwner(basePort: number): Promise<{ pid: number; kind: string } | null> {
  try {
    const owner = JSON.parse(await readFile(fileOf(basePort), 'utf8')) as { pid: number; kind: string };
    return Number.isInteger(owner.pid) && typeof owner.kind === 'string' ? owner : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
