#!/usr/bin/env node
// Runs publint and @arethetypeswrong/cli on every public package (run after `pnpm build`), and checks that
// each package ships the root LICENSE.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const failures = [];
// npm and pnpm pack a package directory's LICENSE whatever `files` says, so each public package holds a
// copy of the root LICENSE; it must stay byte for byte the same as the root one.
const license = readFileSync('LICENSE', 'utf8');
for (const dir of readdirSync('packages')) {
  const path = join('packages', dir);
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  console.log(`\n— LICENSE ${manifest.name}`);
  let copy;
  try {
    copy = readFileSync(join(path, 'LICENSE'), 'utf8');
  } catch {
    copy = undefined;
  }
  if (copy === license) {
    console.log(`${path}/LICENSE is the root LICENSE`);
  } else {
    console.error(`${path}/LICENSE ${copy === undefined ? 'is missing' : 'differs from the root LICENSE'}`);
    failures.push(`LICENSE ${manifest.name}`);
  }
  const esmOnly = !JSON.stringify(manifest.exports).includes('"require"');
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', path]],
    // Packages with a `require` condition are checked on every resolution attw knows (its default
    // profile): node10, node16 from CJS and from ESM, and bundler. node10 is TypeScript's model of Node
    // before `exports`: it ignores `exports` and resolves the way `require` does, so subpaths need
    // `typesVersions` (pointing at the `.d.cts` types). An ESM-only package (the vitest suite, ESM-only
    // like vitest) deliberately has no `require` entry, so under node10 and node16-from-CJS, the two
    // CommonJS resolutions, there is nothing right to find; `esm-only` leaves out exactly those two.
    [
      'attw',
      ['attw', '--pack', path, ...(esmOnly ? ['--profile', 'esm-only'] : []), '--format', 'table-flipped'],
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
