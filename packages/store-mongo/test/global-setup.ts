import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import type { TestProject } from 'vitest/node';

/** What the tests learn about the server they run against. */
export interface MongoServerInfo {
  url: string;
  /** e.g. `FerretDB v1.24.2` or `MongoDB 8.0.4`. */
  name: string;
  /** Whether the server accepts a TTL index (`expireAfterSeconds`), found by trying. */
  ttlIndexes: boolean;
  /**
   * Whether a filtered update matches and writes atomically across connections. FerretDB v1 does not
   * (it reads, filters, then writes by `_id`: FerretDB#3040), so tests give it a single connection.
   */
  atomicUpdates: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mongo: MongoServerInfo;
  }
}

const FERRETDB_SCRIPT = fileURLToPath(new URL('../../../scripts/ferretdb.sh', import.meta.url));

/**
 * Uses `MONGO_URL` when set; otherwise starts FerretDB (built once and cached by scripts/ferretdb.sh)
 * on a free loopback port of its own, so parallel projects and concurrent runs never share a server.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  let url = process.env.MONGO_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const started = await startFerretDb();
    url = started.url;
    stop = started.stop;
  }
  try {
    project.provide('mongo', await describeServer(url));
  } catch (error) {
    await stop?.();
    throw error;
  }
  return stop;
}

async function startFerretDb(): Promise<{ url: string; stop: () => Promise<void> }> {
  // A port that was free a moment ago can be taken before FerretDB binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = String(await freePort());
    try {
      const url = lastLine(await run(FERRETDB_SCRIPT, ['start', port]));
      return { url, stop: async () => void (await run(FERRETDB_SCRIPT, ['stop', port])) };
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function describeServer(url: string): Promise<MongoServerInfo> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const ferretdb = typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : null;
    const probe = client.db(`coatcheck_probe_${randomUUID().slice(0, 8)}`);
    const ttlIndexes = await probe
      .collection('probe')
      .createIndex({ at: 1 }, { expireAfterSeconds: 0 })
      .then(
        () => true,
        () => false,
      );
    await probe.dropDatabase();
    return {
      url,
      name: ferretdb ? `FerretDB ${ferretdb}` : `MongoDB ${info.version}`,
      ttlIndexes,
      atomicUpdates: !ferretdb?.startsWith('v1.'),
    };
  } finally {
    await client.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command, passing its stderr through (the first FerretDB build reports progress there). */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });
}

function lastLine(output: string): string {
  return output.trim().split('\n').at(-1) ?? '';
}
