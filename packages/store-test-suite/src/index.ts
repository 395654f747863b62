import { CoatcheckError, invalidOption, type SessionStore } from '@coatcheck/core/store';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Capability, CaseDefinition, StoreUnderTest } from './case.js';
import { compareAndSetCases } from './compare-and-set.js';
import { concurrencyCases } from './concurrency.js';
import { expiryCases } from './expiry.js';
import { inProcessPeer, type PeerProcess, processPeer, type RacePeer } from './peer.js';
import { raceCases } from './races.js';
import { recordCases } from './records.js';
import { touchCases } from './touch.js';
import { userIndexCases } from './user-index.js';

export { makeRecord, newId } from './fixtures.js';
export type { PeerProcess } from './peer.js';

const GROUPS = [
  ['records', recordCases],
  ['compare-and-set', compareAndSetCases],
  ['touch', touchCases],
  ['expiry', expiryCases],
  ['per-user index', userIndexCases],
  ['concurrency', concurrencyCases],
  ['revocation races', raceCases],
] as const;

/** The name of a conformance case, `<group>/<case>`, as test titles end with and `skip` takes it. */
export type ConformanceCase =
  | keyof typeof recordCases
  | keyof typeof compareAndSetCases
  | keyof typeof touchCases
  | keyof typeof expiryCases
  | keyof typeof userIndexCases
  | keyof typeof concurrencyCases
  | keyof typeof raceCases;

const CASES = new Map<string, CaseDefinition>(GROUPS.flatMap(([, cases]) => Object.entries(cases)));

/** How the suite tells whether a store has an optional part of the contract, and what it says without it. */
const CAPABILITIES: Record<Capability, { has: (store: SessionStore) => boolean; absent: string }> = {
  userIndex: {
    has: (store) => typeof store.listByUser === 'function' && typeof store.deleteByUser === 'function',
    absent: 'the store has no per-user index (listByUser and deleteByUser)',
  },
  deleteExpired: {
    has: (store) => typeof store.deleteExpired === 'function',
    absent: 'the store has no deleteExpired(), which a backend that expires records itself does not need',
  },
};

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions<Store extends SessionStore = SessionStore> {
  /** Shown in the test names, e.g. `'Redis store (cluster)'`. */
  name: string;
  /** Builds the store under test; called once, before the first case. */
  createStore: () => Store | Promise<Store>;
  /**
   * Tears down what `createStore` built (close the clients it opened), after the last case;
   * `store.close()` runs first.
   * @default nothing
   */
  dispose?: (store: Store) => void | Promise<void>;
  /**
   * How many writers the concurrency cases run at once.
   * @default 20
   */
  concurrentWriters?: number;
  /**
   * How many trials each race case runs (a revocation racing a stolen session that keeps moving to new
   * tokens); every one must end with the stolen session gone.
   * @default 200
   */
  raceTrials?: number;
  /**
   * Runs the other side of each race case in a child process with a store of its own, as a second server
   * would: a function (called after `createStore`) returning the module that builds that store, the
   * arguments that make it reach the same records, and Node options to load it with. See `PeerProcess`.
   * Without it the other side is a second Coatcheck instance in this process, on the same store — the
   * right choice for a store that cannot be shared between processes, or whose backend is only atomic on
   * one connection.
   * @default none (both sides in this process)
   */
  peerProcess?: (store: Store) => PeerProcess | Promise<PeerProcess>;
  /**
   * Cases not to run, by name (the end of each test title, e.g. `'concurrency/racing-creates'`), each with
   * the reason, which is printed and shown as the skip note. A skipped case is a guarantee the store does
   * not give: say so in its README. Cases of the optional parts of the contract need no entry: they are
   * skipped, saying why, when the store lacks `listByUser`/`deleteByUser` or `deleteExpired`.
   * @default {} (every case runs)
   */
  skip?: Partial<Record<ConformanceCase, string>>;
  /**
   * Registers the store's own cases (with vitest's `it` and `describe`), run after the contract's on the
   * same store, between the same `createStore` and `dispose`.
   * @default none
   */
  additionalTests?: (suite: StoreSuite<Store>) => void;
}

/** What {@link StoreConformanceOptions.additionalTests} gets. */
export interface StoreSuite<Store extends SessionStore = SessionStore> {
  /**
   * The store `createStore` built. Read it inside a test or a hook: it does not exist yet while tests
   * are being registered.
   */
  readonly store: Store;
}

/**
 * Runs every case of the Coatcheck store contract against a store, as vitest tests. Call it at the top
 * level of a test file:
 *
 * ```ts
 * import { runStoreConformance } from '@coatcheck/store-test-suite';
 * runStoreConformance({ name: 'My store', createStore: () => createMyStore(client) });
 * ```
 *
 * Cases use fresh random ids and user ids, so they never need the backend to be empty and two runs
 * against one server never collide.
 *
 * @throws `INVALID_OPTION` naming the option, when the tests are registered: `name` is empty,
 *   `createStore` is not a function, `skip` names a case that does not exist or gives no reason, …
 */
