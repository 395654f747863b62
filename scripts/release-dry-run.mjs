#!/usr/bin/env node
// Release dry run: everything a release does short of publishing, on a temporary copy of the repository.
//
//   1. `changeset status`: every changeset parses, and the release plan is read from it;
//   2. `changeset version` on the copy: every public package gets its planned version and a CHANGELOG.md
//      with its changesets' summaries;
//   3. `pnpm pack` of every public package (pnpm, not npm: pnpm rewrites `workspace:` ranges), and a check
//      of each tarball: planned version, no `workspace:` left, README.md, LICENSE and dist present.
//
// The tarballs are kept in `--out DIR` (default: a new temporary folder), whose path is printed last, so
// that the packaging test installs exactly these (`pnpm test` passes it on as COATCHECK_PACKED_DIR).
// Run it after `pnpm build`: the packages' `dist` is copied, not rebuilt.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'coatcheck-tarballs-')));
const failures = [];
const check = (ok, message) => {
  if (!ok) failures.push(message);
};
const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });

const publicPackages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir, manifest: readJson(join(root, 'packages', dir, 'package.json')) }))
  .filter(({ manifest }) => !manifest.private);
for (const { dir } of publicPackages) {
  if (!existsSync(join(root, 'packages', dir, 'dist')))
    fail(`packages/${dir}/dist is missing: run pnpm build first`);
}

// 1. A copy of what git tracks (and new, unignored files), with the built dist.
const copy = mkdtempSync(join(tmpdir(), 'coatcheck-release-'));
process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root)
  .split('\0')
  .filter((file) => file && existsSync(join(root, file)));
