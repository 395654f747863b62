#!/usr/bin/env node
// `pnpm bench`: every group, every workload, the contenders interleaved, then bench/RESULTS.md.
//
//   pnpm bench                              # build, then all groups (3 rounds × 4 s; BENCH_ROUNDS, BENCH_SECONDS)
//   pnpm bench -- --group redis             # one group (repeat --group, or a comma list, for several)
//   pnpm bench -- --quick                   # 1 round × 1 s: checks that everything runs, numbers are rough
//   node bench/run.mjs --out /tmp/R.md --json /tmp/r.json   # elsewhere (the smoke test does this)
//
// Groups: memory, redis, mongo, prisma, fastify-redis, fastify-memory, cookie (bench/groups.mjs). A group whose service
// or contender cannot run is left out of RESULTS.md with the reason; no number is ever made up.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concurrentAdds } from './correctness.mjs';
import { GROUPS, newRunIds } from './groups.mjs';
import {
  CONNECTIONS,
  cookiesFor,
  killContenders,
  load,
  median,
  probe,
  startContender,
  WORKLOADS,
} from './harness.mjs';
import { renderResults } from './report.mjs';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    group: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./RESULTS.md', import.meta.url)) },
    json: { type: 'string' },
  },
});
const rounds = Number(args.rounds ?? (args.quick ? 1 : (process.env.BENCH_ROUNDS ?? 3)));
const seconds = Number(args.seconds ?? (args.quick ? 1 : (process.env.BENCH_SECONDS ?? 4)));
const correctness = { requests: 50, inFlight: 32 };
const groupKeys = args.group?.flatMap((value) => value.split(',')) ?? Object.keys(GROUPS);
for (const key of groupKeys)
  if (!GROUPS[key]) throw new Error(`unknown group '${key}'; groups: ${Object.keys(GROUPS).join(', ')}`);

// The time bound: the load runs take exactly this long; the rest (start-up, probes, correctness,
// FerretDB's start) is bounded by the allowance below, after which the run stops and says so.
const loadSeconds = groupKeys.reduce(
  (total, key) => total + GROUPS[key].contenders.length * WORKLOADS.length * rounds * seconds,
  0,
);
const limitSeconds = Math.ceil(loadSeconds * 1.5 + 120 * groupKeys.length);
console.log(
  `bench: ${groupKeys.join(', ')}; ${rounds} round(s) × ${seconds} s; load runs take ${loadSeconds} s, ` +
    `the whole run is stopped after ${limitSeconds} s at most`,
);

const cleanups = new Set();
async function cleanUp() {
  killContenders();
  for (const cleanup of cleanups) await cleanup().catch((error) => console.error('clean-up:', error.message));
  cleanups.clear();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping the servers and removing the run's data`);
    await cleanUp();
    process.exit(130);
  });
}
const limit = setTimeout(async () => {
  console.error(`bench: over the ${limitSeconds} s bound, stopping`);
  await cleanUp();
  process.exit(1);
}, limitSeconds * 1000);
limit.unref();

const started = Date.now();
const run = {
  date: new Date().toISOString().slice(0, 10),
  rounds,
  seconds,
  connections: CONNECTIONS,
  correctness,
  groups: [],
};
try {
  for (const key of groupKeys) run.groups.push(await runGroup(key));
} finally {
  await cleanUp();
}
run.elapsedSeconds = (Date.now() - started) / 1000;
writeFileSync(args.out, renderResults(run));
if (args.json) writeFileSync(args.json, JSON.stringify(run, null, 2));
console.log(`\nbench: done in ${run.elapsedSeconds.toFixed(0)} s; wrote ${args.out}`);

async function runGroup(key) {
  const group = GROUPS[key];
  const base = { key, title: group.title, bare: group.bare ?? null, packages: group.packages };
  console.log(`\n== ${key}: ${group.title}`);
  let setup;
  try {
    setup = await group.setup(newRunIds());
    cleanups.add(setup.cleanup);
    const contenders = [];
    for (const name of group.contenders) contenders.push(await startContender(key, name, setup.config));
    // Warm-up (JIT, connection pools, Lua script cache), not measured: the first round would pay it.
    for (const contender of contenders)
      await load(contender, WORKLOADS[0], await cookiesFor(contender, WORKLOADS[0]), 1);
    const measured = {};
    for (const workload of WORKLOADS) {
      measured[workload.name] = {};
      for (const contender of contenders) {
        const cookies = await cookiesFor(contender, workload);
        measured[workload.name][contender.name] = {
          cookies,
          ...(await probe(contender, workload, cookies)),
          rounds: [],
        };
      }
      for (let round = 0; round < rounds; round++) {
        for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
          const slot = measured[workload.name][contender.name];
          const result = await load(contender, workload, slot.cookies, seconds, setup.serverCommands);
          slot.rounds.push(result);
          console.log(
            `  ${workload.name.padEnd(21)} round ${round + 1} ${contender.name.padEnd(40)} ${Math.round(
              result.requestsPerSecond,
            )
              .toString()
              .padStart(6)} req/s${result.failures ? `  ${result.failures} non-2xx/errors` : ''}`,
          );
        }
      }
    }
    const results = [];
    for (const contender of contenders) {
      if (contender.name === group.bare) continue;
      const result = await concurrentAdds(contender, correctness);
      console.log(`  correctness ${contender.name}: ${result.survived} of ${result.requests}`);
      results.push({ contender: contender.name, ...result });
    }
    for (const contender of contenders) contender.stop();
    return {
      ...base,
      service: setup.service,
      hasStore: Boolean(setup.config.redisUrl || setup.config.mongoUrl || setup.config.postgresUrl),
      rows: rows(group, measured),
      correctness: results,
    };
  } catch (error) {
    console.error(`  ${key} left out: ${error.stack ?? error}`);
    return { ...base, error: String(error.message ?? error).split('\n')[0] };
  } finally {
    killContenders();
    if (setup) {
      cleanups.delete(setup.cleanup);
      await setup.cleanup().catch((error) => console.error('clean-up:', error.message));
    }
  }
}

/** One row per workload and contender: medians over the rounds, and the ratios of those medians. */
function rows(group, measured) {
  const out = [];
  for (const [workload, byContender] of Object.entries(measured)) {
    const rps = (name) => median(byContender[name].rounds.map((r) => r.requestsPerSecond));
    for (const [contender, slot] of Object.entries(byContender)) {
      const requestsPerSecond = rps(contender);
      out.push({
        workload,
        contender,
        requestsPerSecond,
        perRound: slot.rounds.map((r) => r.requestsPerSecond),
        requests: slot.rounds.reduce((sum, r) => sum + r.requests, 0),
        p50: median(slot.rounds.map((r) => r.p50)),
        p99: median(slot.rounds.map((r) => r.p99)),
        failures: slot.rounds.reduce((sum, r) => sum + r.failures, 0),
        ratioToIncumbent: requestsPerSecond / rps(group.incumbent),
        ratioToBare: group.bare ? requestsPerSecond / rps(group.bare) : null,
        commandsPerRequest: slot.commandsPerRequest,
        roundTripsPerRequest: slot.roundTripsPerRequest,
        serverCommandsPerRequest: median(slot.rounds.map((r) => r.serverCommandsPerRequest)),
      });
    }
  }
  return out;
}
