import { describe, expect, it, vi } from 'vitest';
import { SECRET } from './helpers.js';

/** Two copies of the core, as an app gets when it loads the package both as ESM and as CommonJS. */
async function twoCopies() {
  const load = async () => ({
    core: await import('../src/index.js'),
    csrf: await import('../src/csrf.js'),
    kit: await import('../src/store-kit.js'),
  });
  vi.resetModules();
  const first = await load();
  vi.resetModules();
  const second = await load();
  expect(first.core.CoatcheckError).not.toBe(second.core.CoatcheckError);
  return [first, second] as const;
}

describe('two copies of the package in one process', () => {
  it('recognise each other’s errors, by isCoatcheckError and by instanceof', async () => {
    const [first, second] = await twoCopies();
    const error = new first.core.CoatcheckError('STORE_ERROR', 'down');
    expect(second.core.isCoatcheckError(error)).toBe(true);
    expect(second.core.isCoatcheckError(error, 'STORE_ERROR')).toBe(true);
    expect(second.core.isCoatcheckError(error, 'UNSUPPORTED')).toBe(false);
    expect(error instanceof second.core.CoatcheckError).toBe(true);
    // Passed through unchanged, not wrapped as a store failure of the other copy.
    expect(second.kit.storeError('store.get', error)).toBe(error);
  });

  it('work on each other’s sessions (a CSRF token from one, a session loaded by the other)', async () => {
    const [first, second] = await twoCopies();
    const sessions = first.core.createSessions({ store: new first.core.MemoryStore(), secrets: [SECRET] });
    const session = await sessions.load({});
    const token = second.csrf.csrfToken(session);
    expect(first.csrf.verifyCsrfToken(session, token)).toBe(true);
    expect((await sessions.commit(session)).headers).not.toEqual([]);
  });
});

describe('isCoatcheckError', () => {
  it('is false for look-alikes that were not made by the class', async () => {
    const { isCoatcheckError } = await import('../src/index.js');
    const lookalike = Object.assign(new Error('x'), { name: 'CoatcheckError', code: 'STORE_ERROR' });
    expect(isCoatcheckError(lookalike)).toBe(false);
    expect(isCoatcheckError(null)).toBe(false);
    expect(isCoatcheckError('CoatcheckError')).toBe(false);
  });
});
