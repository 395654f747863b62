#!/usr/bin/env node
// Coatcheck's MongoStore against connect-mongo (through express-session), same server, same run.
//
//   pnpm build && node bench/mongo-vs-connect-mongo.mjs [--duration SECONDS] [--rounds N] [--connections N]
//
// Uses MONGO_URL when set; otherwise starts FerretDB with scripts/ferretdb.sh on a free port of the
// benchmarks' range (tools/test-utils) and stops it at the end. Both apps are Express 5 with the same
// routes, client and settings: sessions are written only when changed, and an unchanged session is
// re-written at most once a minute (connect-mongo `touchAfter: 60`, Coatcheck's default
// `touchIntervalSeconds: 60`). Expired sessions
// are swept on a timer by both (`autoRemove: 'interval'`), because FerretDB refuses TTL indexes.
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
const { MongoStore } = require('./dist/index.cjs');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '50' },
  },
});
const DURATION_SECONDS = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const SESSIONS = Number(args.sessions);

const server = await startServer();
const client = new MongoClient(server.url, { monitorCommands: true });
const db = client.db(`coatcheck_bench_${randomUUID().slice(0, 8)}`);
const secret = randomBytes(32).toString('base64url');
let commandCount = 0;
let commandsInFlight = 0;
client.on('commandStarted', () => {
  commandCount++;
  commandsInFlight++;
});
client.on('commandSucceeded', () => commandsInFlight--);
client.on('commandFailed', () => commandsInFlight--);

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
      `${CONNECTIONS} connections, ${SESSIONS} sessions`,
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
  await db.dropDatabase().catch(() => {});
  await client.close();
  await server.stop();
}

function connectMongoApp() {
  const app = express();
  app.use(
    expressSession({
      store: ConnectMongo.create({
        client,
        dbName: db.databaseName,
        collectionName: 'connect_mongo_sessions',
        autoRemove: 'interval',
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
    res.send('ok');
  });
  app.get('/read', (req, res) => res.json({ count: req.session.count ?? null }));
  app.get('/write', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count });
  });
  // Its sweep timer is unref'd; its close() would close the shared client, so it is not called.
  return { app, close: async () => {} };
}

function coatcheckApp() {
  const store = new MongoStore({ db, collectionName: 'coatcheck_sessions', autoRemove: 'interval' });
  const sessions = createSessions({ store, secrets: secret, cookie: { secure: false } });
  const app = express();
  const handle = (change) => async (req, res, next) => {
    try {
      const session = await sessions.load({ cookie: req.headers.cookie });
      const count = change(session);
      const { headers } = await sessions.commit(session);
      for (const [name, value] of headers) res.append(name, value);
      res.json({ count });
    } catch (error) {
      next(error);
    }
  };
  app.get(
    '/login',
    handle((session) => {
      session.set('count', 0);
      return 0;
    }),
  );
  app.get(
    '/read',
    handle((session) => session.get('count') ?? null),
  );
  app.get(
    '/write',
    handle((session) => {
      const count = (session.get('count') ?? 0) + 1;
      session.set('count', count);
      return count;
    }),
  );
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

async function startServer() {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, name: 'MONGO_URL', stop: () => {} };
  // On a port of the benchmarks' own range, as the tests do (tools/test-utils).
  const { PORT_RANGES, startFerretDb } = await import(
    pathToFileURL(require.resolve('@coatcheck/test-utils')).href
  );
  const ferretDb = await startFerretDb(PORT_RANGES.benchFerretDb);
  return { url: ferretDb.url, name: 'FerretDB v1.24.2 (SQLite)', stop: () => ferretDb.stop() };
}
