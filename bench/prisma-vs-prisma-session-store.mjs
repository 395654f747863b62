// Coatcheck's Prisma store against @quixo3/prisma-session-store (through express-session), both on the
// same PostgreSQL, the same Prisma 7 client and the same kind of tiny Express app, in one run.
//
//   pnpm build && node bench/prisma-vs-prisma-session-store.mjs
//
// Env: POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test), BENCH_ROUNDS (default 4),
// BENCH_SECONDS per app and round (default 5), BENCH_CONNECTIONS (default 10). The apps run in a child
// process so autocannon's own work does not share their event loop. Each connection has its own
// session: contention is not what this measures. Prints req/s per scenario and the ratio
// coatcheck / prisma-session-store per round, its median and its range (the machine may be noisy).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = fileURLToPath(new URL('../packages/store-prisma/', import.meta.url));
const requireFromPackage = createRequire(join(packageDir, 'package.json'));
const importFromPackage = (name) => import(pathToFileURL(requireFromPackage.resolve(name)).href);
const postgresUrl = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuv';
const DAY_MS = 24 * 60 * 60 * 1000;

if (process.argv[2] === '--serve') await serve();
else await main();

// ——— parent: prepares the database, drives the load, prints the results ———

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
  const schema = `coatcheck_bench_${randomBytes(6).toString('hex')}`;
  const clientFile = await benchClient();
  const { PrismaClient } = await import(pathToFileURL(clientFile).href);
  const { PrismaPg } = await importFromPackage('@prisma/adapter-pg');
  const admin = new PrismaClient({ adapter: new PrismaPg({ connectionString: postgresUrl }) });
  await admin.$executeRawUnsafe(`CREATE SCHEMA "${schema}"`);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, BENCH_SCHEMA: schema, BENCH_CLIENT: clientFile },
  });
  try {
    const ports = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
    });
    const { default: autocannon } = await importFromPackage('autocannon');
    const apps = { coatcheck: ports.coatcheck, 'prisma-session-store': ports.quixo3 };
    const cookies = {};
    for (const [name, port] of Object.entries(apps)) {
      cookies[name] = await Promise.all(Array.from({ length: connections }, () => newSessionCookie(port)));
    }
    console.log(`PostgreSQL ${postgresUrl} (schema ${schema}), ${connections} connections`);
    console.log(`${rounds} rounds of ${seconds} s per app, alternating which app goes first.\n`);
    const rows = [];
    for (const [scenario, method, path] of [
      ['read unchanged', 'GET', '/read'],
      ['modify and save', 'POST', '/write'],
    ]) {
      const perSecond = { coatcheck: [], 'prisma-session-store': [] };
      let failures = 0;
      for (let round = 0; round < rounds; round++) {
        const order =
          round % 2 === 0 ? ['coatcheck', 'prisma-session-store'] : ['prisma-session-store', 'coatcheck'];
        for (const name of order) {
          const result = await load(
            autocannon,
            apps[name],
            method,
            path,
            cookies[name],
            seconds,
            connections,
          );
          perSecond[name].push(result.requests.average);
          failures += result.non2xx + result.errors + result.timeouts;
        }
      }
      const ratios = perSecond.coatcheck.map(
        (ours, round) => ours / perSecond['prisma-session-store'][round],
      );
      rows.push({
        scenario,
        'coatcheck req/s': Math.round(mean(perSecond.coatcheck)),
        'prisma-session-store req/s': Math.round(mean(perSecond['prisma-session-store'])),
        ratio: `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
        'ratio per round': ratios.map((ratio) => ratio.toFixed(2)).join(' '),
        failures,
      });
    }
    console.table(rows);
    console.log(`Run on Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`);
  } finally {
    child.kill();
    await admin.$executeRawUnsafe(`DROP SCHEMA "${schema}" CASCADE`);
    await admin.$disconnect();
  }
}

function mean(values) {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function newSessionCookie(port) {
  const response = await fetch(`http://127.0.0.1:${port}/write`, { method: 'POST' });
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (!response.ok || !cookie) throw new Error(`port ${port}: no session cookie (${response.status})`);
  return cookie;
}

function load(autocannon, port, method, path, cookies, seconds, connections) {
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method,
    connections,
    duration: seconds,
    // One session per connection, as with real users.
    setupClient: (client) => client.setHeaders({ cookie: cookies[next++ % cookies.length] }),
  });
}

