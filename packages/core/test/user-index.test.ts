import { describe, expect, it } from 'vitest';
import { createSessions, MemoryStore, type SessionStore } from '../src/index.js';
import { cookieOf, SECRET } from './helpers.js';

/** A plain key-value store: the contract's required methods, no per-user index. */
function keyValueStore(): SessionStore {
  const memory = new MemoryStore();
  return {
    create: (id, record) => memory.create(id, record),
    get: (id) => memory.get(id),
    replace: (id, record, expectedVersion) => memory.replace(id, record, expectedVersion),
    touch: (id, update) => memory.touch(id, update),
    delete: (id) => memory.delete(id),
  };
}

describe('a store without the per-user index', () => {
  it('runs the whole lifecycle: create, save, login, regenerate, destroy', async () => {
    const sessions = createSessions({ store: keyValueStore(), secrets: [SECRET] });
    expect(sessions.mode).toBe('server');
    const session = await sessions.load({});
    session.set('cart', ['apple']);
    await session.login('ada');
    await session.regenerate();
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const loaded = await sessions.load({ cookie });
    expect([loaded.userId, loaded.get('cart')]).toEqual(['ada', ['apple']]);
    await loaded.destroy();
    await sessions.commit(loaded);
    expect((await sessions.load({ cookie })).isNew).toBe(true);
  });

  it('answers UNSUPPORTED where the index is needed, saying so', async () => {
    const sessions = createSessions({ store: keyValueStore(), secrets: [SECRET] });
    for (const call of [
      () => sessions.listForUser('ada'),
      () => sessions.revoke('ada', 'handle'),
      () => sessions.revokeAll('ada'),
    ]) {
      await expect(call()).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringContaining('per-user index'),
      });
    }
  });

  it('refuses maxSessionsPerUser at construction, naming the option', () => {
    expect(() =>
      createSessions({ store: keyValueStore(), secrets: [SECRET], maxSessionsPerUser: 3 }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('`maxSessionsPerUser`'),
      }),
    );
  });
});

describe('sessions.mode', () => {
  it("is 'cookie' in cookie-only mode, where the per-user operations need a server store", async () => {
    const sessions = createSessions({ cookieOnly: true, secrets: [SECRET] });
    expect(sessions.mode).toBe('cookie');
    await expect(sessions.revoke('ada', 'handle')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('server-side store'),
    });
  });
});