export function runStoreConformance<Store extends SessionStore>(
  options: StoreConformanceOptions<Store>,
): void {
  const { name, writers, trials, skip } = checkOptions(options);

  describe(`${name} — store contract`, () => {
    let store: Store | undefined;
    /** Why each optional part of the contract is skipped, for the parts the store lacks. */
    const lacking = new Map<Capability, string>();
    let peer: Promise<RacePeer> | undefined;
    const startPeer = (): Promise<RacePeer> => {
      const started = store as Store;
      peer ??= options.peerProcess
        ? Promise.resolve(options.peerProcess(started)).then(processPeer)
        : Promise.resolve(inProcessPeer(started));
      return peer;
    };

    beforeAll(async () => {
      store = await options.createStore();
      for (const capability of Object.keys(CAPABILITIES) as Capability[]) {
        const { has, absent } = CAPABILITIES[capability];
        if (has(store)) continue;
        lacking.set(capability, absent);
        const skipped = [...CASES].flatMap(([caseName, { needs }]) =>
          needs === capability && !(caseName in skip) ? [caseName] : [],
        );
        logSkip(name, skipped, absent);
      }
    });
    afterAll(async () => {
      await (await peer?.catch(() => undefined))?.close();
      if (store === undefined) return;
      await store.close?.();
      await options.dispose?.(store);
    });

    for (const [group, cases] of GROUPS) {
      describe(group, () => {
        for (const [caseName, { title, needs, timeoutMs, run }] of Object.entries(cases) as Array<
          [ConformanceCase, CaseDefinition]
        >) {
          const sizes = { writers, trials };
          const fullTitle = `${typeof title === 'function' ? title(sizes) : title} (${caseName})`;
          const reason = skip[caseName];
          if (reason !== undefined) {
            logSkip(name, [caseName], reason);
            it(fullTitle, (context) => context.skip(reason));
            continue;
          }
          it(
            fullTitle,
            async (context) => {
              const absent = needs && lacking.get(needs);
              if (absent) context.skip(absent);
              await run({
                store: store as StoreUnderTest,
                writers,
                trials,
                suiteName: name,
                peer: startPeer,
              });
            },
            timeoutMs,
          );
        }
      });
    }

    const { additionalTests } = options;
    if (additionalTests) {
      describe('store-specific', () =>
        additionalTests({
          get store(): Store {
            if (store === undefined) {
              throw new CoatcheckError(
                'INVALID_ARGUMENT',
                'suite.store was read before createStore() ran: read it inside a test or a hook',
              );
            }
            return store;
          },
        }));
    }
  });
}

function checkOptions<Store extends SessionStore>(
  options: StoreConformanceOptions<Store>,
): { name: string; writers: number; trials: number; skip: Partial<Record<string, string>> } {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const { name, createStore, dispose, additionalTests, peerProcess } = options;
  if (typeof name !== 'string' || name.trim() === '') invalidOption('name', 'must be a non-empty string');
  if (typeof createStore !== 'function')
    invalidOption('createStore', 'must be a function returning the store');
  if (dispose !== undefined && typeof dispose !== 'function') invalidOption('dispose', 'must be a function');
  if (additionalTests !== undefined && typeof additionalTests !== 'function') {
    invalidOption('additionalTests', 'must be a function');
  }
  const writers = options.concurrentWriters ?? 20;
  if (!Number.isInteger(writers) || writers < 2) {
    invalidOption('concurrentWriters', `must be an integer of at least 2 (got ${String(writers)})`);
  }
  const trials = options.raceTrials ?? 200;
  if (!Number.isInteger(trials) || trials < 1) {
    invalidOption('raceTrials', `must be an integer of at least 1 (got ${String(trials)})`);
  }
  if (peerProcess !== undefined && typeof peerProcess !== 'function') {
    invalidOption('peerProcess', 'must be a function returning { module, args?, execArgv? }');
  }
  const skip: Partial<Record<string, string>> = options.skip ?? {};
  if (typeof skip !== 'object' || skip === null) invalidOption('skip', 'must be an object of case names');
  for (const [caseName, reason] of Object.entries(skip)) {
    if (!CASES.has(caseName)) invalidOption('skip', `names no case ${JSON.stringify(caseName)}`);
    if (typeof reason !== 'string' || reason.trim() === '') {
      invalidOption('skip', `must give a reason for skipping ${JSON.stringify(caseName)}`);
    }
  }
  return { name, writers, trials, skip };
}

function logSkip(name: string, caseNames: readonly string[], why: string): void {
  if (caseNames.length === 0) return;
  const what =
    caseNames.length === 1 ? `"${caseNames[0]}"` : `${caseNames.length} cases (${caseNames.join(', ')})`;
  console.info(`[store-test-suite] ${name}: skipping ${what}: ${why}`);
}
