import {
  type CoatcheckError,
  invalidOption,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  type Sweeper,
  startSweeper,
  type TouchUpdate,
} from '@coatcheck/core/store';
import { type SweepSettings, sweepSettings } from './expiry.js';
import { modelDelegate } from './model-delegate.js';
import { type SessionColumns, type SessionRow, toColumns, toEpochMs, toRecord } from './session-row.js';

/** A deadline filter on a BIGINT epoch-ms column. */
export type EpochMsFilter = { gt: bigint } | { lte: bigint };

/** The filters the store uses: a subset of the `SessionWhereInput` Prisma generates from the model. */
export interface SessionWhere {
  id?: string | { not: string } | { in: string[] };
  userId?: string;
  version?: number;
  idleExpiresAt?: EpochMsFilter;
  absoluteExpiresAt?: EpochMsFilter;
  OR?: SessionWhere[];
}

/**
 * The part of a Prisma model delegate (`prisma.session`) the store calls. Typed structurally, so any
 * Prisma 7 client generated from the shipped model fits, whatever the model is called.
 */
export interface PrismaSessionDelegate {
  createMany(args: { data: SessionRow[] }): PromiseLike<{ count: number }>;
  findUnique(args: { where: SessionWhere & { id: string } }): PromiseLike<SessionRow | null>;
  findMany(args: { where: SessionWhere }): PromiseLike<SessionRow[]>;
  updateMany(args: { where: SessionWhere; data: Partial<SessionColumns> }): PromiseLike<{ count: number }>;
  deleteMany(args: { where: SessionWhere }): PromiseLike<{ count: number }>;
}

/** Options of {@link createPrismaStore}. */
export interface PrismaStoreOptions<Model extends string = 'session'> {
  /**
   * The delegate of the session model on your client: the model's name in camelCase
   * (`model CoatcheckSession` → `'coatcheckSession'`).
   * @default 'session'
   */
  model?: Model;
  /**
   * How expired rows leave the table. Reads never return them either way, so this only decides how big
   * the table grows. SQL has no native expiry, so `'native'` is refused.
   * - `'sweep'`: the store deletes them itself, one indexed `DELETE` every `sweepIntervalSeconds`, on a
   *   timer that does not keep the process alive; `close()` stops it.
   * - `'off'`: nothing; call {@link PrismaSessionStore.deleteExpired} yourself, e.g. from a cron job.
   *
   * `'sweep'` is the default because its mistake is cheap and `'off'`'s is not: forgetting the cron job
   * behind `'off'` goes unnoticed (sessions still expire on time) while the table grows forever, whereas a
   * sweeper in every process only costs each of them one `DELETE` per interval, harmless when they overlap.
   * For one sweeper per deployment, pass `'off'` to the web processes and keep `'sweep'` in one worker (e.g.
   * `expiry: process.env.SESSION_SWEEPER === '1' ? 'sweep' : 'off'`), or `'off'` everywhere and run
   * `deleteExpired()` on a schedule. Where timers do not run between requests (serverless functions), use
   * `'off'` and a scheduled job.
   * @default 'sweep'
   */
  expiry?: 'sweep' | 'off';
  /**
   * With `expiry: 'sweep'`: seconds from the end of one sweep to the start of the next (the first runs one
   * interval after construction), so sweeps never overlap. At most 2147483 (24 days, a timer's limit).
   * @default 300
   */
  sweepIntervalSeconds?: number;
  /**
   * Called with a `STORE_ERROR` (the database's error as `cause`) when a sweep fails, since no request
   * awaits it; sweeping goes on at the next interval.
   * @default logs the error with `console.error`
   */
  onError?: (error: CoatcheckError) => void;
  /**
   * Clock (epoch ms) that decides which rows have expired, for reads, writes and sweeps alike.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * The store {@link createPrismaStore} returns: Coatcheck's {@link SessionStore} with the per-user index,
 * plus `deleteExpired` and `close`.
 *
 * User ids are compared exactly on every database: rows are selected by `user_id` and then kept only when
 * their user id is the one asked for, because MySQL's collations (`utf8mb4_bin` included, a PAD SPACE
 * collation) find `'alice '` when asked for `'alice'`.
 */
export interface PrismaSessionStore extends SessionStore {
  /** Lists the user's live sessions: one `SELECT` on the `user_id` index. */
  listByUser(userId: string): Promise<StoredSession[]>;
  /**
   * Lists the user's rows, then deletes them by id: the live ones (the count), then, if some had expired,
   * those too, as nobody can use them anyway. Two or three statements, and **not atomic**: a session the
   * user creates while this runs may survive it. For "log out everywhere" that is acceptable (that session
   * began after the request to log out did); call it again to be sure.
   * @returns how many live sessions were deleted.
   */
  deleteByUser(userId: string, options?: { exceptId?: string }): Promise<number>;
  /**
   * Deletes every expired row in one statement, on the deadline indexes. `expiry: 'sweep'` calls it on a
   * timer; with `'off'`, call it from a cron job.
   * @returns how many rows were deleted.
   */
  deleteExpired(): Promise<number>;
  /**
   * Stops the sweeper of `expiry: 'sweep'` and waits for a sweep in progress. It leaves the PrismaClient
   * connected (it is yours to `$disconnect()`), and the store still answers calls; it only stops sweeping.
   * Calling it again is harmless.
   */
  close(): Promise<void>;
}

const DELEGATE_METHODS = ['createMany', 'findUnique', 'findMany', 'updateMany', 'deleteMany'] as const;
const EXPIRY_MODES: readonly unknown[] = ['sweep', 'off'];

/**
 * Creates a session store on the Prisma 7 client you made (with its driver adapter): PostgreSQL,
 * MySQL/MariaDB or SQLite. The table comes from `schema/<provider>/session.prisma` or `.sql`. By default
 * the store deletes expired rows every 5 minutes (see {@link PrismaStoreOptions.expiry}).
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
 * const sessions = createSessions({ store: createPrismaStore(prisma), secrets: [process.env.SESSION_SECRET!] });
 * ```
 *
 * `get`, `replace`, `touch`, `delete`, `listByUser` and `deleteExpired` are one statement each, so each is
 * atomic on its own: compare-and-set is a conditional `UPDATE … WHERE id AND version AND not expired`.
 * `create` on a taken id takes two (the second is conditional, so of two racing creates one wins),
 * `deleteByUser` two or three (not atomic; see there).
 *
 * @param prisma your PrismaClient; the store never connects or disconnects it.
 * @param options see {@link PrismaStoreOptions}.
 * @throws `INVALID_OPTION` naming the option: `prisma[model]` is not a model delegate, `expiry` is not
 *   `'sweep'` or `'off'`, or another option has the wrong type or range.
 */
export function createPrismaStore<Model extends string = 'session'>(
  prisma: { [K in NoInfer<Model>]: PrismaSessionDelegate },
  options: PrismaStoreOptions<Model> = {},
): PrismaSessionStore {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const sessions = modelDelegate<PrismaSessionDelegate>(prisma, options.model ?? 'session', DELEGATE_METHODS);
  const expiry: unknown = options.expiry ?? 'sweep';
  if (expiry === 'native') {
    invalidOption(
      'expiry',
      "cannot be 'native': SQL databases do not expire rows. Use 'sweep' (the default: the store deletes " +
        "them on a timer) or 'off' (call deleteExpired() from a cron job)",
    );
  }
  if (!EXPIRY_MODES.includes(expiry)) {
    invalidOption('expiry', `must be 'sweep' or 'off' (got ${JSON.stringify(expiry)})`);
  }
  const sweep = sweepSettings(options);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
  return new PrismaStore(sessions, now, expiry === 'sweep' ? sweep : null);
}

/** See {@link PrismaSessionStore}; only {@link createPrismaStore} makes one. */
class PrismaStore implements PrismaSessionStore {
  readonly #sessions: PrismaSessionDelegate;
  readonly #now: () => number;
  readonly #sweeper: Sweeper | null;

