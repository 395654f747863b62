#!/usr/bin/env node
// Preflight of `pnpm test`: checks every service and tool the tests use, starts or installs what it can,
// and otherwise stops within seconds with one list of what is missing and the commands that get it.
//
//   node scripts/preflight.mjs           check, repair what can be repaired, provision FerretDB and Node 24
//   node scripts/preflight.mjs --check   only check and report; change nothing
//
// Repairs need root (a CI machine, a container): starting Redis/PostgreSQL/MariaDB with the machine's own
// commands, creating the `test` databases, `apt-get install chromium`. Without root it prints the commands.
// REDIS_URL, POSTGRES_URL and MYSQL_URL point the tests at other servers, CHROMIUM_PATH at another browser;
// those are checked, never started or installed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const checkOnly = process.argv.includes('--check');
const isRoot = process.getuid?.() === 0;
const sudo = isRoot ? '' : 'sudo ';
const env = process.env;

const redis = endpoint(env.REDIS_URL, 'redis://127.0.0.1:6379');
const postgres = endpoint(env.POSTGRES_URL, 'postgresql://postgres@127.0.0.1:5432/test');
const mysql = endpoint(env.MYSQL_URL, 'mysql://root@127.0.0.1:3306/test');
const postgresVersion = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : undefined;
// CHROMIUM_PATH points the browser tests at another Chromium or Chrome (then it is checked, not installed).
const chromium = env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const go = which('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);

/**
 * One thing the tests need. `ok` probes it; `repair`, when given and `canRepair`, fixes it here;
 * `howTo` is what a person runs when it cannot be fixed here.
 */
const requirements = [
  {
    name: 'Node.js >= 20.19',
    ok: () => atLeast(process.versions.node, [20, 19]),
    howTo: 'install Node.js 20.19 or later (https://nodejs.org)',
  },
  {
    name: 'pnpm 10',
    ok: () => /^10\./.test(output('pnpm', ['--version']) ?? ''),
    howTo: 'npm install -g pnpm@10',
  },
  ...['redis-server', 'redis-cli'].map((tool) => ({
    id: tool,
    name: `${tool} on PATH (the tests start a Redis Cluster)`,
    ok: () => which(tool) !== undefined,
    canRepair: isRoot && aptAvailable(),
    repair: () => aptInstall('redis-server'),
    howTo: `${sudo}apt-get update && ${sudo}apt-get install -y redis-server`,
  })),
  {
    id: 'psql',
    name: 'psql on PATH (the packaging test applies the shipped SQL with it)',
    ok: () => which('psql') !== undefined,
    canRepair: isRoot && aptAvailable(),
    repair: () => aptInstall('postgresql-client'),
    howTo: `${sudo}apt-get update && ${sudo}apt-get install -y postgresql-client`,
  },
  service('Redis', redis, {
    after: ['redis-server'],
    command: 'redis-server',
    args: [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      String(redis.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ],
  }),
  service('PostgreSQL', postgres, {
    command: 'pg_ctlcluster',
    args: ['--skip-systemctl-redirect', postgresVersion ?? '<version>', 'main', 'start'],
    possible: postgresVersion !== undefined,
  }),
  service('MariaDB', mysql, {
    command: 'start-stop-daemon',
    args: ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'],
    possible: existsSync('/usr/sbin/mariadbd'),
  }),
  {
    name: `PostgreSQL database "${postgres.database}"`,
    after: ['PostgreSQL', 'psql'],
    ok: () => succeeds('psql', [postgres.url, '-qtAc', 'SELECT 1']),
    canRepair: () => which('createdb') !== undefined && postgres.local,
    repair: () =>
      run('createdb', [
        '-h',
        postgres.host,
        '-p',
        String(postgres.port),
        '-U',
        postgres.user,
        postgres.database,
      ]),
    howTo: `createdb -h ${postgres.host} -p ${postgres.port} -U ${postgres.user} ${postgres.database}`,
  },
  {
    name: `MariaDB database "${mysql.database}"`,
    after: ['MariaDB'],
    // Without a mariadb/mysql client it cannot be checked here; the store-prisma tests then say so themselves.
    ok: () => !mysqlClient() || succeeds(mysqlClient(), mysqlArgs(`USE \`${mysql.database}\``), mysqlEnv()),
    canRepair: () => mysqlClient() !== undefined && mysql.local,
    repair: () =>
      run(mysqlClient(), mysqlArgs(`CREATE DATABASE IF NOT EXISTS \`${mysql.database}\``), mysqlEnv()),
    howTo: `mariadb -h ${mysql.host} -P ${mysql.port} -u ${mysql.user} -e 'CREATE DATABASE ${mysql.database}'`,
  },
  {
    name: `Chromium at ${chromium} (the demo's browser test)`,
    ok: () => succeeds(chromium, ['--version']),
    canRepair: isRoot && aptAvailable() && env.CHROMIUM_PATH === undefined,
    repair: () => aptInstall('chromium'),
    howTo:
      env.CHROMIUM_PATH === undefined
        ? `${sudo}apt-get update && ${sudo}apt-get install -y chromium   # Playwright's own download does not run here`
        : 'point CHROMIUM_PATH at a Chromium or Chrome binary, or unset it to use /usr/bin/chromium',
  },
  {
    // The demo's and the packaging test's FerretDB is built even when MONGO_URL points store-mongo elsewhere.
    name: 'Go >= 1.24 (builds FerretDB, the MongoDB-wire server the tests start)',
    ok: () => atLeast((output(go ?? 'go', ['version']) ?? '').match(/go(\d+\.\d+)/)?.[1] ?? '0.0', [1, 24]),
    howTo:
      `curl -fsSL https://go.dev/dl/go1.24.13.linux-amd64.tar.gz | ${sudo}tar -C /usr/local -xz` +
      '   # or any Go >= 1.24 on PATH (or GO=/path/to/go)',
  },
];

const started = Date.now();
// 1. Probe everything (seconds). A database is only probed once its server answers.
const failed = [];
const deferred = [];
for (const requirement of requirements) {
  const waitsFor = requirement.after ?? [];
  if (failed.some((r) => waitsFor.includes(r.id))) deferred.push(requirement);
  else if (!(await requirement.ok())) failed.push(requirement);
}
const blocked = failed.filter((r) => checkOnly || !repairable(r));
if (blocked.length > 0) {
  report(blocked, [...failed.filter((r) => !blocked.includes(r)), ...deferred]);
  process.exit(1);
}
// 2. Repair what can be repaired here, then what waited for it.
for (const requirement of [...failed, ...deferred]) {
  if (await requirement.ok()) continue;
  if (!repairable(requirement)) {
    report([requirement], []);
    process.exit(1);
  }
  console.log(`preflight: ${requirement.name} is missing; fixing it`);
  try {
    await requirement.repair();
  } catch (error) {
    console.error(`preflight: could not fix ${requirement.name}: ${error.message}`);
  }
  if (!(await requirement.ok())) {
    report([requirement], []);
    process.exit(1);
  }
}

if (!checkOnly) {
  // Slow the first time on a machine, instant afterwards: better here than inside a test's timeout.
  provision('FerretDB (built once into ~/.cache/coatcheck)', join('scripts', 'ferretdb.sh'), ['build'], {
    GO: go,
  });
  provision('Node 24 from npm (the second test run)', 'npx', ['--yes', 'node@24', '--version']);
}
console.log(`preflight: everything the tests need is here (${((Date.now() - started) / 1000).toFixed(1)} s)`);

// ——— helpers ———

function service(name, target, start) {
  const startCommand = [start.command, ...start.args.map(shellQuote)].join(' ');
  return {
    name: `${name} at ${target.host}:${target.port}`,
    id: name,
    ok: () => portOpen(target.host, target.port),
    after: start.after,
    canRepair: () =>
      isRoot && target.managed && (start.possible ?? true) && which(start.command) !== undefined,
    repair: async () => {
      run(start.command, start.args);
      await waitFor(() => portOpen(target.host, target.port), 60_000);
    },
    howTo: target.managed
      ? `${sudo}${startCommand}`
      : `start the server at ${target.url.replace(/\/\/[^@]*@/, '//')} or unset the variable that points at it`,
  };
}

function report(missing, fixable) {
  console.error('\npreflight: `pnpm test` cannot run on this machine yet. Missing:\n');
  for (const requirement of missing) {
    console.error(`  ✗ ${requirement.name}\n      ${requirement.howTo}`);
  }
  if (fixable.length > 0) {
    console.error(
      `\n  and then, checked (and fixed${isRoot ? '' : ' when run as root'}) by the next \`pnpm test\`:`,
    );
    for (const requirement of fixable) console.error(`  • ${requirement.name}`);
  }
  console.error('\nThen run `pnpm test` again. (`node scripts/preflight.mjs --check` only checks.)');
}

function provision(name, command, args, extraEnv = {}) {
  const startedAt = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, ...Object.fromEntries(Object.entries(extraEnv).filter(([, v]) => v)) },
  });
  if (result.status !== 0) {
    console.error(`preflight: ${name} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
  console.log(`preflight: ${name} ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
}

function aptInstall(pkg) {
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], aptEnv);
  run('apt-get', ['install', '-y', '-qq', pkg], aptEnv);
}

