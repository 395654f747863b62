import type { SessionStore } from '@coatcheck/core/store';
import type { RacePeer } from './peer.js';

/** The optional parts of the store contract; a case that needs one is skipped, saying so, without it. */
export type Capability = 'userIndex' | 'deleteExpired';

/**
 * The store as the cases see it. The optional methods are typed as present because a case that calls one
 * declares the capability, and runs only when the store has it.
 */
export type StoreUnderTest = SessionStore &
  Required<Pick<SessionStore, 'listByUser' | 'deleteByUser' | 'deleteExpired'>>;

/** What a case gets when it runs. */
export interface CaseContext {
  store: StoreUnderTest;
  /** The `concurrentWriters` option. */
  writers: number;
  /** The `raceTrials` option. */
  trials: number;
  /** The suite's `name`, for what a case prints. */
  suiteName: string;
  /** The other side of the race cases, started on first use: a child process with `peerProcess`. */
  peer(): Promise<RacePeer>;
}

/** One case of the contract. Cases are keyed by a stable name, `<group>/<case>`, which `skip` refers to. */
export interface CaseDefinition {
  /** The test's title; a function of the options for the cases whose size they set. */
  title: string | ((sizes: { writers: number; trials: number }) => string);
  /** The optional part of the contract the case exercises. */
  needs?: Capability;
  /** The case's own timeout, for the long ones. @default vitest's `testTimeout` */
  timeoutMs?: number;
  run(context: CaseContext): Promise<void>;
}

/** A group's cases by name. `satisfies CaseTable` keeps the literal names for the `skip` option's type. */
export type CaseTable = Record<string, CaseDefinition>;
