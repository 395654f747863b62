import { createRequire } from 'node:module';

/**
 * Why better-sqlite3 cannot load on this Node, or `null` when it can. Its native module is compiled for
 * one Node ABI (Node 20 here), so a run on Node 24 cannot load it; any other failure is a real error and
 * throws.
 * @param from the caller's `import.meta.url`: better-sqlite3 is resolved from there.
 */
export function sqliteUnavailableReason(from: string): string | null {
  try {
    const Database = createRequire(from)('better-sqlite3');
    new Database(':memory:').close();
    return null;
  } catch (error) {
    // A native module built for another Node's ABI fails to dlopen ("NODE_MODULE_VERSION 115 … requires
    // 137", or "did not self-register" on a second attempt in the same process).
    if ((error as { code?: unknown }).code !== 'ERR_DLOPEN_FAILED') throw error;
    const message = (error as Error).message.split('\n')[0];
    return `better-sqlite3's native module cannot load on Node ${process.version} (it was built for another Node): ${message}`;
  }
}
