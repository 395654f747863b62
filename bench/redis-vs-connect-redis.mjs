#!/usr/bin/env node
// Benchmark (not a test): @coatcheck/store-redis against connect-redis, both on the same Redis, same run.
//
//   pnpm build && node bench/redis-vs-connect-redis.mjs
//   REDIS_URL=redis://127.0.0.1:6379 BENCH_SECONDS=3 BENCH_ROUNDS=5 node bench/redis-vs-connect-redis.mjs
//
// Part 1, store operations per second: each store called directly (no HTTP), 32 calls in flight, on
// sessions of the same shape: read, save (coatcheck: compare-and-set; connect-redis: blind SET) and touch.
// Part 2, per request: two tiny Express apps, each in its own child process (so CPU is measured per app):
// express-session + connect-redis, and Express calling Coatcheck's load/commit. autocannon drives both,
// alternating, on a read route (the session is read, nothing changes) and a write route (a counter
// changes). Per-request cost = server CPU time and Redis commands sent, divided by requests served.
//
// The machine is shared and noisy: read the ratios, not the absolute numbers.

import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(new URL('../packages/store-redis/package.json', import.meta.url));
const { Redis } = require('ioredis');

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SESSIONS_PER_APP = 200;
// The parent picks the run's prefix and hands it to the app processes, so one cleanup removes every key.
const PREFIX = process.env.COATCHECK_BENCH_PREFIX ?? `coatcheck-bench:${randomUUID()}:`;
const SYSTEMS = ['connect-redis', 'coatcheck'];

/** Counts the commands an ioredis client sends (each one is a round trip here: nothing is pipelined). */
function countCommands(client) {
  const counter = { commands: 0 };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    counter.commands++;
    return send(command, stream);
  };
  return counter;
}

const sessionData = () => ({ cart: ['apple', 'pear'], locale: 'en-GB', views: 0, note: 'x'.repeat(120) });

// ——— child: one Express app ———

async function serve(system) {
  const express = require('express');
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const counter = countCommands(client);
  const app = express();
  app.disable('x-powered-by');

  if (system === 'connect-redis') {
    const session = require('express-session');
    const RedisStore = require('connect-redis').default;
    app.use(
      session({
        store: new RedisStore({ client, prefix: `${PREFIX}cr:` }),
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { secure: false, maxAge: 86_400_000 },
      }),
    );
    app.post('/login', (req, res) => {
      Object.assign(req.session, sessionData());
      res.end('ok');
    });
    app.get('/read', (req, res) => res.end(String(req.session.views)));
    app.get('/write', (req, res) => {
      req.session.views += 1;
      res.end(String(req.session.views));
    });
  } else {
    const { createSessions } = require('@coatcheck/core');
    const { createRedisStore } = require('@coatcheck/store-redis');
    const sessions = createSessions({
      store: createRedisStore(client, { prefix: `${PREFIX}cc:` }),
      secrets: [SECRET],
      cookie: { secure: false },
    });
    const handle = (change) => async (req, res, next) => {
      try {
        const session = await sessions.load({ cookie: req.headers.cookie });
        change(session);
        const { headers } = await sessions.commit(session);
        for (const [name, value] of headers) res.append(name, value);
        res.end(String(session.get('views')));
      } catch (error) {
        next(error);
      }
    };
    app.post(
      '/login',
      handle((s) => s.update((d) => ({ ...d, ...sessionData() }))),
    );
    app.get(
      '/read',
      handle(() => {}),
    );
    app.get(
      '/write',
      handle((s) => s.set('views', s.get('views') + 1)),
    );
  }

  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', async (message) => {
    if (message === 'stats')
      process.send({ cpuMicros: sumCpu(process.cpuUsage()), commands: counter.commands });
    if (message === 'exit') {
      server.close();
      await client.quit();
      process.exit(0);
    }
  });
}

const sumCpu = ({ user, system }) => user + system;

// ——— parent ———

function startApp(system) {
  const child = fork(new URL(import.meta.url), ['--serve', system], {
    stdio: 'inherit',
    env: { ...process.env, COATCHECK_BENCH_PREFIX: PREFIX },
  });
  const replies = [];
  const waiting = [];
  child.on('message', (message) => (waiting.shift() ?? ((m) => replies.push(m)))(message));
  const next = () =>
    new Promise((resolve) => (replies.length ? resolve(replies.shift()) : waiting.push(resolve)));
  return next().then(({ port }) => ({
    system,
    url: `http://127.0.0.1:${port}`,
    stats: () => {
      child.send('stats');
      return next();
    },
    stop: () => child.send('exit'),
  }));
}

