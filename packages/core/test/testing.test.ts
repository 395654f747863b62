import { describe, expect, it } from 'vitest';
import { createSessions, MemoryStore } from '../src/index.js';
import { manualClock, sessionCookie, sessionIdOf } from '../src/testing.js';
import { SECRET } from './helpers.js';

describe('@coatcheck/core/testing', () => {
  it('sessionCookie() creates a real logged-in session through the configured store', async () => {
    const store = new MemoryStore();
    const sessions = createSessions<{ cart: string[] }>({ store, secrets: [SECRET] });
    const cookie = await sessionCookie(sessions, {
      userId: 'ada',
      data: { cart: ['apple'] },
      ip: '192.0.2.1',
    });
    expect(cookie).toMatch(/^__Host-coatcheck=[^;\s]+$/);
    const session = await sessions.load({ cookie });
    expect([session.userId, session.get('cart'), session.client.ip]).toEqual(['ada', ['apple'], '192.0.2.1']);
    expect(store.size).toBe(1);
  });

  it('sessionCookie() saves an empty anonymous session too, and works in cookie-only mode', async () => {
    const server = createSessions({ store: new MemoryStore(), secrets: [SECRET], cookie: { secure: false } });
    const anonymous = await server.load({ cookie: await sessionCookie(server) });
    expect([anonymous.isNew, anonymous.userId]).toEqual([false, null]);

    const sealed = createSessions({ cookieOnly: true, secrets: [SECRET] });
    const session = await sealed.load({ cookie: await sessionCookie(sealed, { userId: 'ada' }) });
    expect(session.userId).toBe('ada');
  });

  it('manualClock() drives the timeouts of the manager and the store', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const sessions = createSessions({
      store: new MemoryStore({ now: clock.now }),
      secrets: [SECRET],
      now: clock.now,
      idleTimeoutSeconds: 60,
    });
    const cookie = await sessionCookie(sessions, { userId: 'ada' });
    clock.advanceSeconds(59);
    expect((await sessions.load({ cookie })).userId).toBe('ada');
    clock.advanceSeconds(61);
    expect((await sessions.load({ cookie })).isNew).toBe(true);
    clock.set(Date.UTC(2030, 0, 1));
    expect(clock.now()).toBe(Date.UTC(2030, 0, 1));
    expect(() => clock.advanceSeconds(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('sessionIdOf() gives the id events report and the store keys the record by', async () => {
    const store = new MemoryStore();
    const sessions = createSessions({ store, secrets: [SECRET] });
    const ids: Array<string | null> = [];
    sessions.on('created', (event) => void ids.push(event.sessionId));
    const session = await sessions.load({});
    expect(sessionIdOf(session)).toBeNull();
    session.set('n', 1);
    await sessions.commit(session);
    expect(ids).toEqual([sessionIdOf(session)]);
    expect(await store.get(sessionIdOf(session) as string)).not.toBeNull();
  });
});
