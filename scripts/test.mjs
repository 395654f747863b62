#!/usr/bin/env node
// The one test command (`pnpm test`): preflight, build, lint, a release dry run, every test on this Node
// and on Node 24, and the published-package checks. Each step prints its name; the first failure stops
// the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The release dry run packs the tarballs the packaging test then installs.
const packedDir = mkdtempSync(join(tmpdir(), 'coatcheck-tarballs-'));
const env = { ...process.env, COATCHECK_PACKED_DIR: packedDir };
const cleanUp = () => rmSync(packedDir, { recursive: true, force: true });
// Ctrl-C reaches the running step too; once it has stopped, the tarball folder goes with us.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

const steps = [
  // Starts or installs what it can (services, Chromium, FerretDB, Node 24); else lists what is missing.
  ['preflight: services and tools the tests need', 'node', ['scripts/preflight.mjs']],
  ['build every package', 'pnpm', ['run', 'build']],
  ['lint and format check (biome)', 'pnpm', ['run', 'lint']],
  [
    'release dry run: changeset status, changeset version on a copy, pnpm pack',
    'node',
    ['scripts/release-dry-run.mjs', '--out', packedDir],
  ],
  [`tests on Node ${process.versions.node}`, 'pnpm', ['run', 'test:unit']],
  // After the tests: their setup generates the Prisma clients the store-prisma sources are checked against.
  ['type-check every package', 'pnpm', ['run', 'typecheck']],
  ['tests on Node 24', 'pnpm', ['run', 'test:node24']],
  ['publint and are-the-types-wrong on every public package', 'pnpm', ['run', 'check:packages']],
];

const startedAll = Date.now();
for (const [name, command, args] of steps) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const { status } = spawnSync(command, args, { stdio: 'inherit', env });
  if (status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${status})`);
    cleanUp();
    process.exit(status ?? 1);
  }
  console.log(`✔ ${name} (${seconds(started)})`);
}
cleanUp();
console.log(`\nall steps passed (${seconds(startedAll)})`);

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
