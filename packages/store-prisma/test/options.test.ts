// Our own validation and error wrapping, on stand-in delegates: no database needed to check them.
import { isCoatcheckError, type SessionEventListener } from '@coatcheck/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applySchema, createPrismaAuditLog, createPrismaStore } from '../src/index.js';

const fails = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
const delegate = {
  createMany: fails,
  findUnique: fails,
  findMany: fails,
  updateMany: fails,
  deleteMany: fails,
};
const prisma = { session: delegate, sessionEvent: delegate };

function codeAndMessage(call: () => unknown) {
  try {
    call();
  } catch (error) {
    if (isCoatcheckError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('did not throw');
}

describe('createPrismaStore', () => {
  it('names the `model` option when the client has no such delegate', () => {
    expect(
      codeAndMessage(() => createPrismaStore(prisma as never, { model: 'sesion' as 'session' })),
    ).toEqual({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(
        /`model` must be the name of a model delegate of your PrismaClient \(prisma\.sesion has no createMany\(\) method\)/,
      ),
    });
    expect(codeAndMessage(() => createPrismaStore({} as never))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(codeAndMessage(() => createPrismaStore(prisma, { model: '' as 'session' }))).toMatchObject({
      message: expect.stringContaining('`model`'),
    });
  });

  it('refuses a client that is not an object, and a clock that is not a function', () => {
    expect(codeAndMessage(() => createPrismaStore(undefined as never))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('`prisma`'),
    });
    expect(codeAndMessage(() => createPrismaStore(prisma, { now: 5 as never }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('`now`'),
    });
  });

  it("refuses expiry: 'native' (SQL has no native expiry) and any mode but 'sweep' and 'off'", () => {
    expect(codeAndMessage(() => createPrismaStore(prisma, { expiry: 'native' as never }))).toEqual({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(
        /`expiry` cannot be 'native': SQL databases do not expire rows.*'sweep'.*'off'/,
      ),
    });
    for (const expiry of ['interval', 'ttl', true]) {
      expect(codeAndMessage(() => createPrismaStore(prisma, { expiry: expiry as never }))).toEqual({
        code: 'INVALID_OPTION',
        message: expect.stringContaining(
          `\`expiry\` must be 'sweep' or 'off' (got ${JSON.stringify(expiry)})`,
        ),
      });
    }
  });

  it('checks sweepIntervalSeconds and onError at construction, with either expiry mode', () => {
    for (const expiry of ['sweep', 'off'] as const) {
      // 2147484 s is past what a timer can wait: Node would fire it after 1 ms, sweeping without pause.
      for (const sweepIntervalSeconds of [
        0,
        -1,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        2_147_484,
        '60' as never,
      ]) {
        expect(codeAndMessage(() => createPrismaStore(prisma, { expiry, sweepIntervalSeconds }))).toEqual({
          code: 'INVALID_OPTION',
          message: expect.stringContaining('`sweepIntervalSeconds` must be a number of seconds above 0'),
        });
      }
      expect(codeAndMessage(() => createPrismaStore(prisma, { expiry, onError: 'log' as never }))).toEqual({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('`onError` must be a function'),
      });
    }
    createPrismaStore(prisma, { expiry: 'off', sweepIntervalSeconds: 2_147_483 });
  });
});

describe('createPrismaStore expiry', () => {
  /** A delegate that counts sweeps (`deleteMany` with an `OR` of deadlines) and fails every other call. */
  function sweepCounter() {
    const sweeps: unknown[] = [];
    const counting = {
      ...delegate,
      deleteMany: async (args: { where: unknown }) => {
        sweeps.push(args.where);
        return { count: 0 };
      },
    };
    return { sweeps, prisma: { session: counting } };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps by default, every 300 s from the end of the previous sweep, until close()', async () => {
    vi.useFakeTimers();
    const { sweeps, prisma: counting } = sweepCounter();
    const store = createPrismaStore(counting);
    await vi.advanceTimersByTimeAsync(299_999);
    expect(sweeps).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sweeps).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(sweeps).toHaveLength(2);
    await store.close();
    await store.close(); // harmless twice
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(sweeps).toHaveLength(2);
  });

  it("never sweeps with expiry: 'off', whatever the interval", async () => {
    vi.useFakeTimers();
    const { sweeps, prisma: counting } = sweepCounter();
    const store = createPrismaStore(counting, { expiry: 'off', sweepIntervalSeconds: 1 });
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(sweeps).toHaveLength(0);
    expect(await store.deleteExpired()).toBe(0); // still there for a cron job
    expect(sweeps).toHaveLength(1);
  });

  it('hands a failed sweep to onError as STORE_ERROR with the cause, and keeps sweeping', async () => {
    const onError = vi.fn();
    const store = createPrismaStore(prisma, { sweepIntervalSeconds: 0.1, onError });
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(2), { timeout: 10_000 });
    await store.close();
    const [error] = onError.mock.calls[0] as [Error & { code: string; cause: Error }];
    expect(error.code).toBe('STORE_ERROR');
    expect(error.cause.message).toContain('ECONNREFUSED');
  });

  it('logs a failed sweep with console.error when no onError is given', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const store = createPrismaStore(prisma, { sweepIntervalSeconds: 0.1 });
      await vi.waitFor(() => expect(logged).toHaveBeenCalled(), { timeout: 10_000 });
      await store.close();
      expect(logged.mock.calls[0]?.[0]).toMatchObject({ name: 'CoatcheckError', code: 'STORE_ERROR' });
    } finally {
      logged.mockRestore();
    }
  });
});