/** The shipped model (renamed, as a user might) beside prisma-session-store's, in one client. */
async function benchClient() {
  const { generatePrismaClient, shippedPrismaModels } = await importFromPackage('@coatcheck/test-utils');
  const [session] = await shippedPrismaModels('postgresql', ['session']);
  const clientDir = await generatePrismaClient({
    packageDir,
    name: 'bench-postgresql',
    provider: 'postgresql',
    models: [
      session.replace('model Session {', 'model CoatcheckSession {'),
      `model Session {\n  id        String   @id\n  sid       String   @unique\n  data      String\n  expiresAt DateTime\n\n  @@map("express_sessions")\n}\n`,
    ],
  });
  // Node 20 cannot import the generated TypeScript: bundle it once with esbuild (tsup's).
  const bundle = join(clientDir, '..', 'client.mjs');
  const hash = await readFile(join(clientDir, '..', 'schema.sha256'), 'utf8');
  if (!existsSync(bundle) || !(await readFile(bundle, 'utf8')).startsWith(`// ${hash}`)) {
    const requireFromRoot = createRequire(fileURLToPath(import.meta.url));
    const esbuild = createRequire(requireFromRoot.resolve('tsup'))('esbuild');
    await esbuild.build({
      entryPoints: [join(clientDir, 'client.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      banner: { js: `// ${hash}` },
      logLevel: 'warning',
    });
  }
  return bundle;
}

// ——— child: the two apps ———

async function serve() {
  const schema = process.env.BENCH_SCHEMA;
  const { PrismaClient } = await import(pathToFileURL(process.env.BENCH_CLIENT).href);
  const { PrismaPg } = await importFromPackage('@prisma/adapter-pg');
  const { default: express } = await importFromPackage('express');
  const { default: expressSession } = await importFromPackage('express-session');
  const { PrismaSessionStore } = await importFromPackage('@quixo3/prisma-session-store');
  const { createSessions } = await importFromPackage('@coatcheck/core');
  const { applySchema, createPrismaStore } = await import(
    pathToFileURL(join(packageDir, 'dist/index.js')).href
  );

  const adapter = new PrismaPg(
    { connectionString: postgresUrl, options: `-c search_path="${schema}"` },
    { schema },
  );
  const prisma = new PrismaClient({ adapter });
  await applySchema(prisma, 'postgresql');
  await prisma.$executeRawUnsafe(
    'CREATE TABLE "express_sessions" ("id" TEXT PRIMARY KEY, "sid" TEXT NOT NULL UNIQUE, "data" TEXT NOT NULL, "expiresAt" TIMESTAMP(3) NOT NULL)',
  );

  // Coatcheck: load and commit around the handler (its Express integration does the same). The store's
  // default `expiry: 'sweep'` first sweeps 300 s after start-up, after a run of the default length.
  const sessions = createSessions({
    store: createPrismaStore(prisma, { model: 'coatcheckSession' }),
    secrets: [SECRET],
    idleTimeoutSeconds: DAY_MS / 1000,
    cookie: { secure: false },
  });
  const ours = express();
  const send = async (res, session, body) => {
    for (const [name, value] of (await sessions.commit(session)).headers) res.append(name, value);
    res.send(body);
  };
  ours.get('/read', async (req, res) => {
    const session = await sessions.load({ cookie: req.headers.cookie });
    await send(res, session, String(session.get('count') ?? 0));
  });
  ours.post('/write', async (req, res) => {
    const session = await sessions.load({ cookie: req.headers.cookie });
    session.set('count', (session.get('count') ?? 0) + 1);
    await send(res, session, String(session.get('count')));
  });

  // express-session + @quixo3/prisma-session-store, configured as its README shows.
  const theirs = express();
  theirs.use(
    expressSession({
      store: new PrismaSessionStore(prisma, { dbRecordIdIsSessionId: true, logger: false }),
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: false, maxAge: DAY_MS },
    }),
  );
  theirs.get('/read', (req, res) => res.send(String(req.session.count ?? 0)));
  theirs.post('/write', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.send(String(req.session.count));
  });

  const listen = (app) =>
    new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
  process.send({ coatcheck: await listen(ours), quixo3: await listen(theirs) });
}
