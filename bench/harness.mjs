// Measuring: contender processes, autocannon runs, sequential probes of store traffic, and the numbers
// each table row is made of.
import { fork } from 'node:child_process';
import autocannon from 'autocannon';

export const CONNECTIONS = 16;

/**
 * The workloads of every group. `cookies`: 'one' (one logged-in session, every connection sends it),
 * 'perConnection' (one logged-in session per autocannon connection), 'none' (anonymous requests).
 */
export const WORKLOADS = [
  { name: 'read', method: 'GET', path: '/read', cookies: 'one' },
  { name: 'write-hot', method: 'POST', path: '/write', cookies: 'one' },
  { name: 'write-per-connection', method: 'POST', path: '/write', cookies: 'perConnection' },
  { name: 'login', method: 'POST', path: '/login', cookies: 'none' },
];

const children = new Set();

/** Kills every contender process still running (on exit, on Ctrl-C, after a failure). */
export function killContenders() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Forks bench/server.mjs for one contender and waits until it listens. */
export function startContender(group, name, config) {
  const child = fork(new URL('./server.mjs', import.meta.url), [group, name], {
    env: { ...process.env, BENCH_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const waiting = [];
  child.on('message', (message) => waiting.shift()?.(message));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`${group} / ${name}: server exited (${code}) before listening`)),
    );
    next().then(({ port }) =>
      resolve({
        name,
        url: `http://127.0.0.1:${port}`,
        async stats() {
          child.send('stats');
          return (await next()).stats;
        },
        stop() {
          child.kill('SIGKILL');
          children.delete(child);
        },
      }),
    );
  });
}

/** Logs a new user in (anonymous → authenticated) and returns the session cookie ('' when none is set). */
export async function loginCookie(contender) {
  const response = await fetch(`${contender.url}/login`, { method: 'POST' });
  if (!response.ok) throw new Error(`${contender.name}: POST /login answered ${response.status}`);
  await response.arrayBuffer();
  return response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
}

/** The cookies a workload sends: one per autocannon connection (the same one, or each its own). */
export async function cookiesFor(contender, workload) {
  if (workload.cookies === 'none') return Array(CONNECTIONS).fill('');
  if (workload.cookies === 'one') return Array(CONNECTIONS).fill(await loginCookie(contender));
  return Promise.all(Array.from({ length: CONNECTIONS }, () => loginCookie(contender)));
}

function headers(cookie) {
  return cookie ? { cookie } : {};
}

/**
 * Store commands and round trips per request, measured over `count` requests sent one at a time (so a
 * count is exactly one request's traffic, and the probe doubles as a warm-up: JIT, Lua script cache).
 */
export async function probe(contender, workload, cookies, count = 30) {
  const before = await contender.stats();
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${contender.url}${workload.path}`, {
      method: workload.method,
      headers: headers(cookies[i % cookies.length]),
    });
    if (!response.ok) throw new Error(`${contender.name} ${workload.name}: HTTP ${response.status}`);
    await response.arrayBuffer();
  }
  const after = await contender.stats();
  return {
    commandsPerRequest: (after.commands - before.commands) / count,
    roundTripsPerRequest: (after.roundTrips - before.roundTrips) / count,
  };
}

/**
 * One autocannon run of `seconds`. `serverCommands` (optional) reads the store server's own command
 * counter (Redis INFO commandstats), sampled around the run.
 */
export async function load(contender, workload, cookies, seconds, serverCommands) {
  const serverBefore = serverCommands ? await serverCommands() : 0;
  let connection = 0;
  const result = await autocannon({
    url: `${contender.url}${workload.path}`,
    method: workload.method,
    connections: CONNECTIONS,
    duration: seconds,
    // Each connection keeps its own cookie for the whole run (write-per-connection: its own session).
    setupClient: (client) => client.setHeaders(headers(cookies[connection++ % cookies.length])),
  });
  // Requests autocannon abandoned at the deadline may still be running: let them finish first.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const serverAfter = serverCommands ? await serverCommands() : 0;
  return {
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    serverCommandsPerRequest: serverCommands ? (serverAfter - serverBefore) / result.requests.total : null,
  };
}

export function median(values) {
  const sorted = values.filter((value) => value !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