async function loginCookies(app, count) {
  const cookies = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${app.url}/login`, { method: 'POST' });
    const setCookie = response.headers.get('set-cookie');
    if (!setCookie) throw new Error(`${app.system}: /login set no cookie`);
    cookies.push(setCookie.split(';')[0]);
  }
  return cookies;
}

function autocannonRun(url, cookies) {
  const autocannon = require('autocannon');
  let next = 0;
  return autocannon({
    url,
    connections: 20,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, cookie: cookies[next++ % cookies.length] },
        }),
      },
    ],
  });
}

/**
 * Runs both systems back to back, ROUNDS times, alternating which goes first, and keeps each round's
 * ratio: on a noisy machine a ratio of two runs made seconds apart is steadier than either number.
 */
async function rounds(measure) {
  const perRound = [];
  for (let round = 0; round < ROUNDS; round++) {
    const result = {};
    for (const system of round % 2 === 0 ? SYSTEMS : [...SYSTEMS].reverse())
      result[system] = await measure(system);
    perRound.push(result);
  }
  return perRound;
}

async function httpRounds(apps, cookies) {
  const results = {};
  for (const route of ['read', 'write']) {
    results[route] = await rounds(async (system) => {
      const app = apps.find((a) => a.system === system);
      const before = await app.stats();
      const result = await autocannonRun(`${app.url}/${route}`, cookies[system]);
      const after = await app.stats();
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${system} /${route}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      }
      return {
        rps: result.requests.total / result.duration,
        cpuPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests.total,
        commandsPerRequest: (after.commands - before.commands) / result.requests.total,
        p99: result.latency.p99,
      };
    });
  }
  return results;
}

async function timeOps(operation, seconds = SECONDS / 2, inFlight = 32) {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      while (performance.now() < deadline) {
        await operation(worker);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function storeRounds() {
  const { createRedisStore } = require('@coatcheck/store-redis');
  const ConnectRedisStore = require('connect-redis').default;
  const client = new Redis(REDIS_URL);
  const coatcheck = createRedisStore(client, { prefix: `${PREFIX}ops-cc:` });
  const connect = new ConnectRedisStore({ client, prefix: `${PREFIX}ops-cr:` });
  const call = (method, ...args) =>
    new Promise((resolve, reject) =>
      connect[method](...args, (error, value) => (error ? reject(error) : resolve(value))),
    );

  const ids = Array.from({ length: 32 }, () => randomBytes(32).toString('base64url'));
  const now = Date.now();
  const records = ids.map(() => ({
    data: sessionData(),
    userId: 'bench-user',
    createdAt: now,
    lastSeenAt: now,
    authenticatedAt: now,
    idleExpiresAt: now + 86_400_000,
    absoluteExpiresAt: now + 7 * 86_400_000,
    version: 1,
    ip: '203.0.113.7',
    userAgent: 'bench',
  }));
  const cookieSession = () => ({
    cookie: { originalMaxAge: 86_400_000, expires: new Date(now + 86_400_000) },
    ...sessionData(),
  });
  for (const [i, id] of ids.entries()) {
    await coatcheck.create(id, records[i]);
    await call('set', id, cookieSession());
  }

  const operations = {
    read: {
      coatcheck: (w) => coatcheck.get(ids[w]),
      'connect-redis': (w) => call('get', ids[w]),
    },
    save: {
      coatcheck: async (w) => {
        const current = records[w];
        const next = {
          ...current,
          version: current.version + 1,
          data: { ...current.data, views: current.data.views + 1 },
        };
        if (!(await coatcheck.replace(ids[w], next, current.version))) throw new Error('unexpected conflict');
        records[w] = next;
      },
      'connect-redis': (w) => call('set', ids[w], cookieSession()),
    },
    touch: {
      coatcheck: (w) =>
        coatcheck.touch(ids[w], { idleExpiresAt: Date.now() + 86_400_000, lastSeenAt: Date.now() }),
      'connect-redis': (w) => call('touch', ids[w], cookieSession()),
    },
  };
  const results = {};
  for (const [name, bySystem] of Object.entries(operations)) {
    results[name] = await rounds(async (system) => ({ opsPerSecond: await timeOps(bySystem[system]) }));
  }
  await client.quit();
  return results;
}

async function deleteBenchKeys() {
  const client = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await client.quit();
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** "median (min–max)" of a metric across rounds, or of its per-round coatcheck / connect-redis ratio. */
function summary(perRound, metric, digits = 0) {
  const values = perRound.map(metric);
  return `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
}

const ratio = (metric) => (round) => metric(round.coatcheck) / metric(round['connect-redis']);

async function main() {
  console.log(
    `Redis ${REDIS_URL}; ${cpus().length} CPUs (${cpus()[0]?.model}); Node ${process.version}; ${new Date().toISOString()}`,
  );
  console.log(
    `${ROUNDS} rounds per measurement, alternating which system goes first; median (min–max) shown.`,
  );
  try {
    console.log('\nStore operations per second (32 calls in flight, no HTTP):');
    const ops = await storeRounds();
    for (const [name, perRound] of Object.entries(ops)) {
      const opsPerSecond = (r) => r.opsPerSecond;
      console.log(
        `  ${name.padEnd(6)} coatcheck ${summary(perRound, (r) => r.coatcheck.opsPerSecond)}/s, connect-redis ${summary(perRound, (r) => r['connect-redis'].opsPerSecond)}/s, ratio ${summary(perRound, ratio(opsPerSecond), 2)}`,
      );
    }

    const apps = await Promise.all(SYSTEMS.map(startApp));
    const cookies = {};
    for (const app of apps) cookies[app.system] = await loginCookies(app, SESSIONS_PER_APP);
    console.log(
      `\nExpress + autocannon (20 connections, ${SECONDS} s per run, ${SESSIONS_PER_APP} sessions per app):`,
    );
    const http = await httpRounds(apps, cookies);
    for (const [route, perRound] of Object.entries(http)) {
      for (const system of SYSTEMS) {
        console.log(
          `  /${route.padEnd(5)} ${system.padEnd(13)} ${summary(perRound, (r) => r[system].rps)} req/s, ${summary(perRound, (r) => r[system].cpuPerRequest)} µs CPU/req, ${summary(perRound, (r) => r[system].commandsPerRequest, 2)} Redis commands/req, p99 ${summary(perRound, (r) => r[system].p99)} ms`,
        );
      }
      console.log(
        `  /${route.padEnd(5)} ratio coatcheck / connect-redis: req/s ${summary(
          perRound,
          ratio((r) => r.rps),
          2,
        )}, CPU per request ${summary(
          perRound,
          ratio((r) => r.cpuPerRequest),
          2,
        )}, Redis commands per request ${summary(
          perRound,
          ratio((r) => r.commandsPerRequest),
          2,
        )}`,
      );
    }
    for (const app of apps) app.stop();
  } finally {
    await deleteBenchKeys();
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3]);
else await main();
