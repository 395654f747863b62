import { randomUUID } from 'node:crypto';
import { createSessions, type Sessions } from '@coatcheck/core';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore } from '../src/index.js';
import { CREATE, DELETE, INDEX_ADD, REPLACE, TOUCH } from '../src/scripts.js';
import { connectStandalone, cookieOf, deleteKeysWithPrefix, randomPrefix, SECRET } from './helpers.js';

/**
 * Proves the round-trip counts the README states by watching, with MONITOR on a second connection,
 * every command the store's own connection sends. Commands run inside a Lua script show as `lua` and are
 * not round trips; they are not counted.
 */
describe('round trips per operation (MONITOR)', () => {
  const prefix = randomPrefix();
  let client: Redis;
  let monitorClient: Redis;
  let store: RedisStore;
  let sessions: Sessions;
  const seen: string[][] = [];

  beforeAll(async () => {
    client = connectStandalone();
    monitorClient = connectStandalone();
    const info = (await client.client('INFO')) as string;
    const address = /\baddr=(\S+)/.exec(info)?.[1];
    const monitor = await monitorClient.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === address) seen.push(args);
    });
    store = new RedisStore({ client, prefix });
    // Every request touches (touchIntervalSeconds: 0) so one test can observe a touch.
    sessions = createSessions({
      store,
      secrets: [SECRET],
      cookie: { secure: false },
      touchIntervalSeconds: 0,
    });
    // Load every script once: the first EVALSHA on a fresh server answers NOSCRIPT and costs one EVAL more.
    await warmUp();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    monitorClient.disconnect();
    await client.quit();
  });

  /** The commands the store's connection sent while `action` ran (between two ECHO markers). */
  async function commandsDuring(action: () => Promise<unknown>): Promise<string[][]> {
    const start = `start-${randomUUID()}`;
    const end = `end-${randomUUID()}`;
    await client.echo(start);
    await action();
    await client.echo(end);
    await vi.waitFor(() => expect(seen.some((args) => args[1] === end)).toBe(true), { timeout: 10_000 });
    const from = seen.findIndex((args) => args[1] === start);
    const to = seen.findIndex((args) => args[1] === end);
    return seen.slice(from + 1, to);
  }

  const names = (commands: string[][]) => commands.map((args) => args[0]?.toLowerCase());
  const scriptsRun = (commands: string[][]) => commands.map((args) => args[1]);

  async function warmUp() {
    const session = await sessions.load();
    session.set('n', 0);
    const { headers } = await sessions.commit(session);
    const loaded = await sessions.load({ cookie: cookieOf(headers) });
    loaded.set('n', 1);
    await sessions.commit(loaded);
    await loaded.login(`warm-${randomUUID()}`);
    const list = await store.listByUser(loaded.userId as string);
    await store.deleteByUser(loaded.userId as string);
    expect(list).toHaveLength(1);
  }

  it('reading a session costs one round trip', async () => {
    const first = await sessions.load();
    first.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(first)).headers);

    const commands = await commandsDuring(() => sessions.load({ cookie }));
    expect(names(commands)).toEqual(['hgetall']);
  });

  it('saving a new anonymous session costs one round trip', async () => {
    const session = await sessions.load();
    session.set('cart', ['apple']);
    const commands = await commandsDuring(() => sessions.commit(session));
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([CREATE.sha1]);
  });

  it('saving a changed session costs one round trip, logged in or not', async () => {
    const anonymous = await sessions.load();
    anonymous.set('n', 1);
    const cookie = cookieOf((await sessions.commit(anonymous)).headers);
    const loaded = await sessions.load({ cookie });
    loaded.set('n', 2);
    const anonymousSave = await commandsDuring(() => sessions.commit(loaded));
    expect(names(anonymousSave)).toEqual(['evalsha']);
    expect(scriptsRun(anonymousSave)).toEqual([REPLACE.sha1]);

    await loaded.login(`user-${randomUUID()}`);
    const loggedInCookie = cookieOf((await sessions.commit(loaded)).headers);
    const loggedIn = await sessions.load({ cookie: loggedInCookie });
    loggedIn.set('n', 3);
    const loggedInSave = await commandsDuring(() => sessions.commit(loggedIn));
    expect(names(loggedInSave)).toEqual(['evalsha']);
    expect(scriptsRun(loggedInSave)).toEqual([REPLACE.sha1]);
    expect((await store.get(loggedIn.state.id as string))?.data).toEqual({ n: 3 });
  });

  it('a login request costs five round trips: read, re-read, index, create, delete the old record', async () => {
    const anonymous = await sessions.load();
    anonymous.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(anonymous)).headers);
    const user = `user-${randomUUID()}`;
    let newId = '';
    const commands = await commandsDuring(async () => {
      const session = await sessions.load({ cookie });
      await session.login(user);
      await sessions.commit(session);
      newId = session.state.id as string;
    });
    const oldId = anonymous.state.id as string;
    expect(names(commands)).toEqual(['hgetall', 'hgetall', 'evalsha', 'evalsha', 'evalsha']);
    expect(scriptsRun(commands).slice(2)).toEqual([INDEX_ADD.sha1, CREATE.sha1, DELETE.sha1]);
    expect(commands.map((args) => args.find((arg) => arg.startsWith(prefix)))).toEqual([
      store.recordKey(oldId),
      store.recordKey(oldId),
      store.userIndexKey(user),
      store.recordKey(newId),
      store.recordKey(oldId),
    ]);
  });

  it('creating a logged-in record costs two round trips: the user index, then the record', async () => {
    const id = `id-${randomUUID()}`;
    const now = Date.now();
    const record = {
      data: { big: 'x'.repeat(1000) },
      userId: `user-${randomUUID()}`,
      createdAt: now,
      lastSeenAt: now,
      authenticatedAt: now,
      idleExpiresAt: now + 60_000,
      absoluteExpiresAt: now + 120_000,
      version: 1,
      ip: null,
      userAgent: null,
    };
    const commands = await commandsDuring(() => store.create(id, record));
    expect(names(commands)).toEqual(['evalsha', 'evalsha']);
    expect(scriptsRun(commands)).toEqual([INDEX_ADD.sha1, CREATE.sha1]);
    expect(commands[0]?.[3]).toBe(store.userIndexKey(record.userId));
    expect(commands[1]?.[3]).toBe(store.recordKey(id));
  });

  it('a touch costs one round trip and does not send the data', async () => {
    const session = await sessions.load();
    session.set('payload', 'p'.repeat(10_000));
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const loaded = await sessions.load({ cookie });
    const commands = await commandsDuring(() => sessions.commit(loaded));
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([TOUCH.sha1]);
    expect(commands[0]?.join(' ')).not.toContain('ppp');
    expect((await store.get(loaded.state.id as string))?.data).toEqual({ payload: 'p'.repeat(10_000) });
  });
});
