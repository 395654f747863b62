import { describe, expect, it, vi } from 'vitest';
import {
  createSessions,
  MemoryStore,
  type RevocationStore,
  revocationStoreFrom,
  type SessionRecord,
} from '../src/index.js';
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
    const tombstones = new MemoryStore({ now: time.now });
    const options = { cookieOnly: true, secrets: [SECRET], now: time.now } as const;
    const revocationStore = revocationStoreFrom(tombstones, { now: time.now });
    const before = createSessions({ ...options, revocationStore, absoluteTimeoutSeconds: 3600 });
    const session = await before.load({});
    await session.login('ada');
    const stolen = cookieOf((await before.commit(session)).headers);

    // A later deploy shortens the absolute timeout; the stolen cookie still carries its sealed hour.
    const after = createSessions({ ...options, revocationStore, absoluteTimeoutSeconds: 60 });
    const logout = await after.load({ cookie: stolen });
    await logout.destroy();
    await after.commit(logout);
    time.advanceSeconds(61);
    expect((await createSessions(options).load({ cookie: stolen })).userId).toBe('ada');
    expect((await after.load({ cookie: stolen })).isNew).toBe(true);
    time.advanceSeconds(3600);
    expect(await tombstones.deleteExpired()).toBe(1);
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

    const store = new MemoryStore();
    const close = vi.spyOn(store, 'close');
    await revocationStoreFrom(store).close?.();
    expect(close).toHaveBeenCalledOnce();
  });

  it('revocationStoreFrom stamps tombstones with its now option, the clock the manager and store use', async () => {
    const time = clock();
    const tombstones = new MemoryStore({ now: time.now });
    const create = vi.spyOn(tombstones, 'create');
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
    expect(() => revocationStoreFrom(new MemoryStore(), { now: 42 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('`now`') }),
    );
  });

  it('revocationStoreFrom refuses what is not a SessionStore', () => {
    expect(() => revocationStoreFrom({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('create()') }),
    );
  });
});
