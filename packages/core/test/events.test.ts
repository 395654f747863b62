import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { SessionEvent } from '../src/index.js';
import { cookieOf, setup } from './helpers.js';

describe('event reasons', () => {
  it('are typed by event type', () => {
    const { sessions } = setup();
    sessions.on('expired', (event) => {
      expectTypeOf(event.reason).toEqualTypeOf<'idle-timeout' | 'absolute-timeout'>();
    });
    sessions.on('revoked', (event) => {
      expectTypeOf(event.reason).toEqualTypeOf<'revoke' | 'revoke-all' | 'max-sessions'>();
    });
    sessions.on('destroyed', (event) => {
      expectTypeOf(event.reason).toEqualTypeOf<undefined>();
    });
    sessions.on('*', (event) => {
      if (event.type === 'created') expectTypeOf(event.reason).toEqualTypeOf<'save' | 'login'>();
    });
  });

  it('name the cause of each event, with free text only in detail', async () => {
    const { sessions, store, time } = setup({ maxSessionsPerUser: 2 });
    const events: SessionEvent[] = [];
    sessions.on('*', (event) => void events.push(event));
    const seen = () => events.splice(0).map(({ type, reason, detail }) => [type, reason, detail]);

    const anonymous = await sessions.load({});
    anonymous.set('n', 1);
    await sessions.commit(anonymous);
    await anonymous.login('ada');
    await anonymous.regenerate();
    expect(seen()).toEqual([
      ['created', 'save', undefined],
      ['regenerated', 'login', undefined],
      ['regenerated', 'regenerate', undefined],
    ]);

    const devices = [];
    for (let i = 0; i < 2; i++) {
      time.advanceSeconds(1);
      const device = await sessions.load({});
      await device.login('ada');
      devices.push(cookieOf((await sessions.commit(device)).headers));
    }
    expect(seen()).toEqual([
      ['created', 'login', undefined],
      ['created', 'login', undefined],
      ['revoked', 'max-sessions', undefined],
    ]);
    const [info] = await sessions.listForUser('ada');
    await sessions.revoke('ada', info?.handle as string);
    await sessions.revokeAll('ada');
    expect(seen()).toEqual([
      ['revoked', 'revoke', undefined],
      ['revoked', 'revoke-all', undefined],
    ]);

    await sessions.load({ cookie: '__Host-coatcheck=forged.value' });
    expect(seen()).toEqual([['invalid-cookie', undefined, undefined]]);

    const racing = await sessions.load({});
    racing.set('n', 1);
    const cookie = cookieOf((await sessions.commit(racing)).headers);
    events.length = 0;
    const loaded = await sessions.load({ cookie });
    loaded.set('n', 2);
    const replace = store.replace.bind(store);
    vi.spyOn(store, 'replace')
      .mockImplementationOnce(async () => false)
      .mockImplementation(replace);
    await sessions.commit(loaded);
    expect(seen()).toEqual([['conflict-retried', undefined, 'attempt 1']]);
  });
});
