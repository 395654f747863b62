#!/usr/bin/env node
// Runs publint and @arethetypeswrong/cli on every public package (run after `pnpm build`).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const failures = [];
for (const dir of readdirSync('packages')) {
  const path = join('packages', dir);
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  const esmOnly = !JSON.stringify(manifest.exports).includes('"require"');
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', path]],
    // ESM-only packages (the vitest suite) are checked as such; the rest must also work from CommonJS.
    [
      'attw',
      ['attw', '--pack', path, '--profile', esmOnly ? 'esm-only' : 'node16', '--format', 'table-flipped'],
    ],
  ]) {
    console.log(`\n— ${tool} ${manifest.name}`);
    const { status } = spawnSync('npx', args, { stdio: 'inherit' });
    if (status !== 0) failures.push(`${tool} ${manifest.name}`);
  }
}
if (failures.length > 0) {
  console.error(`\nFailed: ${failures.join(', ')}`);
  process.exit(1);
}
