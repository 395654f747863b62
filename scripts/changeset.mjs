#!/usr/bin/env node
// `pnpm changeset …` on every Node the project supports. @changesets/cli 3 needs Node ^22.11 || >=24 (its
// bin calls `module.enableCompileCache()`, which Node 20 lacks), and we keep 3 for its peer-dependency
// rule (a minor of core bumps the stores by a patch, where 2.x jumps 0.x stores to 1.0.0). On an older
// Node this runs the same CLI under Node 24 from npm (`npx node@24`, the way the Node 24 tests run).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const cli = createRequire(import.meta.url).resolve('@changesets/cli/bin.js');
const [major, minor] = process.versions.node.split('.').map(Number);
const supported = major >= 24 || (major === 22 && minor >= 11);
const [command, args] = supported
  ? [process.execPath, [cli, ...process.argv.slice(2)]]
  : ['npx', ['--yes', 'node@24', cli, ...process.argv.slice(2)]];

const { status, error } = spawnSync(command, args, { stdio: 'inherit' });
if (error) {
  console.error(`changeset: could not start ${command}: ${error.message}`);
  process.exit(1);
}
process.exit(status ?? 1);
