import { invalidOption } from './errors.js';
import {
  recordExpiresAt,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type TouchUpdate,
} from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * At most this many records are kept. Beyond it one record goes for each new one, silently: the least
   * recently used anonymous session (created, saved, touched or read), and only when none is left the least
   * recently used logged-in one — a logged-in one past its deadline goes first. So a flood of anonymous
   * visitors never logs a user out, but a flood of logins does: size it for your traffic. Each eviction costs
   * O(1).
   * @default 10000
   */
  maxSessions?: number;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
}

/**
 * Marks a store that drops live records to make room, which must never hold revocations (see
 * `revocationStoreFrom`). A registry symbol, so copies of the package (ESM and CommonJS) agree.
 */
export const EVICTS_LIVE_RECORDS = Symbol.for('coatcheck.evictsLiveRecords');

let warnedInProduction = false;

/**
 * Keeps sessions in this process's memory: for development, tests and single-process apps that accept
 * losing every session on restart. Records are stored as JSON, like a real backend, so nothing the app
 * holds can alias stored data. Warns once when `NODE_ENV=production`.
 */
export class MemoryStore implements SessionStore {
  /** This store evicts live records at its cap (see {@link MemoryStoreOptions.maxSessions}). */
  readonly [EVICTS_LIVE_RECORDS] = true;
  private readonly records = new Map<
    string,
    { json: string; userId: string | null; expiresAt: number; version: number }
  >();
  private readonly byUser = new Map<string, Set<string>>();
  // Record ids by last use, oldest first (a Set keeps insertion order; re-adding moves one to the end), one
  // order per kind, so the next to evict is always at the front: O(1).
  private readonly anonymousByUse = new Set<string>();
  private readonly loggedInByUse = new Set<string>();
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxSessions = options.maxSessions ?? 10_000;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) {
      invalidOption('maxSessions', 'must be a whole number of at least 1');
    }
    this.now = options.now ?? Date.now;
    if (globalThis.process?.env?.NODE_ENV === 'production' && !warnedInProduction) {
      warnedInProduction = true;
      console.warn(
        '[coatcheck] MemoryStore in production: sessions are lost on restart and not shared between ' +
          'processes. Use @coatcheck/store-redis, -prisma or -mongo.',
      );
    }
  }

  /** How many records are held, expired ones included until they are swept or evicted. */
  get size(): number {
    return this.records.size;
  }

  async create(id: string, record: SessionRecord): Promise<boolean> {
    if (this.live(id)) return false;
    this.write(id, record);
    return true;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id);
    if (!entry) return null;
    this.used(id, entry.userId);
    return JSON.parse(entry.json) as SessionRecord;
  }

  async replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const entry = this.live(id);
    if (entry?.version !== expectedVersion) return false;
    this.write(id, record);
    return true;
  }

  async touch(id: string, update: TouchUpdate): Promise<boolean> {
    const entry = this.live(id);
    if (!entry) return false;
    const record = { ...(JSON.parse(entry.json) as SessionRecord), ...update };
    entry.json = JSON.stringify(record);
    entry.expiresAt = recordExpiresAt(record);
    this.used(id, entry.userId);
    return true;
  }

  async delete(id: string): Promise<void> {
    const entry = this.records.get(id);
    if (!entry) return;
    this.records.delete(id);
    this.anonymousByUse.delete(id);
    this.loggedInByUse.delete(id);
    if (entry.userId !== null) {
      const ids = this.byUser.get(entry.userId);
      ids?.delete(id);
      if (ids?.size === 0) this.byUser.delete(entry.userId);
    }
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const result: StoredSession[] = [];
    for (const id of [...(this.byUser.get(userId) ?? [])]) {
      const entry = this.live(id);
      if (entry) result.push({ id, record: JSON.parse(entry.json) as SessionRecord });
    }
    return result;
  }

  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    let count = 0;
    for (const id of [...(this.byUser.get(userId) ?? [])]) {
      if (id === options.exceptId) continue;
      if (this.live(id)) count++;
      await this.delete(id);
    }
    return count;
  }

  async deleteExpired(): Promise<number> {
    let count = 0;
    const now = this.now();
    for (const [id, entry] of this.records) {
      if (entry.expiresAt <= now) {
        await this.delete(id);
        count++;
      }
    }
    return count;
  }

  async close(): Promise<void> {}

  /** The entry under `id` if it is live; an expired one is dropped on the way. */
  private live(id: string) {
    const entry = this.records.get(id);
    if (entry && entry.expiresAt <= this.now()) {
      void this.delete(id);
      return undefined;
    }
    return entry;
  }

  private write(id: string, record: SessionRecord): void {
    const previous = this.records.get(id);
    if (previous && previous.userId !== record.userId) void this.delete(id);
    this.records.set(id, {
      json: JSON.stringify(record),
      version: record.version,
      userId: record.userId,
      expiresAt: recordExpiresAt(record),
    });
    if (record.userId !== null) {
      const ids = this.byUser.get(record.userId) ?? new Set();
      this.byUser.set(record.userId, ids);
      ids.add(id);
    }
    this.used(id, record.userId);
    if (this.records.size > this.maxSessions) this.evictOneBut(id);
  }

  /** Moves `id` to the back of its kind's order: the last to be evicted. */
  private used(id: string, userId: string | null): void {
    const order = userId === null ? this.anonymousByUse : this.loggedInByUse;
    order.delete(id);
    order.add(id);
  }

  /**
   * Drops one record other than `written` to make room: a logged-in one past its deadline if the oldest
   * is, else the least recently used anonymous one, else the least recently used logged-in one.
   */
  private evictOneBut(written: string): void {
    const oldestLoggedIn = firstBut(this.loggedInByUse, written);
    const expired =
      oldestLoggedIn !== undefined && (this.records.get(oldestLoggedIn)?.expiresAt ?? 0) <= this.now();
    const victim = expired ? oldestLoggedIn : (firstBut(this.anonymousByUse, written) ?? oldestLoggedIn);
    if (victim !== undefined) void this.delete(victim);
  }
}

/** The oldest id of `ids` but `except` (which, just written, is the newest: at most two steps). */
function firstBut(ids: Set<string>, except: string): string | undefined {
  for (const id of ids) if (id !== except) return id;
  return undefined;
}
