// assertMethods: the construction-time check of the clients stores receive.
import { describe, expect, it } from 'vitest';
import { assertMethods, CoatcheckError } from '../src/store-kit.js';

function failureOf(check: () => void): CoatcheckError {
  try {
    check();
  } catch (error) {
    if (error instanceof CoatcheckError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('assertMethods', () => {
  const expectation = { expected: 'an ioredis Redis or Cluster client' };

  it('accepts a value with every method, including methods from its prototype', () => {
    class Client {
      get() {}
    }
    const client = Object.assign(new Client(), { set: () => {} });
    expect(() => assertMethods(client, 'client', ['get', 'set'], expectation)).not.toThrow();
  });

  it('names the option and the first missing method', () => {
    const error = failureOf(() =>
      assertMethods({ get() {}, set: 'not a function' }, 'client', ['get', 'set', 'del'], expectation),
    );
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toBe(
      '[coatcheck] option `client` must be an ioredis Redis or Cluster client (it has no set() method)',
    );
  });

  it.each([undefined, null, 42, 'redis://localhost'])('refuses %s', (value) => {
    expect(failureOf(() => assertMethods(value, 'client', ['get'], expectation)).message).toContain(
      'has no get() method',
    );
  });

  it('uses the subject and hint it is given', () => {
    const error = failureOf(() =>
      assertMethods({}, 'model', ['findMany'], {
        expected: 'the name of a model delegate of your PrismaClient',
        subject: 'prisma.sesion',
        hint: 'run `prisma generate`',
      }),
    );
    expect(error.message).toBe(
      '[coatcheck] option `model` must be the name of a model delegate of your PrismaClient ' +
        '(prisma.sesion has no findMany() method): run `prisma generate`',
    );
  });
});
