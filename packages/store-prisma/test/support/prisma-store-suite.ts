import { randomUUID } from 'node:crypto';
import { createSessions, type SessionEvent } from '@coatcheck/core';
import { makeRecord, newId, runStoreConformance } from '@coatcheck/store-test-suite';
import { typeScriptExecArgv } from '@coatcheck/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  applySchema,
  createPrismaAuditLog,
  createPrismaStore,
  type PrismaSessionDelegate,
} from '../../src/index.js';
import { describeTable } from './catalog.js';
import { MODEL_FILES, type ModelField, readModel } from './model.js';
import type { RacePeerArgs } from './race-peer-store.js';
import type { Provider, TestDatabase } from './test-database.js';

const SECRET = 'store-prisma-test-secret-0123456789abcdef';

/**
 * Everything the package promises, on one database: the conformance suite through a client generated
 * from the shipped model against the table the shipped SQL created, then what is specific to SQL.
 */
export function runPrismaStoreSuite(name: string, open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.dispose();
  });

  runStoreConformance({
    name,
    createStore: () => createPrismaStore(database.prisma),
    // The race cases' other side: another process, with its own client on the same tables.
    peerProcess: () => ({
      module: new URL('./race-peer-store.ts', import.meta.url),
      args: { provider: database.provider, location: database.location } satisfies RacePeerArgs,
      execArgv: typeScriptExecArgv(),
    }),
  });

  describe(`${name} — the shipped model and SQL agree`, () => {
    for (const file of MODEL_FILES) {
      it(`creates every column and index of ${file}.prisma`, async () => {
        const model = await readModel(database.provider, file);
        const table = await describeTable(database, model.table);
        expect(table.columns.map(({ column }) => column).sort()).toEqual(
          model.fields.map((f) => f.column).sort(),
        );
        for (const field of model.fields) {
          const column = table.columns.find((c) => c.column === field.column);
          expect({ column: field.column, type: column?.type, nullable: column?.nullable }).toEqual({
            column: field.column,
            type: expectedType(database.provider, field),
            nullable: field.optional,
          });
        }
        expect(table.primaryKey).toEqual(model.fields.filter((f) => f.id).map((f) => f.column));
        // Prisma's own index names, so `prisma migrate diff` against the model finds nothing to change.
        expect(Object.fromEntries(table.indexes)).toEqual(
          Object.fromEntries(
            model.indexes.map((columns) => [`${model.table}_${columns.join('_')}_idx`, columns]),
          ),
        );
      });
    }

    it('applySchema can run again at every start-up, keeping the rows', async () => {
      const id = newId();
      const store = createPrismaStore(database.prisma, { expiry: 'off' });
      await store.create(id, makeRecord());
      await applySchema(database.prisma, database.provider, { auditLog: true });
      expect(await store.get(id)).not.toBeNull();
    });
  });

  describe(`${name} — SQL specifics`, () => {
    // No sweeper: the expiry cases below decide when expired rows go.
    const store = () => createPrismaStore(database.prisma, { expiry: 'off' });
    const rawCount = async (where: string) => {
      const [row] = await database.prisma.$queryRawUnsafe<Array<{ n: bigint | number }>>(
        `SELECT COUNT(*) AS n FROM coatcheck_sessions WHERE ${where}`,
      );
      return Number(row?.n);
    };

    it('reports a touch that writes the values already stored as done (MySQL counts changed rows)', async () => {
      const id = newId();
      const record = makeRecord();
      await store().create(id, record);
      const same = { idleExpiresAt: record.idleExpiresAt, lastSeenAt: record.lastSeenAt };
      expect(await store().touch(id, same)).toBe(true);
      expect(await store().touch(id, same)).toBe(true);
    });

    it('stores data as JSON text a person can read', async () => {
      const id = newId();
      await store().create(id, makeRecord({ data: { cart: ['apple'] } }));
      const [row] = await database.prisma.$queryRawUnsafe<Array<{ data: string }>>(
        `SELECT data FROM coatcheck_sessions WHERE id = '${id}'`,
      );
      expect(row?.data).toBe('{"cart":["apple"]}');
    });

    it("deleteByUser counts the user's live sessions and leaves none of their rows behind", async () => {
      const user = `user-${randomUUID()}`;
      await store().create(newId(), makeRecord({ userId: user }));
      await store().create(newId(), makeRecord({ userId: user, idleExpiresAt: Date.now() - 1 }));
      expect(await store().deleteByUser(user)).toBe(1);
      expect(await rawCount(`user_id = '${user}'`)).toBe(0);
    });

    it('deleteExpired leaves no expired row in the table', async () => {
      const now = Date.now();
      await store().create(newId(), makeRecord({ idleExpiresAt: now - 1 }));
      await store().create(newId(), makeRecord({ absoluteExpiresAt: now - 1 }));
      await store().deleteExpired();
      expect(await rawCount(`idle_expires_at <= ${now} OR absolute_expires_at <= ${now}`)).toBe(0);
    });

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const rowExists = async (id: string) => (await rawCount(`id = '${id}'`)) === 1;

    it("expiry: 'sweep' (the default) deletes expired rows on its interval, until close()", async () => {
      const sweeping = createPrismaStore(database.prisma, { sweepIntervalSeconds: 0.2 });
      const dead = newId();
      const live = newId();
      await sweeping.create(dead, makeRecord({ idleExpiresAt: Date.now() - 1 }));
      await sweeping.create(live, makeRecord());
      await vi.waitFor(async () => expect(await rowExists(dead)).toBe(false), {
        timeout: 10_000,
        interval: 100,
      });
      expect(await rowExists(live)).toBe(true);

      await sweeping.close();
      const kept = newId();
      await sweeping.create(kept, makeRecord({ absoluteExpiresAt: Date.now() - 1 }));
      await sleep(1_000); // five intervals
      expect(await rowExists(kept)).toBe(true);
      expect(await sweeping.get(kept)).toBeNull(); // closed, the store still answers
      await store().delete(kept);
    });

    it("expiry: 'off' never deletes expired rows itself: deleteExpired() does", async () => {
      const manual = createPrismaStore(database.prisma, { expiry: 'off', sweepIntervalSeconds: 0.1 });
      const dead = newId();
      await manual.create(dead, makeRecord({ idleExpiresAt: Date.now() - 1 }));
      await sleep(1_000); // ten intervals, had it swept
      expect(await rowExists(dead)).toBe(true);
      expect(await manual.get(dead)).toBeNull();
      expect(await manual.deleteExpired()).toBeGreaterThanOrEqual(1);
      expect(await rowExists(dead)).toBe(false);
      await manual.close();
    });

    it('sweeps of several processes at once share the work without failing', async () => {
      const expired = Array.from({ length: 200 }, () => newId());
      const past = Date.now() - 1;
      await Promise.all(expired.map((id) => store().create(id, makeRecord({ idleExpiresAt: past }))));
      const counts = await Promise.all(Array.from({ length: 5 }, () => store().deleteExpired()));
      expect(counts.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(expired.length);
      expect(await rawCount(`idle_expires_at <= ${past}`)).toBe(0);
    });

    it('reads, writes and sweeps by the `now` clock', async () => {
      const realNow = Date.now();
      let clockMs = realNow + 120_000; // two minutes ahead of the database's rows
      const ahead = createPrismaStore(database.prisma, { now: () => clockMs, expiry: 'off' });
      const id = newId();
      const user = `user-${randomUUID()}`;
      // Live for another minute by the real clock, so only the store's own clock can call it expired.
      const record = makeRecord({ userId: user, idleExpiresAt: realNow + 60_000 });
      expect(await store().create(id, record)).toBe(true);
      expect(await ahead.get(id)).toBeNull();
      expect(await ahead.replace(id, { ...record, version: 2 }, 1)).toBe(false);
      expect(await ahead.touch(id, { idleExpiresAt: clockMs + 60_000, lastSeenAt: clockMs })).toBe(false);
      expect(await ahead.listByUser(user)).toEqual([]);
      // An id whose row is expired by the clock can be taken over by a create.
      const deadline = clockMs + 60_000;
      const renewed = makeRecord({ idleExpiresAt: deadline, absoluteExpiresAt: deadline, data: { n: 2 } });
      expect(await ahead.create(id, renewed)).toBe(true);
      expect((await ahead.get(id))?.data).toEqual({ n: 2 });
      expect(await store().get(id)).not.toBeNull();

      // Sweeping by the clock too: move it past the new row's deadline and let the sweeper find it.
      clockMs += 120_000;
      const sweeping = createPrismaStore(database.prisma, { now: () => clockMs, sweepIntervalSeconds: 0.2 });
      await vi.waitFor(async () => expect(await rowExists(id)).toBe(false), {
        timeout: 10_000,
        interval: 100,
      });
      await sweeping.close();
    });

    it('keeps user ids up to 191 characters on MySQL (VARCHAR(191)), longer ones elsewhere', async () => {
      const longest = `u${'x'.repeat(190)}`;
      const id = newId();
      expect(await store().create(id, makeRecord({ userId: longest }))).toBe(true);
      expect((await store().listByUser(longest)).map((s) => s.id)).toEqual([id]);
      const tooLong = store().create(newId(), makeRecord({ userId: `${longest}x` }));
      if (database.provider === 'mysql') await expect(tooLong).rejects.toThrow(/too long/i);
      else expect(await tooLong).toBe(true);
    });

    it('uses the model delegate named by the `model` option', async () => {
      const renamed: { authSession: PrismaSessionDelegate } = { authSession: database.prisma.session };
      const named = createPrismaStore(renamed, { model: 'authSession' });
      const id = newId();
      expect(await named.create(id, makeRecord({ data: { via: 'authSession' } }))).toBe(true);
      expect((await store().get(id))?.data).toEqual({ via: 'authSession' });
    });
  });

  describe(`${name} — audit trail`, () => {
    it("records what happened to a user's sessions, newest first", async () => {
      let coreNow = Date.now();
      // The store keeps the real clock, so the record core later finds past its deadline is still
      // returned and core reports it as expired (with a conforming store that is the clock-edge case).
      const sessions = createSessions({
        store: createPrismaStore(database.prisma),
        secrets: [SECRET],
        now: () => coreNow,
        idleTimeoutSeconds: 600,
        cookie: { secure: false },
      });
      const audit = createPrismaAuditLog(database.prisma);
      const detach = audit.attach(sessions);
      const user = `user-${randomUUID()}`;
      const laptop = { ip: '198.51.100.1', userAgent: 'laptop' };
      const cookieOf = (headers: Array<[string, string]>) =>
        headers.find(([header]) => header === 'Set-Cookie')?.[1].split(';')[0];

      // Laptop: anonymous cart, login, regenerate, logout.
      const anonymous = await sessions.load(laptop);
      anonymous.set('cart', ['apple']);
      let cookie = cookieOf((await sessions.commit(anonymous)).headers);
      const laptopSession = await sessions.load({ ...laptop, cookie });
      await laptopSession.login(user);
      await laptopSession.regenerate();
      await laptopSession.destroy();
      // Phone: login, then revoked from the laptop's device list.
      const phone = await sessions.load({ ip: '203.0.113.9', userAgent: 'phone' });
      await phone.login(user);
      const [phoneDevice] = await sessions.listForUser(user);
      expect(await sessions.revoke(user, phoneDevice?.handle as string)).toBe(true);
      // Tablet: login, then comes back after the idle timeout.
      const tablet = await sessions.load({ ip: '192.0.2.4', userAgent: 'tablet' });
      await tablet.login(user);
      cookie = cookieOf((await sessions.commit(tablet)).headers);
      coreNow += 601_000;
      expect((await sessions.load({ cookie })).isNew).toBe(true);

      const events = await audit.listForUser(user);
      expect(events.map((e) => [e.type, e.reason, e.userAgent])).toEqual([
        ['expired', 'idle-timeout', 'tablet'],
        ['created', 'login', 'tablet'],
        ['revoked', 'revoke', 'phone'],
        ['created', 'login', 'phone'],
        ['destroyed', undefined, 'laptop'],
        ['regenerated', 'regenerate', 'laptop'],
        ['regenerated', 'login', 'laptop'],
      ]);
      const [expired, , , , destroyed, regenerated, login] = events as SessionEvent[];
      // Sessions are named by their store id (SHA-256 of the token), never by the token in the cookie.
      expect(login?.sessionId).toMatch(/^[\w-]{43}$/);
      expect(cookie).not.toContain(expired?.sessionId);
      expect(regenerated?.previousSessionId).toBe(login?.sessionId);
      expect(destroyed?.sessionId).toBe(regenerated?.sessionId);
      expect(login).toMatchObject({ userId: user, ip: '198.51.100.1', at: expect.any(Number) });
      expect(expired?.at).toBe(coreNow);
      expect(await audit.listForUser(user, { limit: 2 })).toEqual(events.slice(0, 2));

      detach();
      const afterDetach = await sessions.load();
      await afterDetach.login(user);
      expect(await audit.listForUser(user)).toHaveLength(events.length);
      expect(await audit.deleteBefore(coreNow + 1)).toBeGreaterThanOrEqual(events.length);
      expect(await audit.listForUser(user)).toEqual([]);
      await sessions.close();
    });

    it('lists exactly the events of the user asked for, whatever the collation says', async () => {
      const audit = createPrismaAuditLog(database.prisma);
      const user = `u-${randomUUID()}`;
      const at = Date.now();
      const event = (userId: string, offsetMs: number) => ({
        type: 'created' as const,
        reason: 'login' as const,
        sessionId: newId(),
        userId,
        at: at + offsetMs,
        ip: null,
        userAgent: null,
      });
      // Older events of `user`, newer ones of users MySQL's PAD SPACE collation or a case-insensitive one
      // would compare equal to it.
      for (const [userId, offsetMs] of [
        [user, 1],
        [user, 2],
        [`${user} `, 3],
        [`${user}  `, 4],
        [user.toUpperCase(), 5],
      ] as const) {
        await audit.record(event(userId, offsetMs));
      }
      expect((await audit.listForUser(user)).map((e) => [e.userId, e.at])).toEqual([
        [user, at + 2],
        [user, at + 1],
      ]);
      expect((await audit.listForUser(user, { limit: 1 })).map((e) => e.at)).toEqual([at + 2]);
      expect((await audit.listForUser(`${user} `)).map((e) => e.at)).toEqual([at + 3]);
    });
  });
}

const DEFAULT_TYPES: Record<Provider, Record<string, string>> = {
  postgresql: { String: 'text', BigInt: 'bigint', Int: 'integer' },
  mysql: { String: 'varchar(191)', BigInt: 'bigint', Int: 'int' },
  sqlite: { String: 'text', BigInt: 'bigint', Int: 'integer' },
};

/** The column type Prisma maps a field to, as the catalog spells it. */
function expectedType(provider: Provider, field: ModelField): string | undefined {
  // SQLite only auto-increments an INTEGER PRIMARY KEY, which is 64-bit: the model's BigInt id.
  if (provider === 'sqlite' && field.id && field.type === 'BigInt') return 'integer';
  return field.nativeType?.toLowerCase() ?? DEFAULT_TYPES[provider][field.type];
}