function aptAvailable() {
  return which('apt-get') !== undefined;
}

/** `canRepair` is a value or, when a repair may first install what it needs, a function asked late. */
function repairable(requirement) {
  const { canRepair } = requirement;
  return typeof canRepair === 'function' ? canRepair() : Boolean(canRepair);
}

function run(command, args, runEnv = env) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env: runEnv });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.error?.message ?? result.status}`);
  }
}

function succeeds(command, args, runEnv = env) {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 10_000, env: runEnv }).status === 0;
}

function output(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function which(command) {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && isExecutable(`${dir}/${command}`)) return `${dir}/${command}`;
  }
  return undefined;
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function portOpen(host, port) {
  return new Promise((resolveOpen) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (open) => {
      socket.destroy();
      resolveOpen(open);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function waitFor(probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((wake) => setTimeout(wake, 500));
  }
}

function endpoint(value, fallback) {
  const url = new URL(value ?? fallback);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const defaultPorts = {
    'redis:': 6379,
    'rediss:': 6379,
    'postgresql:': 5432,
    'postgres:': 5432,
    'mysql:': 3306,
  };
  return {
    url: url.href,
    host,
    port: Number(url.port || defaultPorts[url.protocol]),
    password: decodeURIComponent(url.password),
    user: decodeURIComponent(url.username) || 'root',
    database: url.pathname.slice(1) || 'test',
    // The machine's own server (no variable set): the one preflight may start.
    managed: value === undefined,
    local: ['127.0.0.1', 'localhost', '::1'].includes(host),
  };
}

function mysqlClient() {
  return ['mariadb', 'mysql'].find((client) => which(client) !== undefined);
}

function mysqlEnv() {
  return mysql.password ? { ...env, MYSQL_PWD: mysql.password } : env;
}

function mysqlArgs(sql) {
  return ['-h', mysql.host, '-P', String(mysql.port), '-u', mysql.user, '-e', sql];
}

function atLeast(version, [major, minor]) {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

function shellQuote(arg) {
  return arg === '' ? '""' : /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`;
}

function join(...parts) {
  return resolve(root, ...parts);
}
