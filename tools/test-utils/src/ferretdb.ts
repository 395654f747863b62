import { type PortRange, startOnFreePorts, stopOrphans } from './ports.js';
import { lastLine, repositoryScript, run } from './run.js';

const KIND = 'ferretdb';
const script = repositoryScript('ferretdb.sh');

/** A FerretDB server started by {@link startFerretDb}. */
export interface TestFerretDb {
  /** `mongodb://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server, deletes its data and frees the port. */
  stop(): Promise<void>;
}

/**
 * Starts FerretDB v1.24.2 (built once and cached by `scripts/ferretdb.sh`; the first build takes minutes)
 * with a fresh SQLite data folder on a free port of `range`, trying another port if it is taken first.
 */
export async function startFerretDb(range: PortRange): Promise<TestFerretDb> {
  await stopOrphans(KIND, stopServer);
  const { value: url, reservation } = await startOnFreePorts(
    { range, kind: KIND },
    async (port) => lastLine(await run(script, ['start', String(port)], { timeoutMs: 600_000 })),
    stopServer,
  );
  return {
    url,
    port: reservation.basePort,
    async stop() {
      await stopServer(reservation.basePort);
      await reservation.release();
    },
  };
}

function stopServer(port: number): Promise<string> {
  return run(script, ['stop', String(port)], { timeoutMs: 60_000 });
}
