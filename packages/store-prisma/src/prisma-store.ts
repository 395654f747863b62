import type {
  SessionRecord,
  SessionStore,
  StoredSession,
  SweeperOptions,
  TouchUpdate,
} from '@coatcheck/core';
import { CoatcheckError, invalidOption, startSweeper } from '@coatcheck/core';
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
  /** Clock (epoch ms) that decides which records have expired. @default Date.now */
  now?: () => number;
}

const DELEGATE_METHODS = ['createMany', 'findUnique', 'findMany', 'updateMany', 'deleteMany'] as const;

/**
 * Creates a session store on the Prisma 7 client you made (with its driver adapter): PostgreSQL,
 * MySQL/MariaDB or SQLite. The table comes from `schema/<provider>/session.prisma` or `.sql`.
 *
 * ```ts
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
 * const sessions = createSessions({ store: createPrismaStore(prisma), secrets: [process.env.SESSION_SECRET!] });
 * ```
 *
 * @param prisma your PrismaClient; the store never connects or disconnects it.
 * @throws `INVALID_OPTION` when `prisma[model]` is not a model delegate.
 */
export function createPrismaStore<Model extends string = 'session'>(
  prisma: { [K in NoInfer<Model>]: PrismaSessionDelegate },
  options: PrismaStoreOptions<Model> = {},
): PrismaStore {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const sessions = modelDelegate<PrismaSessionDelegate>(prisma, options.model ?? 'session', DELEGATE_METHODS);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch milliseconds');
  return new PrismaStore(sessions, now);
}

/**
 * A Coatcheck {@link SessionStore} on a SQL table through Prisma. `get`, `replace`, `touch`, `delete`,
 * `listByUser` and `deleteExpired` are one statement each, so each is atomic on its own: compare-and-set
 * is a conditional `UPDATE … WHERE id AND version AND not expired`. `create` on a taken id takes two (the
 * second is conditional, so of two racing creates one wins), `deleteByUser` two or three (not atomic; see
 * there).
 *
 * User ids are compared exactly on every database: rows are selected by `user_id` and then kept only when
 * their user id is the one asked for, because MySQL's collations (`utf8mb4_bin` included, a PAD SPACE
 * collation) find `'alice '` when asked for `'alice'`.
 *
 * SQL has no native expiry: expired rows read as absent and are deleted by {@link PrismaStore.deleteExpired},
 * which you run from a cron job or with {@link PrismaStore.startSweeper}.
 */
export class PrismaStore implements SessionStore {
  readonly #sessions: PrismaSessionDelegate;
  readonly #now: () => number;
  #stopSweeper: (() => Promise<void>) | null = null;

  /** @internal Use {@link createPrismaStore}. */
  constructor(sessions: PrismaSessionDelegate, now: () => number) {
    this.#sessions = sessions;
    this.#now = now;
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

  /**
   * Lists the user's rows, then deletes them by id: the live ones (the count), then, if some had expired,
   * those too, as nobody can use them anyway. Two or three statements, and **not atomic**: a session the
   * user creates while this runs may survive it. For "log out everywhere" that is acceptable (that session
   * began after the request to log out did); call it again to be sure.
   */
  async deleteByUser(userId: string, options: { exceptId?: string } = {}): Promise<number> {
    const ids = (await this.#rowsOfUser(userId)).map((row) => row.id).filter((id) => id !== options.exceptId);
    if (ids.length === 0) return 0;
    const owned: SessionWhere = { id: { in: ids }, userId };
    const { count } = await this.#sessions.deleteMany({ where: { ...owned, ...this.#live() } });
    if (count < ids.length) await this.#sessions.deleteMany({ where: owned });
    return count;
  }

  /** Deletes every expired record in one statement. @returns how many were deleted. */
  async deleteExpired(): Promise<number> {
    const { count } = await this.#sessions.deleteMany({ where: { OR: this.#expired() } });
    return count;
  }

  /**
   * Starts deleting expired records periodically in this process, with core's `startSweeper`: every
   * `intervalSeconds` (default 300) after the previous sweep ended; a failed sweep goes to `onError`
   * (default `console.error`) as a `STORE_ERROR`, and sweeping goes on. The timer does not keep the process
   * alive. Prefer one sweeper (or one cron job) for the whole deployment; several are harmless, only
   * wasteful.
   * @returns a function that stops the sweeper and resolves once a sweep in progress has finished.
   * @throws `INVALID_OPTION` for a bad option; `INVALID_ARGUMENT` if a sweeper is already running.
   */
  startSweeper(options: SweeperOptions = {}): () => Promise<void> {
    if (this.#stopSweeper) {
      throw new CoatcheckError(
        'INVALID_ARGUMENT',
        'the sweeper is already running; stop it before starting another',
      );
    }
    const sweeper = startSweeper(this, { intervalSeconds: 300, ...options });
    this.#stopSweeper = async () => {
      this.#stopSweeper = null;
      await sweeper.stop();
    };
    return this.#stopSweeper;
  }

  /** Stops the sweeper if it runs. The PrismaClient stays connected: it is yours to disconnect. */
  async close(): Promise<void> {
    await this.#stopSweeper?.();
  }

  /** The user's rows, compared exactly (see the class comment), optionally narrowed by `where`. */
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