  constructor(sessions: PrismaSessionDelegate, now: () => number, sweep: SweepSettings | null) {
    this.#sessions = sessions;
    this.#now = now;
    this.#sweeper = sweep && startSweeper(this, sweep);
  }

  async create(id: string, record: SessionRecord): Promise<boolean> {
    const columns = toColumns(record);
    try {
      // createMany of one row: a plain INSERT on every database (create would read the row back,
      // in a transaction on MySQL).
      await this.#sessions.createMany({ data: [{ id, ...columns }] });
      return true;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // The id is taken. Take it over only if its record is dead: one conditional update, so of two
    // creates racing for an expired id exactly one wins.
    const { count } = await this.#sessions.updateMany({ where: { id, OR: this.#expired() }, data: columns });
    return count === 1;
  }

  async get(id: string): Promise<SessionRecord | null> {
    const row = await this.#sessions.findUnique({ where: { id, ...this.#live() } });
    return row ? toRecord(row) : null;
  }

  async replace(id: string, record: SessionRecord, expectedVersion: number): Promise<boolean> {
    const { count } = await this.#sessions.updateMany({
      where: { id, version: expectedVersion, ...this.#live() },
      data: toColumns(record),
    });
    return count === 1;
  }

  async touch(id: string, update: TouchUpdate): Promise<boolean> {
    const { count } = await this.#sessions.updateMany({
      where: { id, ...this.#live() },
      data: { idleExpiresAt: toEpochMs(update.idleExpiresAt), lastSeenAt: toEpochMs(update.lastSeenAt) },
    });
    return count === 1;
  }

  async delete(id: string): Promise<void> {
    await this.#sessions.deleteMany({ where: { id } });
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const rows = await this.#rowsOfUser(userId, this.#live());
    return rows.map((row) => ({ id: row.id, record: toRecord(row) }));
  }

  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    const ids = (await this.#rowsOfUser(userId)).map((row) => row.id).filter((id) => id !== options.exceptId);
    if (ids.length === 0) return 0;
    const owned: SessionWhere = { id: { in: ids }, userId };
    const { count } = await this.#sessions.deleteMany({ where: { ...owned, ...this.#live() } });
    if (count < ids.length) await this.#sessions.deleteMany({ where: owned });
    return count;
  }

  async deleteExpired(): Promise<number> {
    const { count } = await this.#sessions.deleteMany({ where: { OR: this.#expired() } });
    return count;
  }

  async close(): Promise<void> {
    await this.#sweeper?.stop();
  }

  /** The user's rows, compared exactly (see {@link PrismaSessionStore}), optionally narrowed by `where`. */
  async #rowsOfUser(userId: string, where: SessionWhere = {}): Promise<SessionRow[]> {
    const rows = await this.#sessions.findMany({ where: { ...where, userId } });
    return rows.filter((row) => row.userId === userId);
  }

  #live(): Pick<SessionWhere, 'idleExpiresAt' | 'absoluteExpiresAt'> {
    const now = toEpochMs(this.#now());
    return { idleExpiresAt: { gt: now }, absoluteExpiresAt: { gt: now } };
  }

  #expired(): SessionWhere[] {
    const now = toEpochMs(this.#now());
    return [{ idleExpiresAt: { lte: now } }, { absoluteExpiresAt: { lte: now } }];
  }
}

/** Prisma's code for a unique constraint violation, whichever driver adapter reported it. */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'P2002';
}
