import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createSessions, MemoryStore, type SessionEvent } from '../src/index.js';
import { cookieOf, SECRET } from './helpers.js';

describe('typed and validated data', () => {
  it.each([
    ['zod', z.object({ cart: z.array(z.string()).optional() })],
    ['valibot', v.object({ cart: v.optional(v.array(v.string())) })],
  ])('treats data that fails a %s schema as no session, and reports it', async (_, schema) => {
    const store = new MemoryStore();
    const loose = createSessions({ store, secrets: [SECRET] });
    const strict = createSessions({ store, secrets: [SECRET], schema });
    const events: SessionEvent[] = [];
    strict.on('invalid-data', (e) => void events.push(e));

    const good = await strict.load({});
    good.set('cart', ['apple']);
    good.flash('notice', 'flash values are not validated against the schema');
    const goodCookie = cookieOf((await strict.commit(good)).headers);
    const reloaded = await strict.load({ cookie: goodCookie });
    expect(reloaded.get('cart')).toEqual(['apple']);
    expect(reloaded.consumeFlash('notice')).toHaveLength(1);

    const bad = await loose.load({});
    bad.set('cart', [42]);
    const badCookie = cookieOf((await loose.commit(bad)).headers);
    expect((await strict.load({ cookie: badCookie })).isNew).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toBeTruthy();
  });

  it('keeps internal keys (flash, CSRF secret) through a schema that strips unknown keys', async () => {
    const { csrfToken, verifyCsrfToken } = await import('../src/csrf.js');
    const sessions = createSessions({
      store: new MemoryStore(),
      secrets: [SECRET],
      schema: z.object({ cart: z.array(z.string()).optional() }),
    });
    const session = await sessions.load({});
    session.set('cart', ['apple']);
    const token = csrfToken(session);
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const reloaded = await sessions.load({ cookie });
    expect(reloaded.isNew).toBe(false);
    expect(verifyCsrfToken(reloaded, token)).toBe(true);
    expect(() => reloaded.set('__csrf' as never, 'x' as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(reloaded.data).toEqual({ cart: ['apple'] });
  });

  it('types get() and set() from the Data parameter', async () => {
    const sessions = createSessions<{ cart: string[]; visits: number }>({
      store: new MemoryStore(),
      secrets: [SECRET],
    });
    const session = await sessions.load({});
    // Checked by the type-check step (tsc), which runs over the tests.
    expectTypeOf(session.get('cart')).toEqualTypeOf<string[] | undefined>();
    expectTypeOf(session.set<'visits'>)
      .parameter(1)
      .toEqualTypeOf<number | undefined>();
    // @ts-expect-error — a string is not a number
    session.set('visits', 'one');
  });
});
