#!/usr/bin/env node
// Coatcheck's Mongo store against connect-mongo (through express-session), same server, same run.
//
//   pnpm build && node bench/mongo-vs-connect-mongo.mjs [--duration SECONDS] [--rounds N] [--connections N]
//     [--sessions N] [--coatcheck-max-pool-size N]
//
// Uses MONGO_URL when set; otherwise starts FerretDB with scripts/ferretdb.sh on a free port of the
// benchmarks' range (tools/test-utils) and stops it at the end. Both apps are Express 5 with the same
// routes; sessions are written only when changed, and an unchanged session is re-written at most once a
// minute (connect-mongo `touchAfter: 60`, Coatcheck's default `touchIntervalSeconds: 60`).
//
// Each system runs in the setup its own README shows, each with its own `mongodb` 7 client:
// - Coatcheck exactly as packages/store-mongo/README.md does: `sessionMiddleware` from
//   `@coatcheck/core/express`, `createSessions` with default options, a default `MongoClient`; and, when
//   the server is FerretDB v1 (asked with `ferretDbVersion`, as the README's "one file for both" does),
//   the README's FerretDB setup: `maxPoolSize: 1` and `expiry: 'sweep'`.
//   `--coatcheck-max-pool-size` overrides the pool size (e.g. 100, the driver's default, for comparison;
//   that is not a safe setup on FerretDB v1).
// - connect-mongo with a default `MongoClient` (pool of up to 100), `autoRemove: 'interval'` on FerretDB
//   (it refuses TTL indexes), its default `'native'` otherwise.
// The machine is shared and noisy: read the ratios, not the absolute numbers. Rounds alternate which
// system goes first.

import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// The benchmark's dependencies are dev dependencies of the store package.
const require = createRequire(new URL('../packages/store-mongo/package.json', import.meta.url));
const autocannon = require('autocannon');
const express = require('express');
const expressSession = require('express-session');
const { MongoStore: ConnectMongo } = require('connect-mongo');
const { MongoClient } = require('mongodb');
const { createSessions } = require('@coatcheck/core');
const { sessionMiddleware } = require('@coatcheck/core/express');
const { createMongoStore, ferretDbVersion } = require('./dist/index.cjs');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '50' },
    'coatcheck-max-pool-size': { type: 'string' },
  },
});
const DURATION_SECONDS = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const SESSIONS = Number(args.sessions);

const server = await startServer();
// The README's detection: FerretDB v1 needs `maxPoolSize: 1` and `expiry: 'sweep'`.
const onFerretDbV1 = await isFerretDbV1(server);
// FerretDB refuses TTL indexes, so both sweep on a timer there; elsewhere both use their default (TTL).
const connectMongoAutoRemove = onFerretDbV1 ? 'interval' : 'native';
const coatcheckExpiry = onFerretDbV1 ? 'sweep' : 'native';
const coatcheckPool =
  args['coatcheck-max-pool-size'] === undefined
    ? onFerretDbV1
      ? { maxPoolSize: 1 }
      : {}
    : { maxPoolSize: Number(args['coatcheck-max-pool-size']) };
const clients = {
  connectMongo: new MongoClient(server.url, { monitorCommands: true }),
  coatcheck: new MongoClient(server.url, { ...coatcheckPool, monitorCommands: true }),
};
const dbName = `coatcheck_bench_${randomUUID().slice(0, 8)}`;
const secret = randomBytes(32).toString('base64url');
let commandCount = 0;
let commandsInFlight = 0;
for (const client of Object.values(clients)) {
  client.on('commandStarted', () => {
    commandCount++;
    commandsInFlight++;
  });
  client.on('commandSucceeded', () => commandsInFlight--);
  client.on('commandFailed', () => commandsInFlight--);
}

const systems = [
  { name: 'connect-mongo', ...connectMongoApp() },
  { name: 'coatcheck', ...coatcheckApp() },
];
const scenarios = [
  { name: 'read unchanged', path: '/read' },
  { name: 'modify and save', path: '/write' },
];