for (const file of files) {
  mkdirSync(dirname(join(copy, file)), { recursive: true });
  cpSync(join(root, file), join(copy, file));
}
// Its own git repository on `main`: `changeset status` diffs against main, and must work whatever the
// checkout is (a detached HEAD in CI, another branch name).
for (const args of [
  ['init', '-q', '-b', 'main'],
  ['add', '-A'],
  ['commit', '-q', '--no-verify', '-m', 'dry run'],
]) {
  // Whatever the user's git configuration says (identity, signing, hooks), this commit is only scaffolding.
  const scaffolding = [
    '-c',
    'user.name=dry-run',
    '-c',
    'user.email=dry-run@localhost',
    '-c',
    'commit.gpgsign=false',
  ];
  run('git', [...scaffolding, ...args], copy);
}
for (const { dir } of publicPackages) {
  cpSync(join(root, 'packages', dir, 'dist'), join(copy, 'packages', dir, 'dist'), { recursive: true });
}
symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
// pnpm pack reads a `workspace:` range's version from the linked package: link the copy's own packages.
const dirOf = new Map(
  ['packages', 'tools', 'apps'].flatMap((parent) =>
    readdirSync(join(copy, parent))
      .filter((dir) => existsSync(join(copy, parent, dir, 'package.json')))
      .map((dir) => [readJson(join(copy, parent, dir, 'package.json')).name, join(parent, dir)]),
  ),
);
for (const { dir, manifest } of publicPackages) {
  const ranges = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies };
  for (const [name, range] of Object.entries(ranges)) {
    if (!range.startsWith('workspace:') || !dirOf.has(name)) continue;
    const link = join(copy, 'packages', dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(copy, dirOf.get(name)), link);
  }
}
// 2. Every changeset parses; the plan says which version each package gets. changesets' own parse error
// does not say which file is broken, so each file's front matter is checked here first.
for (const file of readdirSync(join(copy, '.changeset')).filter(
  (f) => f.endsWith('.md') && f !== 'README.md',
)) {
  const text = readFileSync(join(copy, '.changeset', file), 'utf8');
  // Zero package lines is `changeset --empty`, a valid changeset that releases nothing.
  if (!/^---\r?\n(\s*["']?[@\w./-]+["']?\s*:\s*(major|minor|patch|none)\s*\r?\n)*---\r?\n/.test(text)) {
    fail(
      `.changeset/${file} does not start with front matter ('---', lines '"@coatcheck/name": minor', '---')`,
    );
  }
}
const planFile = join(copy, 'release-plan.json');
step('changeset status', () =>
  run(process.execPath, [join(root, 'scripts/changeset.mjs'), 'status', `--output=${planFile}`], copy),
);
const plan = readJson(planFile);
const planned = new Map(plan.releases.filter((r) => r.type !== 'none').map((r) => [r.name, r]));
// Right after a release no changeset is pending: the same checks then run on the current versions.
console.log(
  planned.size === 0
    ? '  no changesets pending: packing the current versions'
    : `  planned: ${[...planned.values()].map((r) => `${r.name}@${r.newVersion} (${r.type})`).join(', ')}`,
);

// 3. `changeset version`: versions and changelogs.
step('changeset version (on a temporary copy)', () =>
  run(process.execPath, [join(root, 'scripts/changeset.mjs'), 'version'], copy),
);
const leftOver = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
check(leftOver.length === 0, `changeset version left changesets unconsumed: ${leftOver.join(', ')}`);
for (const { dir, manifest } of publicPackages) {
  const release = planned.get(manifest.name);
  const versioned = readJson(join(copy, 'packages', dir, 'package.json'));
  const expected = release?.newVersion ?? manifest.version;
  check(
    versioned.version === expected,
    `${manifest.name}: version ${versioned.version}, planned ${expected}`,
  );
  if (!release) continue;
  const changelogPath = join(copy, 'packages', dir, 'CHANGELOG.md');
  const changelog = existsSync(changelogPath) ? readFileSync(changelogPath, 'utf8') : '';
  check(
    changelog.includes(`## ${release.newVersion}`),
    `${manifest.name}: CHANGELOG.md lacks ## ${release.newVersion}`,
  );
  for (const id of release.changesets) {
    const summary =
      plan.changesets
        .find((c) => c.id === id)
        ?.summary.trim()
        .split('\n')[0] ?? '';
    check(summary !== '', `.changeset/${id}.md has no summary: the changelog would say nothing`);
    check(changelog.includes(summary), `${manifest.name}: CHANGELOG.md lacks changeset ${id}`);
  }
}

// 4. Pack each package as it would be published, and look inside.
// Only tarballs are replaced: `--out` may name a folder that holds other things.
mkdirSync(out, { recursive: true });
for (const file of readdirSync(out).filter((f) => f.endsWith('.tgz'))) rmSync(join(out, file));
for (const { dir, manifest } of publicPackages) {
  step(`pnpm pack ${manifest.name}`, () =>
    run('pnpm', ['pack', '--pack-destination', out], join(copy, 'packages', dir)),
  );
}
const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz'));
check(
  tarballs.length === publicPackages.length,
  `expected ${publicPackages.length} tarballs, got ${tarballs.length}`,
);
for (const tarball of tarballs) {
  const path = join(out, tarball);
  const listing = run('tar', ['-tzf', path], out).split('\n');
  const packed = run('tar', ['-xzOf', path, 'package/package.json'], out);
  const manifest = JSON.parse(packed);
  const release = planned.get(manifest.name);
  check(!packed.includes('workspace:'), `${tarball}: package.json still has a workspace: range`);
  check(!release || manifest.version === release.newVersion, `${tarball}: version ${manifest.version}`);
  for (const required of ['package/README.md', 'package/LICENSE', 'package/package.json']) {
    check(
      listing.includes(required),
      `${tarball}: ${required.slice('package/'.length)} is not in the tarball`,
    );
  }
  check(
    listing.some((file) => file.startsWith('package/dist/')),
    `${tarball}: no dist/ in the tarball`,
  );
  const peers = Object.entries(manifest.peerDependencies ?? {}).filter(([name]) =>
    name.startsWith('@coatcheck/'),
  );
  console.log(
    `  ${manifest.name}@${manifest.version}: ${listing.length - 1} files` +
      (peers.length ? `, peers ${peers.map(([name, range]) => `${name}@${range}`).join(', ')}` : ''),
  );
}

if (failures.length > 0) fail(`release dry run found:\n  - ${failures.join('\n  - ')}`);
console.log(`release dry run passed: ${tarballs.length} tarballs in\n${out}`);

function step(name, action) {
  try {
    action();
    console.log(`  ✓ ${name}`);
  } catch (error) {
    fail(`${name} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
  }
}

function fail(message) {
  console.error(`release dry run: ${message}`);
  process.exit(1);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
