#!/usr/bin/env node
// The one test command (`pnpm test`): build, lint, every test on this Node and on Node 24, and the
// published-package checks. Each step prints its name; the first failure stops the run.
import { spawnSync } from 'node:child_process';

const steps = [
  ['build every package', 'pnpm', ['run', 'build']],
  ['lint and format check (biome)', 'pnpm', ['run', 'lint']],
  [`tests on Node ${process.versions.node}`, 'pnpm', ['run', 'test:unit']],
  // After the tests: their setup generates the Prisma clients the store-prisma sources are checked against.
  ['type-check every package', 'pnpm', ['run', 'typecheck']],
  ['tests on Node 24', 'pnpm', ['run', 'test:node24']],
  ['publint and are-the-types-wrong on every public package', 'pnpm', ['run', 'check:packages']],
];

for (const [name, command, args] of steps) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${status})`);
    process.exit(status ?? 1);
  }
  console.log(`✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