try {
  for (const system of systems) {
    system.http = system.app.listen(0, '127.0.0.1');
    await once(system.http, 'listening');
    system.url = `http://127.0.0.1:${system.http.address().port}`;
    system.cookies = await login(system.url, SESSIONS);
    system.commandsPerRequest = {};
    system.rps = {};
    for (const scenario of scenarios) {
      system.commandsPerRequest[scenario.name] = await countCommands(system, scenario.path);
      system.rps[scenario.name] = [];
    }
  }

  console.log(
    `server: ${server.name}; ${ROUNDS} rounds × ${DURATION_SECONDS}s per system and scenario, ` +
      `${CONNECTIONS} connections, ${SESSIONS} sessions; client pools: connect-mongo ` +
      `maxPoolSize ${clients.connectMongo.options.maxPoolSize}, Coatcheck maxPoolSize ` +
      `${clients.coatcheck.options.maxPoolSize}; connect-mongo autoRemove '${connectMongoAutoRemove}', ` +
      `Coatcheck expiry '${coatcheckExpiry}'`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? systems : [...systems].reverse();
    for (const scenario of scenarios) {
      for (const system of order) {
        const result = await load(system, scenario.path, DURATION_SECONDS);
        system.rps[scenario.name].push(result.requests.average);
        console.log(
          `  round ${round + 1} ${scenario.name.padEnd(16)} ${system.name.padEnd(14)} ` +
            `${Math.round(result.requests.average)} req/s`,
        );
      }
    }
  }

  const [baseline, candidate] = systems;
  console.log(
    `\n${'scenario'.padEnd(18)}${'connect-mongo'.padStart(16)}${'coatcheck'.padStart(14)}` +
      `${'ratio'.padStart(8)}   db commands per request (connect-mongo / coatcheck)`,
  );
  for (const { name } of scenarios) {
    const base = mean(baseline.rps[name]);
    const ours = mean(candidate.rps[name]);
    console.log(
      `${name.padEnd(18)}${`${Math.round(base)} req/s`.padStart(16)}${`${Math.round(ours)} req/s`.padStart(14)}` +
        `${`${(ours / base).toFixed(2)}×`.padStart(8)}   ${baseline.commandsPerRequest[name]} / ${candidate.commandsPerRequest[name]}`,
    );
  }
  console.log(
    'ratio = coatcheck req/s ÷ connect-mongo req/s (mean of the rounds); above 1 means Coatcheck is faster.',
  );
} finally {
  for (const system of systems) system.http?.close();
  await Promise.all(systems.map((system) => system.close()));
  await clients.coatcheck
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await Promise.all(Object.values(clients).map((client) => client.close()));
  await server.stop();
}

function connectMongoApp() {
  const app = express();
  app.use(
    expressSession({
      store: ConnectMongo.create({
        client: clients.connectMongo,
        dbName,
        collectionName: 'connect_mongo_sessions',
        autoRemove: connectMongoAutoRemove,
        touchAfter: 60,
      }),
      secret,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.get('/login', (req, res) => {
    req.session.count = 0;
    res.json({ count: 0 });
  });
  app.get('/read', (req, res) => res.json({ count: req.session.count ?? null }));
  app.get('/write', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count });
  });
  // Its sweep timer is unref'd; its close() would close the client, which the end of the run does.
  return { app, close: async () => {} };
}

/** As packages/store-mongo/README.md shows it (the FerretDB setup on FerretDB v1). */
function coatcheckApp() {
  const store = createMongoStore(clients.coatcheck.db(dbName), {
    collectionName: 'coatcheck_sessions',
    expiry: coatcheckExpiry,
  });
  const sessions = createSessions({ store, secrets: [secret] });
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.get('/login', (req, res) => {
    req.session.set('count', 0);
    res.json({ count: 0 });
  });
  app.get('/read', (req, res) => res.json({ count: req.session.get('count') ?? null }));
  app.get('/write', (req, res) => {
    const count = (req.session.get('count') ?? 0) + 1;
    req.session.set('count', count);
    res.json({ count });
  });
  return { app, close: () => sessions.close() };
}

/**
 * Waits until the database has been idle for 200 ms: autocannon stops at the deadline, but requests it
 * abandoned are still being served, and that work must not spill into the next measurement.
 */
async function drained() {
  for (let quietChecks = 0; quietChecks < 10; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    quietChecks = commandsInFlight === 0 ? quietChecks + 1 : 0;
  }
}

/** Creates `count` sessions and returns their cookies. */
async function login(url, count) {
  const cookies = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/login`);
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    if (!cookie) throw new Error(`${url}/login set no cookie`);
    cookies.push(cookie);
  }
  return cookies;
}

/** Database commands per request, over sequential requests (the warm-up of each scenario). */
async function countCommands(system, path) {
  const requests = 100;
  const before = commandCount;
  for (let i = 0; i < requests; i++) {
    const response = await fetch(`${system.url}${path}`, {
      headers: { cookie: system.cookies[i % system.cookies.length] },
    });
    if (!response.ok) throw new Error(`${system.name} ${path}: HTTP ${response.status}`);
    await response.arrayBuffer();
  }
  return Math.round(((commandCount - before) / requests) * 100) / 100;
}

async function load(system, path, durationSeconds) {
  let next = 0;
  const result = await autocannon({
    url: system.url,
    connections: CONNECTIONS,
    duration: durationSeconds,
    requests: [
      {
        method: 'GET',
        path,
        // Each request carries one of the sessions in turn: many users, not one hot session.
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, cookie: system.cookies[next++ % system.cookies.length] },
        }),
      },
    ],
  });
  await drained();
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${system.name} ${path}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
  }
  return result;
}

function mean(values) {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

async function isFerretDbV1(server) {
  const probe = new MongoClient(server.url);
  try {
    return (await ferretDbVersion(probe.db()))?.startsWith('v1.') ?? false;
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    await probe.close();
  }
}

async function startServer() {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, name: 'MONGO_URL', stop: () => {} };
  // On a port of the benchmarks' own range, as the tests do (tools/test-utils).
  const { PORT_RANGES, startFerretDb } = await import(
    pathToFileURL(require.resolve('@coatcheck/test-utils')).href
  );
  const ferretDb = await startFerretDb(PORT_RANGES.benchFerretDb);
  return { url: ferretDb.url, name: 'FerretDB v1.24.2 (SQLite)', stop: () => ferretDb.stop() };
}
