import { describe, expect, it, vi } from 'vitest';
import {
  createSessions,
  MemoryStore,
  memoryRevocationStore,
  type RevocationStore,
  revocationStoreFrom,
  type SessionRecord,
  type SessionStore,
} from '../src/index.js';
import { sessionIdOf } from '../src/testing.js';
import { clock, cookieOf, SECRET } from './helpers.js';

/** A revocation store that records its calls. */
function recording(): RevocationStore & { revoked: Map<string, number> } {
  const revoked = new Map<string, number>();
  return {
    revoked,
    revoke: vi.fn(async (id: string, untilEpochMs: number) => void revoked.set(id, untilEpochMs)),
    isRevoked: async (id: string) => revoked.has(id),
    close: vi.fn(async () => {}),
  };
}

describe('revocation in cookie-only mode', () => {
  it('keeps an ended session revoked until its own sealed deadline, whatever the configuration says now', async () => {
    const time = clock();
    const options = { cookieOnly: true, secrets: [SECRET], now: time.now } as const;
    const revocationStore = memoryRevocationStore({ now: time.now });
    const before = createSessions({ ...options, revocationStore, absoluteTimeoutSeconds: 3600 });
    const session = await before.load({});
    await session.login('ada');
    const stolen = cookieOf((await before.commit(session)).headers);

    // A later deploy shortens the absolute timeout; the stolen cookie still carries its sealed hour.
    const after = createSessions({ ...options, revocationStore, absoluteTimeoutSeconds: 60 });
    const logout = await after.load({ cookie: stolen });
    const id = sessionIdOf(logout) as string;
    await logout.destroy();
    await after.commit(logout);
    time.advanceSeconds(61);
    expect((await createSessions(options).load({ cookie: stolen })).userId).toBe('ada');
    expect((await after.load({ cookie: stolen })).isNew).toBe(true);
    time.advanceSeconds(3600);
    expect(await revocationStore.isRevoked(id)).toBe(false);
    expect(revocationStore.size).toBe(0);
  });

  it('keeps refusing a cookie revoked after its timeouts were shortened from 30 days to 1 day, 1 day + 1 s on', async () => {
    const time = clock();
    const day = 86_400;
    const revocationStore = memoryRevocationStore({ now: time.now });
    const options = { cookieOnly: true, secrets: [SECRET], now: time.now, revocationStore } as const;
    const thirtyDays = { idleTimeoutSeconds: 30 * day, absoluteTimeoutSeconds: 30 * day };
    const issued = createSessions({ ...options, ...thirtyDays });
    const session = await issued.load({});
    await session.login('ada');
    const stolen = cookieOf((await issued.commit(session)).headers);

    // The timeouts are shortened after the cookie was issued; the user logs out under the new ones.
    const shortened = createSessions({ ...options, idleTimeoutSeconds: day, absoluteTimeoutSeconds: day });
    const logout = await shortened.load({ cookie: stolen });
    await logout.destroy();
    await shortened.commit(logout);

    time.advanceSeconds(day + 1);
    // Unrevoked, the cookie would still open: its sealed deadlines are 30 days out.
    const unrevoked = createSessions({ ...options, revocationStore: undefined, ...thirtyDays });
    expect((await unrevoked.load({ cookie: stolen })).userId).toBe('ada');
    expect((await shortened.load({ cookie: stolen })).isNew).toBe(true);
    expect((await issued.load({ cookie: stolen })).isNew).toBe(true);
    time.advanceSeconds(29 * day);
    expect((await issued.load({ cookie: stolen })).isNew).toBe(true);
  });

  it('revokes with the deadline sealed in the session, on logout and on a login’s token change', async () => {
    const time = clock();
    const revocationStore = recording();
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET], now: time.now });
    const session = await sessions.load({});
    session.set('n', 1);
    await sessions.commit(session);
    const anonymousDeadline = session.absoluteExpiresAt;
    time.advanceSeconds(10);
    await session.login('ada');
    const loggedInDeadline = session.absoluteExpiresAt;
    await session.destroy();
    expect(anonymousDeadline).not.toBe(loggedInDeadline);
    expect(vi.mocked(revocationStore.revoke).mock.calls.map(([, until]) => until)).toEqual([
      anonymousDeadline,
      loggedInDeadline,
    ]);
  });

  it('does not revoke a cookie that presents itself expired: a fresher copy may be the live session', async () => {
    const time = clock();
    const revocationStore = recording();
    const sessions = createSessions({
      cookieOnly: true,
      revocationStore,
      secrets: [SECRET],
      now: time.now,
      idleTimeoutSeconds: 60,
    });
    const session = await sessions.load({});
    session.set('n', 1);
    const old = cookieOf((await sessions.commit(session)).headers);
    time.advanceSeconds(61);
    expect((await sessions.load({ cookie: old })).isNew).toBe(true);
    expect(revocationStore.revoke).not.toHaveBeenCalled();
  });

  it('reports a failing revocation store as STORE_ERROR on every path, never as a logout', async () => {
    const revocations = memoryRevocationStore();
    let down = false;
    const outage = async () => {
      throw new Error('ECONNREFUSED');
    };
    const revocationStore: RevocationStore = {
      revoke: (id, until) => (down ? outage() : revocations.revoke(id, until)),
      isRevoked: (id) => (down ? outage() : revocations.isRevoked(id)),
    };
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] });
    const session = await sessions.load({});
    await session.login('ada');
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const storeError = { code: 'STORE_ERROR', message: expect.stringContaining('ECONNREFUSED') };

    const saving = await sessions.load({ cookie });
    const regenerating = await sessions.load({ cookie });
    const loggingOut = await sessions.load({ cookie });
    down = true;
    await expect(sessions.load({ cookie })).rejects.toMatchObject(storeError);
    saving.set('n', 1);
    await expect(sessions.commit(saving)).rejects.toMatchObject(storeError);
    await expect(regenerating.regenerate()).rejects.toMatchObject(storeError);
    await expect(loggingOut.destroy()).rejects.toMatchObject(storeError);
    down = false;
    // Nothing was ended by the outage: the session is still there once the store is back.
    expect((await sessions.load({ cookie })).userId).toBe('ada');
  });

  it('reports a failing revocation store as STORE_ERROR, never as a valid session', async () => {
    const revocationStore = recording();
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] });
    const session = await sessions.load({});
    session.set('n', 1);
    const cookie = cookieOf((await sessions.commit(session)).headers);
    revocationStore.isRevoked = async () => {
      throw new Error('ECONNREFUSED');
    };
    await expect(sessions.load({ cookie })).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('close() closes the revocation store, and revocationStoreFrom closes the store under it', async () => {
    const revocationStore = recording();
    await createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] }).close();
    expect(revocationStore.close).toHaveBeenCalledOnce();

    const memory = new MemoryStore();
    const store: SessionStore = {
      create: (id, record) => memory.create(id, record),
      get: (id) => memory.get(id),
      replace: (id, record, version) => memory.replace(id, record, version),
      touch: (id, update) => memory.touch(id, update),
      delete: (id) => memory.delete(id),
      close: vi.fn(async () => {}),
    };
    await revocationStoreFrom(store).close?.();
    expect(store.close).toHaveBeenCalledOnce();
  });

  it('revocationStoreFrom refuses a MemoryStore: tombstones evicted at its cap would let revoked cookies in', () => {
    expect(() => revocationStoreFrom(new MemoryStore())).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('evicts records at its maxSessions cap'),
      }),
    );
  });

  it('never forgets a revocation to make room: a flood of 10,000 logouts leaves the stolen cookie refused', async () => {
    const revocationStore = memoryRevocationStore({ maxEntries: 10_000 });
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET] });
    const victim = await sessions.load({});
    await victim.login('ada');
    const stolen = cookieOf((await sessions.commit(victim)).headers);
    await victim.destroy();

    // The attacker's own sessions, each logged out: one revocation each.
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      const session = await sessions.load({});
      session.set('n', i);
      await sessions.commit(session);
      await session.destroy().catch((error) => {
        expect(error).toMatchObject({ code: 'STORE_ERROR', message: expect.stringContaining('is full') });
        refused++;
      });
    }
    // The victim's logout holds one place, so the last of the flood finds the store full and fails.
    expect(revocationStore.size).toBe(10_000);
    expect(refused).toBe(1);
    expect((await sessions.load({ cookie: stolen })).isNew).toBe(true);
  });

  it('makes room at its cap only from revocations past their deadline', async () => {
    const time = clock();
    const revocationStore = memoryRevocationStore({ maxEntries: 2, now: time.now });
    await revocationStore.revoke('a', time.now() + 60_000);
    await revocationStore.revoke('b', time.now() + 120_000);
    await expect(revocationStore.revoke('c', time.now() + 60_000)).rejects.toMatchObject({
      code: 'STORE_ERROR',
    });
    // Revoking an id it holds needs no room, and keeps the later deadline.
    await revocationStore.revoke('b', time.now() + 1_000);
    time.advanceSeconds(61);
    await revocationStore.revoke('c', time.now() + 60_000);
    expect([await revocationStore.isRevoked('a'), await revocationStore.isRevoked('c')]).toEqual([
      false,
      true,
    ]);
    time.advanceSeconds(58);
    expect(await revocationStore.isRevoked('b')).toBe(true);
    expect(() => memoryRevocationStore({ maxEntries: 0 })).toThrow(/`maxEntries`/);
  });

  it('revocationStoreFrom stamps tombstones with its now option, the clock the manager and store use', async () => {
    const time = clock();
    // A shared store stands in (revocationStoreFrom refuses an evicting MemoryStore itself).
    const memory = new MemoryStore({ now: time.now, maxSessions: Number.MAX_SAFE_INTEGER });
    const create = vi.fn((id: string, record: SessionRecord) => memory.create(id, record));
    const tombstones = { create, get: (id: string) => memory.get(id) } as unknown as SessionStore;
    const revocationStore = revocationStoreFrom(tombstones, { now: time.now });
    const sessions = createSessions({ cookieOnly: true, revocationStore, secrets: [SECRET], now: time.now });
    const session = await sessions.load({});
    session.set('n', 1);
    await sessions.commit(session);
    time.advanceSeconds(30);
    await session.destroy();
    expect(create).toHaveBeenCalledOnce();
    const [, tombstone] = create.mock.calls[0] as [string, SessionRecord];
    expect(tombstone).toMatchObject({ createdAt: time.now(), lastSeenAt: time.now() });
    expect(tombstone.absoluteExpiresAt).toBeGreaterThan(time.now());
  });

  it('revocationStoreFrom refuses a now that is not a clock, naming the option', () => {
    const tombstones = { create: async () => true, get: async () => null } as unknown as SessionStore;
    expect(() => revocationStoreFrom(tombstones, { now: 42 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('`now`') }),
    );
  });

  it('revocationStoreFrom refuses what is not a SessionStore', () => {
    expect(() => revocationStoreFrom({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('create()') }),
    );
  });
});
