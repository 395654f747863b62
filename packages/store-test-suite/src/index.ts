import { CoatcheckError, invalidOption, type SessionStore } from '@coatcheck/core/store';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Capability, CaseDefinition, StoreUnderTest } from './case.js';
import { compareAndSetCases } from './compare-and-set.js';
import { concurrencyCases } from './concurrency.js';
import { expiryCases } from './expiry.js';
import { recordCases } from './records.js';
import { touchCases } from './touch.js';
import { userIndexCases } from './user-index.js';

export { makeRecord, newId } from './fixtures.js';

const GROUPS = [
  ['records', recordCases],
  ['compare-and-set', compareAndSetCases],
  ['touch', touchCases],
  ['expiry', expiryCases],
  ['per-user index', userIndexCases],
  ['concurrency', concurrencyCases],
] as const;

/** The name of a conformance case, `<group>/<case>`, as test titles end with and `skip` takes it. */
export type ConformanceCase =
  | keyof typeof recordCases
  | keyof typeof compareAndSetCases
  | keyof typeof touchCases
  | keyof typeof expiryCases
  | keyof typeof userIndexCases
  | keyof typeof concurrencyCases;

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
  const { name, writers, skip } = checkOptions(options);

  describe(`${name} — store contract`, () => {
    let store: Store | undefined;
    /** Why each optional part of the contract is skipped, for the parts the store lacks. */
    const lacking = new Map<Capability, string>();

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
      if (store === undefined) return;
      await store.close?.();
      await options.dispose?.(store);
    });

    for (const [group, cases] of GROUPS) {
      describe(group, () => {
        for (const [caseName, { title, needs, run }] of Object.entries(cases) as Array<
          [ConformanceCase, CaseDefinition]
        >) {
          const fullTitle = `${typeof title === 'function' ? title(writers) : title} (${caseName})`;
          const reason = skip[caseName];
          if (reason !== undefined) {
            logSkip(name, [caseName], reason);
            it(fullTitle, (context) => context.skip(reason));
            continue;
          }
          it(fullTitle, async (context) => {
            const absent = needs && lacking.get(needs);
            if (absent) context.skip(absent);
            await run({ store: store as StoreUnderTest, writers });
          });
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
): { name: string; writers: number; skip: Partial<Record<string, string>> } {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const { name, createStore, dispose, additionalTests } = options;
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
  const skip: Partial<Record<string, string>> = options.skip ?? {};
  if (typeof skip !== 'object' || skip === null) invalidOption('skip', 'must be an object of case names');
  for (const [caseName, reason] of Object.entries(skip)) {
    if (!CASES.has(caseName)) invalidOption('skip', `names no case ${JSON.stringify(caseName)}`);
    if (typeof reason !== 'string' || reason.trim() === '') {
      invalidOption('skip', `must give a reason for skipping ${JSON.stringify(caseName)}`);
    }
  }
  return { name, writers, skip };
}

function logSkip(name: string, caseNames: readonly string[], why: string): void {
  if (caseNames.length === 0) return;
  const what =
    caseNames.length === 1 ? `"${caseNames[0]}"` : `${caseNames.length} cases (${caseNames.join(', ')})`;
  console.info(`[store-test-suite] ${name}: skipping ${what}: ${why}`);
}
