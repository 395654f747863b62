// Session events are what apps see, so their types live at core's root, not in the store authors' kit.
import type { SessionEvent, SessionEventListener, SessionEventType } from '@coatcheck/core';
import { CoatcheckError, callStore, invalidOption } from '@coatcheck/core/store';
import { modelDelegate } from './model-delegate.js';
import { toEpochMs } from './session-row.js';

/** A row of the `SessionEvent` model in `schema/<provider>/session-event.prisma`, without its id. */
export interface SessionEventRow {
  type: string;
  sessionId: string | null;
  previousSessionId: string | null;
  userId: string | null;
  at: bigint;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
}

/**
 * The part of a Prisma model delegate (`prisma.sessionEvent`) the audit log calls, typed structurally
 * like {@link PrismaSessionDelegate}.
 */
export interface PrismaSessionEventDelegate {
  createMany(args: { data: SessionEventRow[] }): PromiseLike<{ count: number }>;
  findMany(args: {
    where: { userId: string };
    orderBy: Array<{ at: 'desc' } | { id: 'desc' }>;
    take: number;
    skip: number;
  }): PromiseLike<SessionEventRow[]>;
  deleteMany(args: { where: { at: { lt: bigint } } }): PromiseLike<{ count: number }>;
}

/** Options of {@link createPrismaAuditLog}. */
export interface PrismaAuditLogOptions<Model extends string = 'sessionEvent'> {
  /** The delegate of the event model on your client (the model's name in camelCase). @default 'sessionEvent' */
  model?: Model;
  /**
   * The event types to record.
   * @default ['created', 'regenerated', 'revoked', 'expired', 'destroyed']
   */
  types?: readonly SessionEventType[];
}

/** Anything with core's `sessions.on()`: the `Sessions` returned by `createSessions()`. */
export interface SessionEventSource {
  on(type: '*', listener: SessionEventListener): () => void;
}

const DEFAULT_TYPES: readonly SessionEventType[] = [
  'created',
  'regenerated',
  'revoked',
  'expired',
  'destroyed',
];
const KNOWN_TYPES: ReadonlySet<string> = new Set<SessionEventType>([
  ...DEFAULT_TYPES,
  'conflict-retried',
  'invalid-cookie',
  'invalid-data',
]);

/**
 * Creates an audit log that writes core's session events to the `SessionEvent` table, and reads back
 * what happened to a user's sessions.
 *
 * ```ts
 * const audit = createPrismaAuditLog(prisma);
 * audit.attach(sessions);
 * const history = await audit.listForUser(userId, { limit: 20 });
 * ```
 *
 * @throws `INVALID_OPTION` when `prisma[model]` is not a model delegate or `types` names an unknown type.
 */
export function createPrismaAuditLog<Model extends string = 'sessionEvent'>(
  prisma: { [K in NoInfer<Model>]: PrismaSessionEventDelegate },
  options: PrismaAuditLogOptions<Model> = {},
): PrismaAuditLog {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const events = modelDelegate<PrismaSessionEventDelegate>(prisma, options.model ?? 'sessionEvent', [
    'createMany',
    'findMany',
    'deleteMany',
  ]);
  const types = options.types ?? DEFAULT_TYPES;
  if (!Array.isArray(types) || types.some((type) => !KNOWN_TYPES.has(type))) {
    invalidOption('types', `must be a list of session event types (${[...KNOWN_TYPES].join(', ')})`);
  }
  return new AuditLog(events, new Set(types));
}

/** Writes session events to a table and reads them back. See {@link createPrismaAuditLog}. */
export interface PrismaAuditLog {
  /**
   * Records the configured event types of `sessions` from now on. Core awaits the write, so a failed
   * write fails the request with `STORE_ERROR`: the trail never silently misses an event.
   * @returns a function that stops recording.
   */
  attach(sessions: SessionEventSource): () => void;
  /** Writes one event, whatever its type. @throws `STORE_ERROR` when the write fails. */
  record(event: SessionEvent): Promise<void>;
  /**
   * What happened to a user's sessions, newest first: the events recorded with exactly this user id.
   * @param options.limit how many events at most. @default 50
   * @throws `INVALID_ARGUMENT` for a bad limit; `STORE_ERROR` when the query fails.
   */
  listForUser(userId: string, options?: { limit?: number }): Promise<SessionEvent[]>;
  /**
   * Deletes events older than `atMs` (epoch ms), for a retention policy.
   * @returns how many were deleted.
   * @throws `STORE_ERROR` when the delete fails.
   */
  deleteBefore(atMs: number): Promise<number>;
}

/** See {@link PrismaAuditLog}; only {@link createPrismaAuditLog} makes one. */
class AuditLog implements PrismaAuditLog {
  readonly #events: PrismaSessionEventDelegate;
  readonly #types: ReadonlySet<SessionEventType>;

  constructor(events: PrismaSessionEventDelegate, types: ReadonlySet<SessionEventType>) {
    this.#events = events;
    this.#types = types;
  }

  attach(sessions: SessionEventSource): () => void {
    return sessions.on('*', async (event) => {
      if (this.#types.has(event.type)) await this.record(event);
    });
  }

  async record(event: SessionEvent): Promise<void> {
    const row: SessionEventRow = {
      type: event.type,
      sessionId: event.sessionId,
      previousSessionId: event.previousSessionId ?? null,
      userId: event.userId,
      at: toEpochMs(event.at),
      ip: event.ip,
      userAgent: event.userAgent,
      reason: event.reason ?? null,
    };
    await callStore('audit log write', () => this.#events.createMany({ data: [row] }));
  }

  async listForUser(userId: string, options: { limit?: number } = {}): Promise<SessionEvent[]> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new CoatcheckError(
        'INVALID_ARGUMENT',
        `limit must be a whole number of at least 1 (got ${String(limit)})`,
      );
    }
    // Rows are kept only when their user id is exactly `userId`: MySQL's collations also match 'u ' (and
    // case-insensitive ones 'U'). Only when such rows take places on a page is a further page read.
    const events: SessionEvent[] = [];
    for (let skip = 0; ; skip += limit) {
      const rows = await callStore('audit log query', () =>
        this.#events.findMany({
          where: { userId },
          orderBy: [{ at: 'desc' }, { id: 'desc' }],
          take: limit,
          skip,
        }),
      );
      events.push(...rows.filter((row) => row.userId === userId).map(toEvent));
      if (events.length >= limit || rows.length < limit) return events.slice(0, limit);
    }
  }

  async deleteBefore(atMs: number): Promise<number> {
    const { count } = await callStore('audit log delete', () =>
      this.#events.deleteMany({ where: { at: { lt: toEpochMs(atMs) } } }),
    );
    return count;
  }
}

function toEvent(row: SessionEventRow): SessionEvent {
  // The row holds what record() wrote from an event, so its type and reason belong together.
  return {
    type: row.type,
    sessionId: row.sessionId,
    ...(row.previousSessionId === null ? {} : { previousSessionId: row.previousSessionId }),
    userId: row.userId,
    at: Number(row.at),
    ip: row.ip,
    userAgent: row.userAgent,
    ...(row.reason === null ? {} : { reason: row.reason }),
  } as SessionEvent;
}
