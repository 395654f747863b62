/**
 * The child process of the `peerProcess` option: builds a store with the given module, a Coatcheck
 * instance over it, and runs what the suite asks (see `peer.ts`), so each race has a side in another
 * process with its own connections.
 */
import type { SessionStore } from '@coatcheck/core';
import { type PeerReply, type PeerRequest, peerOperations, raceSessions } from './peer.js';

interface StoreModule {
  createStore(args: unknown): SessionStore | Promise<SessionStore>;
  dispose?(store: SessionStore): void | Promise<void>;
}

const [moduleUrl = '', args = 'null'] = process.argv.slice(2);
const imported = (await import(moduleUrl)) as StoreModule & { default?: StoreModule };
// A loader that compiles TypeScript to CommonJS (jiti) hands the exports over as `default`.
const module = typeof imported.createStore === 'function' ? imported : (imported.default as StoreModule);
if (typeof module?.createStore !== 'function') throw new Error(`${moduleUrl} exports no createStore()`);
const store = await module.createStore(JSON.parse(args));
const operations = peerOperations(raceSessions(store));
const send = (reply: PeerReply) => process.send?.(reply);

process.on('message', async ({ id, op, arg }: PeerRequest) => {
  if (op === 'close') {
    await store.close?.();
    await module.dispose?.(store);
    process.exit(0);
  }
  try {
    await operations[op](arg);
    send({ id });
  } catch (error) {
    send({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
// A parent that dies without asking (a killed test run) must not leave this process behind.
process.on('disconnect', () => process.exit(0));
send({ ready: true });
