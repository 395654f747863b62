import { randomUUID } from 'node:crypto';
import { createSessions, type Sessions } from '@coatcheck/core';
import { sessionIdOf } from '@coatcheck/core/testing';
import { PORT_RANGES, RedisTestCluster } from '@coatcheck/test-utils';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisSessionStore } from '../src/index.js';
import {
  ALL_SCRIPTS,
  CREATE,
  CREATE_INDEXED,
  DELETE,
  DELETE_IF_OWNED,
  INDEX_ADD,
  INDEX_READ,
  type LuaScript,
  REPLACE,
  TOUCH,
} from '../src/scripts.js';
import { CommandLog, names, scriptsRun } from './command-log.js';
import { DedicatedRedis } from './dedicated-redis.js';
import { cookieOf, newId, randomPrefix, record, SECRET, sleep } from './helpers.js';

/**
 * Proves the round-trip counts the README states by watching, with MONITOR, every command the store's own
 * connections send. Each describe runs on servers of its own (a standalone server, a Cluster) that nothing
 * else uses: no other test, run or engineer loading scripts on them or flushing them, so what is counted
 * never depends on what a script cache happens to hold.
 */
let server: DedicatedRedis;
beforeAll(async () => {
  server = await DedicatedRedis.create();
});
afterAll(async () => {
  await server?.destroy();
});

/** A client of the test's standalone server, with the options the README recommends. */
function connect(): Redis {
  const client = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  // Connection errors while the server restarts are expected; without a listener ioredis prints them.
  client.on('error', () => undefined);
  return client;
}

function nextEvent(client: Redis | Cluster, event: 'ready'): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

async function untilReady(client: Redis | Cluster): Promise<void> {
  if (client.status !== 'ready') await nextEvent(client, 'ready');
}

/** Which of the store's scripts `node` has cached (`SCRIPT EXISTS`), one 0/1 per script. */
async function cachedOn(node: Redis): Promise<number[]> {
  return (await node.script('EXISTS', ...ALL_SCRIPTS.map((script) => script.sha1))) as number[];
}

const none = ALL_SCRIPTS.map(() => 0);
const all = ALL_SCRIPTS.map(() => 1);