describe('applySchema', () => {
  const recorder = () => {
    const statements: string[] = [];
    return {
      statements,
      prisma: {
        $executeRawUnsafe: async (statement: string) => {
          statements.push(statement);
          return 0;
        },
      },
    };
  };

  it('runs the shipped SQL one statement at a time, the audit table only when asked', async () => {
    const sessionsOnly = recorder();
    await applySchema(sessionsOnly.prisma, 'postgresql');
    expect(sessionsOnly.statements).toHaveLength(4);
    expect(sessionsOnly.statements[0]).toMatch(
      /^-- Sessions of[\s\S]*CREATE TABLE IF NOT EXISTS "coatcheck_sessions"/,
    );
    expect(sessionsOnly.statements.slice(1).every((s) => s.startsWith('CREATE INDEX IF NOT EXISTS'))).toBe(
      true,
    );
    expect(sessionsOnly.statements.join('\n')).not.toContain('coatcheck_session_events');

    const withAudit = recorder();
    await applySchema(withAudit.prisma, 'mysql', { auditLog: true });
    expect(withAudit.statements).toHaveLength(2);
    expect(withAudit.statements[1]).toContain('CREATE TABLE IF NOT EXISTS `coatcheck_session_events`');
    for (const statement of withAudit.statements) expect(statement).not.toMatch(/;\s*$/);
  });

  it('names a wrong provider, and reports a failed statement as STORE_ERROR with the cause', async () => {
    await expect(applySchema(recorder().prisma, 'oracle' as never)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('`provider`'),
    });
    await expect(applySchema({ $executeRawUnsafe: fails }, 'sqlite')).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: expect.stringContaining('schema/sqlite/session.sql'),
      cause: expect.any(Error),
    });
  });
});

describe('createPrismaAuditLog', () => {
  it('names the option at fault', () => {
    expect(codeAndMessage(() => createPrismaAuditLog({} as never))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('prisma.sessionEvent has no createMany() method'),
    });
    expect(
      codeAndMessage(() => createPrismaAuditLog(prisma, { types: ['logged-in' as never] })),
    ).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('`types`'),
    });
  });

  it('reports failed writes and queries as STORE_ERROR with the cause', async () => {
    const audit = createPrismaAuditLog(prisma);
    const event = {
      type: 'created',
      reason: 'login',
      sessionId: 'x',
      userId: null,
      at: 1,
      ip: null,
      userAgent: null,
    } as const;
    await expect(audit.record(event)).rejects.toMatchObject({
      code: 'STORE_ERROR',
      cause: expect.any(Error),
    });
    await expect(audit.listForUser('u')).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(audit.listForUser('u', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('records only the configured types', async () => {
    const recorded: string[] = [];
    const sink = {
      ...delegate,
      createMany: async ({ data }: { data: Array<{ type: string }> }) => {
        recorded.push(...data.map((row) => row.type));
        return { count: data.length };
      },
    };
    let listener: SessionEventListener = () => {};
    const sessions = {
      on(_type: '*', next: SessionEventListener) {
        listener = next;
        return () => {};
      },
    };
    createPrismaAuditLog({ sessionEvent: sink }, { types: ['destroyed'] }).attach(sessions);
    const common = { sessionId: null, userId: null, at: 1, ip: null, userAgent: null };
    await listener({ ...common, type: 'created', reason: 'save' });
    await listener({ ...common, type: 'destroyed' });
    await listener({ ...common, type: 'invalid-cookie' });
    expect(recorded).toEqual(['destroyed']);
  });
});
