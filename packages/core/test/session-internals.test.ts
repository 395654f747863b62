import { describe, expect, it } from 'vitest';
import { csrfToken } from '../src/csrf.js';
import { Session } from '../src/index.js';
import { cookieOf, setup } from './helpers.js';

describe('a session shows apps only its own members', () => {
  it('has no enumerable or named internals, so autocomplete and Object.assign cannot reach them', async () => {
    const { sessions } = setup();
    const session = await sessions.load({});
    session.set('n', 1);
    expect(Object.keys(session)).toEqual([]);
    for (const name of [
      'state',
      'wasRead',
      'rawData',
      'resetData',
      'readInternal',
      'writeInternal',
      'logout',
    ]) {
      expect(name in session, name).toBe(false);
    }
    // Writing what used to be the state changes nothing the manager sees.
    Object.assign(session, { state: { record: null, mutations: [] } });
    const cookie = cookieOf((await sessions.commit(session)).headers);
    expect((await sessions.load({ cookie })).get('n')).toBe(1);
  });

  it('cannot be made by the app: sessions come from sessions.load()', async () => {
    const { sessions } = setup();
    expect(await sessions.load({})).toBeInstanceOf(Session);
    const fake = Object.create(Session.prototype) as Session;
    expect(() => csrfToken(fake)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await expect(sessions.commit({} as Session)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