/** How many times the server ran `command` since it started, from `INFO commandstats` (0 if never). */
async function callsOf(node: Redis, command: string): Promise<number> {
  const stats = await node.info('commandstats');
  return Number(
    new RegExp(`^cmdstat_${command.replace('|', '\\|')}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0,
  );
}

type During = (action: () => Promise<unknown>) => Promise<string[][]>;

/**
 * Calls every store operation once on a store that has run no script yet, so every script's first call is
 * among them, and checks that each operation sent only its EVALSHAs (and its plain `HGETALL`/`ZREM`): no
 * script answered NOSCRIPT and was sent again with EVAL. Commands are compared sorted, as on a Cluster they
 * come from several nodes.
 */
async function expectFirstCallsOfEveryScriptCostOneRoundTrip(
  store: RedisSessionStore,
  during: During,
  topology: 'single node' | 'cluster',
): Promise<void> {
  const anonymous = newId();
  const owned = newId();
  const user = `user-${randomUUID()}`;
  const steps: Array<[string, () => Promise<unknown>, unknown, string[], LuaScript[]]> = [
    ['create', () => store.create(anonymous, record()), true, ['evalsha'], [CREATE]],
    [
      'touch',
      () => store.touch(anonymous, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() }),
      true,
      ['evalsha'],
      [TOUCH],
    ],
    ['replace', () => store.replace(anonymous, record({ version: 2 }), 1), true, ['evalsha'], [REPLACE]],
    [
      'create with a user',
      () => store.create(owned, record({ userId: user })),
      true,
      // On a standalone server the store's first logged-in create asks, once, what the server is.
      topology === 'single node' ? ['info', 'evalsha'] : ['evalsha', 'evalsha'],
      topology === 'single node' ? [CREATE_INDEXED] : [INDEX_ADD, CREATE],
    ],
    [
      'listByUser',
      async () => (await store.listByUser(user)).map(({ id }) => id),
      [owned],
      ['evalsha', 'hgetall'],
      [INDEX_READ],
    ],
    [
      'deleteByUser',
      () => store.deleteByUser(user),
      1,
      ['evalsha', 'evalsha', 'zrem'],
      [INDEX_READ, DELETE_IF_OWNED],
    ],
    ['delete', () => store.delete(anonymous), undefined, ['evalsha'], [DELETE]],
  ];
  for (const [operation, action, expected, commandNames, scripts] of steps) {
    let result: unknown;
    const commands = await during(async () => {
      result = await action();
    });
    expect(result, operation).toEqual(expected);
    expect(names(commands).sort(), operation).toEqual([...commandNames].sort());
    const evalshas = commands.filter((args) => args[0]?.toLowerCase() === 'evalsha');
    expect(scriptsRun(evalshas).sort(), operation).toEqual(scripts.map((script) => script.sha1).sort());
  }
}

describe('round trips per operation (MONITOR)', () => {
  const prefix = randomPrefix();
  let client: Redis;
  let log: CommandLog;
  let store: RedisSessionStore;
  let sessions: Sessions;

  beforeAll(async () => {
    client = connect();
    await untilReady(client);
    log = await CommandLog.start([server.port]);
    // No warm-up: the store loads its scripts on the connection as it is created.
    store = createRedisStore(client, { prefix });
    // The store's first logged-in create asks the server what it is (`INFO server`), once: not counted here.
    await store.create(newId(), record({ userId: `user-${randomUUID()}` }));
    // Every request touches (touchIntervalSeconds: 0) so one test can observe a touch.
    sessions = createSessions({
      store,
      secrets: [SECRET],
      cookie: { secure: false },
      touchIntervalSeconds: 0,
    });
  });

  afterAll(async () => {
    log?.stop();
    await store?.close();
    await client?.quit();
  });

  /** The commands the store's connection sent while `action` ran. */
  const during: During = (action) => log.during([client], action);

  it('reading a session costs one round trip', async () => {
    const first = await sessions.load();
    first.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(first)).headers);

    const commands = await during(() => sessions.load({ cookie }));
    expect(names(commands)).toEqual(['hgetall']);
  });

  it('saving a new anonymous session costs one round trip', async () => {
    const session = await sessions.load();
    session.set('cart', ['apple']);
    const commands = await during(() => sessions.commit(session));
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([CREATE.sha1]);
  });

  it('saving a changed session costs one round trip, logged in or not', async () => {
    const anonymous = await sessions.load();
    anonymous.set('n', 1);
    const cookie = cookieOf((await sessions.commit(anonymous)).headers);
    const loaded = await sessions.load({ cookie });
    loaded.set('n', 2);
    const anonymousSave = await during(() => sessions.commit(loaded));
    expect(names(anonymousSave)).toEqual(['evalsha']);
    expect(scriptsRun(anonymousSave)).toEqual([REPLACE.sha1]);

    await loaded.login(`user-${randomUUID()}`);
    const loggedInCookie = cookieOf((await sessions.commit(loaded)).headers);
    const loggedIn = await sessions.load({ cookie: loggedInCookie });
    loggedIn.set('n', 3);
    const loggedInSave = await during(() => sessions.commit(loggedIn));
    expect(names(loggedInSave)).toEqual(['evalsha']);
    expect(scriptsRun(loggedInSave)).toEqual([REPLACE.sha1]);
    expect((await store.get(sessionIdOf(loggedIn) as string))?.data).toEqual({ n: 3 });
  });

  it('a login request costs two round trips: the new record with its index entry, then the old one retired (compare-and-set)', async () => {
    const anonymous = await sessions.load();
    anonymous.set('cart', ['apple']);
    const cookie = cookieOf((await sessions.commit(anonymous)).headers);
    const user = `user-${randomUUID()}`;
    let newId = '';
    const session = await sessions.load({ cookie });
    const commands = await during(async () => {
      await session.login(user);
      await sessions.commit(session);
      newId = sessionIdOf(session) as string;
    });
    const oldId = sessionIdOf(anonymous) as string;
    expect(names(commands)).toEqual(['evalsha', 'evalsha']);
    expect(scriptsRun(commands)).toEqual([CREATE_INDEXED.sha1, REPLACE.sha1]);
    expect(commands.map((args) => args.find((arg) => arg.startsWith(prefix)))).toEqual([
      store.recordKey(newId),
      store.recordKey(oldId),
    ]);
    expect(await store.listByUser(user)).toEqual([{ id: newId, record: expect.anything() }]);
    expect((await sessions.load({ cookie })).userId).toBeNull();
  });

  it('a logged-in record is created, with its index entry, in one round trip', async () => {
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
    const commands = await during(() => store.create(id, record));
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([CREATE_INDEXED.sha1]);
    expect(commands[0]?.slice(3, 5)).toEqual([store.recordKey(id), store.userIndexKey(record.userId)]);
    expect(await store.listByUser(record.userId)).toEqual([{ id, record }]);
  });

  it.each([
    [
      'a proxy that refuses INFO',
      () => Promise.reject(Object.assign(new Error('ERR unknown command'), { name: 'ReplyError' })),
    ],
    [
      'a sharded database that is not standalone',
      async () => 'redis_version:7.2.0\r\nredis_mode:cluster\r\n',
    ],
  ])(
    'through %s, a logged-in record is created with one-key scripts only (the index entry first)',
    async (_, info) => {
      const asProxy = new Proxy(client, {
        get(target, property, receiver) {
          if (property === 'info') return info;
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const proxied = createRedisStore(asProxy, { prefix });
      const user = `user-${randomUUID()}`;
      for (const id of [newId(), newId()]) {
        const commands = await during(() => proxied.create(id, record({ userId: user })));
        expect(names(commands)).toEqual(['evalsha', 'evalsha']);
        expect(scriptsRun(commands)).toEqual([INDEX_ADD.sha1, CREATE.sha1]);
      }
      expect(await proxied.listByUser(user)).toHaveLength(2);
      await proxied.close();
    },
  );

  it('concurrent saves of one session from one process share one write: no conflict, no re-read', async () => {
    const first = await sessions.load();
    first.set('cart', []);
    const cookie = cookieOf((await sessions.commit(first)).headers);
    const loaded = await Promise.all(Array.from({ length: 16 }, () => sessions.load({ cookie })));
    const commands = await during(() =>
      Promise.all(
        loaded.map((session, i) => {
          session.update((data) => ({ cart: [...(data.cart as number[]), i] }));
          return sessions.commit(session);
        }),
      ),
    );
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([REPLACE.sha1]);
    const cart = (await sessions.load({ cookie })).get('cart') as number[];
    expect([...cart].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('a touch costs one round trip and does not send the data', async () => {
    const session = await sessions.load();
    session.set('payload', 'p'.repeat(10_000));
    const cookie = cookieOf((await sessions.commit(session)).headers);
    const loaded = await sessions.load({ cookie });
    const commands = await during(() => sessions.commit(loaded));
    expect(names(commands)).toEqual(['evalsha']);
    expect(scriptsRun(commands)).toEqual([TOUCH.sha1]);
    expect(commands[0]?.join(' ')).not.toContain('ppp');
    expect((await store.get(sessionIdOf(loaded) as string))?.data).toEqual({ payload: 'p'.repeat(10_000) });
  });
});

describe('the script cache (standalone)', () => {
  let admin: Redis;
  let log: CommandLog;
  const clients: Redis[] = [];
  const stores: RedisSessionStore[] = [];

  beforeAll(() => {
    admin = connect();
  });
  beforeEach(async () => {
    log = await CommandLog.start([server.port]);
  });
  // Each test's clients go when it ends: one left connected would reload the scripts after a restart itself.
  afterEach(async () => {
    log?.stop();
    for (const store of stores.splice(0)) await store.close();
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(() => {
    admin?.disconnect();
  });

  function track(client: Redis, store: RedisSessionStore): { client: Redis; store: RedisSessionStore } {
    clients.push(client);
    stores.push(store);
    return { client, store };
  }

  it.each(['before', 'after'] as const)(
    'with no script cached (a new or restarted server), the first call of each script costs one round trip (store created %s the connection is ready)',
    async (when) => {
      await admin.script('FLUSH');
      expect(await cachedOn(admin)).toEqual(none);

      const client = connect();
      let store = when === 'before' ? createRedisStore(client, { prefix: randomPrefix() }) : undefined;
      await untilReady(client);
      store ??= createRedisStore(client, { prefix: randomPrefix() });
      track(client, store);

      await expectFirstCallsOfEveryScriptCostOneRoundTrip(
        store,
        (action) => log.during([client], action),
        'single node',
      );
      expect(await cachedOn(admin)).toEqual(all);
    },
  );

  it('on a lazy client (lazyConnect) the store opens nothing; the call that opens it goes before the loads: a script costs two round trips on an empty cache, once', async () => {
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    const client = new Redis({
      host: '127.0.0.1',
      port: server.port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    const { store } = track(client, createRedisStore(client, { prefix: randomPrefix() }));
    await sleep(100);
    expect(client.status).toBe('wait');

    const id = newId();
    const opening = new Promise((resolve) => client.once('connecting', resolve));
    const created = store.create(id, record());
    // A call made while the connection opens waits behind the loads (the store queued them on 'connecting').
    await opening;
    const alsoCreated = store.create(newId(), record());
    expect(await created).toBe(true);
    expect(await alsoCreated).toBe(true);
    expect(await callsOf(admin, 'eval')).toBe(1);
    expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(true);
    expect(await store.replace(id, record({ version: 2 }), 1)).toBe(true);
    expect(await store.delete(id)).toBeUndefined();
    expect(await callsOf(admin, 'eval')).toBe(1);
    expect(await cachedOn(admin)).toEqual(all);
  });

  it('with every script already cached (another app instance loaded them), every call costs one round trip', async () => {
    for (const { source } of ALL_SCRIPTS) await admin.script('LOAD', source);
    const client = connect();
    await untilReady(client);
    const { store } = track(client, createRedisStore(client, { prefix: randomPrefix() }));
    await expectFirstCallsOfEveryScriptCostOneRoundTrip(
      store,
      (action) => log.during([client], action),
      'single node',
    );
  });

  it('after a restart, the store loads its scripts again when the connection is ready: the first touch costs one round trip', async () => {
    const client = connect();
    const { store } = track(client, createRedisStore(client, { prefix: randomPrefix() }));
    const id = newId();
    expect(await store.create(id, record())).toBe(true);
    const runIdBefore = await runIdOf(client);

    const ready = nextEvent(client, 'ready');
    await server.stop();
    await server.start();
    await ready;
    expect(await runIdOf(client)).not.toBe(runIdBefore);

    // The restart dropped the MONITOR too: start one again.
    log.stop();
    log = await CommandLog.start([server.port]);
    const touch = await log.during([client], async () => {
      expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
        true,
      );
    });
    expect(names(touch)).toEqual(['evalsha']);
    expect(scriptsRun(touch)).toEqual([TOUCH.sha1]);
    // Counters start again at the restart: the store loaded every script since, and nothing fell back to EVAL.
    expect(await callsOf(admin, 'script|load')).toBeGreaterThanOrEqual(ALL_SCRIPTS.length);
    expect(await callsOf(admin, 'eval')).toBe(0);
  });

  it('after SCRIPT FLUSH under a live connection, the first call of a script costs two round trips (NOSCRIPT, then EVAL), the next one', async () => {
    const client = connect();
    await untilReady(client);
    const { store } = track(client, createRedisStore(client, { prefix: randomPrefix() }));
    const id = newId();
    expect(await store.create(id, record())).toBe(true);
    const touch = async () => {
      expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
        true,
      );
    };
    await admin.script('FLUSH');

    const first = await log.during([client], touch);
    expect(names(first)).toEqual(['evalsha', 'eval']);
    expect(first[0]?.[1]).toBe(TOUCH.sha1);
    // MONITOR shows the script's source escaped; one line of it is enough to recognise it.
    expect(first[1]?.[1]).toContain(
      "redis.call('HSET', KEYS[1], 'idleExpiresAt', ARGV[2], 'lastSeenAt', ARGV[3])",
    );
    const second = await log.during([client], touch);
    expect(names(second)).toEqual(['evalsha']);
    expect(scriptsRun(second)).toEqual([TOUCH.sha1]);
  });
});

async function runIdOf(client: Redis): Promise<string | undefined> {
  return /^run_id:(\w+)/m.exec(await client.info('server'))?.[1];
}

describe('the script cache (Redis Cluster)', () => {
  let cluster: RedisTestCluster;
  let ports: number[];
  let log: CommandLog;
  const clients: Cluster[] = [];
  const stores: RedisSessionStore[] = [];

  beforeAll(async () => {
    // A cluster of this file's own: the run's shared one gets scripts loaded by every other test's stores.
    cluster = await RedisTestCluster.start(PORT_RANGES.storeRedisCluster);
    ports = cluster.seeds().map(({ port }) => port);
  });
  beforeEach(async () => {
    log = await CommandLog.start(ports);
  });
  // Each test's clients go when it ends: one left connected would reload the scripts after a restart itself.
  afterEach(async () => {
    log?.stop();
    for (const store of stores.splice(0)) await store.close();
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  /** A cluster client with the options the README recommends. */
  function connectCluster(): Cluster {
    const client = new Cluster(cluster.seeds(), {
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  /** Runs `action` on a connection of its own to each master (the test cluster has no replicas). */
  async function onEveryNode<T>(action: (node: Redis) => Promise<T>): Promise<T[]> {
    return Promise.all(
      ports.map(async (port) => {
        const node = new Redis({ host: '127.0.0.1', port });
        try {
          return await action(node);
        } finally {
          node.disconnect();
        }
      }),
    );
  }

  async function onNode<T>(port: number, action: (node: Redis) => Promise<T>): Promise<T> {
    const node = new Redis({ host: '127.0.0.1', port });
    try {
      return await action(node);
    } finally {
      node.disconnect();
    }
  }

  async function flushEveryNode(): Promise<void> {
    await onEveryNode((node) => node.script('FLUSH'));
    expect(await onEveryNode(cachedOn)).toEqual(ports.map(() => none));
  }

  /** One record id per master (by the master's port), so that a call on each lands on every node. */
  async function idOnEachMaster(store: RedisSessionStore): Promise<Map<number, string>> {
    const node = new Redis({ host: '127.0.0.1', port: ports[0] as number });
    try {
      const slots = (await node.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      const byPort = new Map<number, string>();
      while (byPort.size < ports.length) {
        const id = newId();
        const slot = (await node.call('CLUSTER', 'KEYSLOT', store.recordKey(id))) as number;
        const port = slots.find(([from, to]) => from <= slot && slot <= to)?.[2][1];
        if (port !== undefined && !byPort.has(port)) byPort.set(port, id);
      }
      return byPort;
    } finally {
      node.disconnect();
    }
  }

  /** The commands the client's master connections sent while `action` ran. */
  function duringOn(client: Cluster, action: () => Promise<unknown>): Promise<string[][]> {
    return log.during(client.nodes('master'), action);
  }

  /**
   * A create and a touch on every master, each one EVALSHA. (The command log's CLIENT INFO opens any master
   * connection ioredis has not opened yet, as a session read would: the store's loads follow it.)
   */
  async function expectOneRoundTripOnEveryMaster(client: Cluster, store: RedisSessionStore): Promise<void> {
    for (const id of (await idOnEachMaster(store)).values()) {
      const create = await duringOn(client, async () => expect(await store.create(id, record())).toBe(true));
      expect(names(create)).toEqual(['evalsha']);
      const touch = await duringOn(client, async () => {
        expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
          true,
        );
      });
      expect(names(touch)).toEqual(['evalsha']);
    }
  }

  it.each(['before', 'after'] as const)(
    'with no script cached on any node, every script call on a master connection that is open costs one round trip (store created %s the client is ready)',
    async (when) => {
      await flushEveryNode();
      const client = connectCluster();
      let store = when === 'before' ? createRedisStore(client, { prefix: randomPrefix() }) : undefined;
      await untilReady(client);
      store ??= createRedisStore(client, { prefix: randomPrefix() });
      stores.push(store);

      await expectOneRoundTripOnEveryMaster(client, store);
      await expectFirstCallsOfEveryScriptCostOneRoundTrip(
        store,
        (action) => duringOn(client, action),
        'cluster',
      );
      expect(await onEveryNode(cachedOn)).toEqual(ports.map(() => all));
    },
  );

  it('after SCRIPT FLUSH on the nodes under live connections, the first call costs two round trips, the next one', async () => {
    const client = connectCluster();
    await untilReady(client);
    const store = createRedisStore(client, { prefix: randomPrefix() });
    stores.push(store);
    const id = newId();
    expect(await store.create(id, record())).toBe(true);
    const touch = async () => {
      expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
        true,
      );
    };
    await flushEveryNode();

    expect(names(await duringOn(client, touch))).toEqual(['evalsha', 'eval']);
    expect(names(await duringOn(client, touch))).toEqual(['evalsha']);
  });

  it('close() removes every listener the store added to the cluster and its nodes', async () => {
    const client = connectCluster();
    await untilReady(client);
    const events = ['+node', '-node', 'refresh', 'ready'] as const;
    const counts = () => [
      ...events.map((event) => client.listenerCount(event)),
      ...client
        .nodes('master')
        .flatMap((node) => ['close', 'ready', 'end', 'connecting'].map((e) => node.listenerCount(e))),
    ];
    const before = counts();
    const store = createRedisStore(client);
    expect(counts()).not.toEqual(before);
    await store.close();
    expect(counts()).toEqual(before);
  });

  it('a script call that opens a node connection goes before the loads: on an empty cache it costs two round trips, once', async () => {
    await flushEveryNode();
    const client = connectCluster();
    await untilReady(client);
    const store = createRedisStore(client, { prefix: randomPrefix() });
    stores.push(store);
    // ioredis opens a node's connection at the first command for it (at start-up, only its ready check's).
    const node = client.nodes('master').find((master) => master.status === 'wait');
    if (!node) throw new Error('ioredis opened every master connection before any command');
    const port = node.options.port as number;
    const id = (await idOnEachMaster(store)).get(port) as string;
    await onNode(port, (admin) => admin.config('RESETSTAT'));
    const evals = () => onNode(port, (admin) => callsOf(admin, 'eval'));

    expect(await store.create(id, record())).toBe(true);
    expect(await evals()).toBe(1);
    expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(true);
    expect(await store.replace(id, record({ version: 2 }), 1)).toBe(true);
    expect(await evals()).toBe(1);
    expect(await onNode(port, cachedOn)).toEqual(all);
  });

  it('after one node restarts under a client that reconnects to it (clusterNodeRetryStrategy), the store loads its scripts again on that connection', async () => {
    const client = new Cluster(cluster.seeds(), {
      enableOfflineQueue: false,
      clusterNodeRetryStrategy: () => 100,
      redisOptions: { maxRetriesPerRequest: 1 },
    });
    client.on('error', () => undefined);
    clients.push(client);
    await untilReady(client);
    const store = createRedisStore(client, { prefix: randomPrefix() });
    stores.push(store);
    const [port, id] = [...(await idOnEachMaster(store)).entries()][0] as [number, string];
    expect(await store.create(id, record())).toBe(true);
    const node = client.nodes('master').find((master) => master.options.port === port) as Redis;
    const address = /\baddr=(\S+)/.exec((await node.client('INFO')) as string)?.[1] as string;

    // What a restarted node looks like to the client: the connection drops, and the cache is empty. The
    // pool keeps the same node instance, which reconnects.
    await onEveryNode(async (admin) => {
      if (admin.options.port !== port) return;
      await admin.script('FLUSH');
      const reconnected = new Promise((resolve) => node.once('ready', resolve));
      await admin.client('KILL', 'ADDR', address);
      await reconnected;
    });
    expect(client.nodes('master')).toContain(node);

    const touch = await duringOn(client, async () => {
      expect(await store.touch(id, { idleExpiresAt: Date.now() + 60_000, lastSeenAt: Date.now() })).toBe(
        true,
      );
    });
    expect(names(touch)).toEqual(['evalsha']);
  });

  // Last: the cluster comes back empty, with new node ids, on the same ports.
  it('after the whole cluster restarts, the store loads its scripts on each new node connection as it opens', async () => {
    const client = connectCluster();
    await untilReady(client);
    const store = createRedisStore(client, { prefix: randomPrefix() });
    stores.push(store);
    // Open every master connection, as an app that has served a while has: ioredis only notices that the
    // cluster went away when every open node connection has closed.
    await expectOneRoundTripOnEveryMaster(client, store);

    await cluster.stop();
    await vi.waitFor(() => expect(client.status).not.toBe('ready'), { timeout: 30_000 });
    await cluster.start();
    await untilReady(client);
    // 'ready' can come before ioredis has learnt every new master from the slot map; a command to a master
    // it did not know yet would go through a connection the command log does not watch. An app learns them
    // at its next slot refresh (on a MOVED, or every slotsRefreshInterval): ask for one until it has.
    await vi.waitFor(
      () => {
        const known = client.nodes('master').map((node) => node.options.port);
        if (known.length < ports.length) client.refreshSlotsCache();
        expect(known.sort()).toEqual([...ports].sort());
      },
      { timeout: 30_000, interval: 500 },
    );
    // The restart dropped the MONITORs too: start them again.
    log.stop();
    log = await CommandLog.start(ports);

    await expectOneRoundTripOnEveryMaster(client, store);
    expect(await onEveryNode((node) => callsOf(node, 'eval'))).toEqual(ports.map(() => 0));
  });
});
