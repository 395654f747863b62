import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The release commands a maintainer runs (`pnpm changeset …`) work on every Node we support, and a
 * changeset that does not parse stops the release dry run of `pnpm test`.
 */
const root = resolve(import.meta.dirname, '../..');
const wrapper = join(root, 'scripts/changeset.mjs');
const nodes = { 'this Node': [process.execPath], 'Node 24': ['npx', '--yes', 'node@24'] } as const;
const copies: string[] = [];

afterEach(() => {
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
});

/** A two-package workspace with the repository's changeset config and the given changeset. */
function workspaceWith(changeset: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'coatcheck-release-test-'));
  copies.push(copy);
  cpSync(join(root, '.changeset/config.json'), join(copy, '.changeset/config.json'));
  writeFileSync(join(copy, '.changeset/a-change.md'), changeset);
  writeFileSync(join(copy, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n");
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: 'root', private: true }));
  for (const name of ['core', 'store']) {
    const manifest = {
      name: `@example/${name}`,
      version: '0.0.0',
      ...(name === 'store' && { peerDependencies: { '@example/core': 'workspace:^' } }),
    };
    cpSync(join(root, 'LICENSE'), join(copy, 'packages', name, 'LICENSE'));
    writeFileSync(join(copy, 'packages', name, 'package.json'), JSON.stringify(manifest));
  }
  // `changeset status` diffs against main: the workspace is a repository with one commit on main.
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '--no-verify', '-m', 'start'],
  ]) {
    const identity = [
      '-c',
      'user.name=test',
      '-c',
      'user.email=test@localhost',
      '-c',
      'commit.gpgsign=false',
    ];
    execFileSync('git', [...identity, ...args], { cwd: copy });
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

function changeset(cwd: string, args: string[], node: readonly string[] = nodes['this Node']) {
  return spawnSync(node[0], [...node.slice(1), wrapper, ...args], { cwd, encoding: 'utf8' });
}

describe('pnpm changeset', () => {
  it.each(Object.keys(nodes) as Array<keyof typeof nodes>)('starts on %s', (node) => {
    const result = changeset(root, ['--version'], nodes[node]);
    expect(result.stderr).not.toContain('enableCompileCache');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^3\.\d+\.\d+/m);
  });

  it('versions a 0.x package and its peer dependent by their own changesets, not to 1.0.0', () => {
    const copy = workspaceWith(
      '---\n"@example/core": minor\n"@example/store": minor\n---\n\nFirst release.\n',
    );
    const status = changeset(copy, ['status', '--output=plan.json']);
    expect(status.status, status.stderr).toBe(0);
    const version = changeset(copy, ['version']);
    expect(version.status, version.stderr).toBe(0);
    for (const name of ['core', 'store']) {
      const manifest = JSON.parse(readFileSync(join(copy, 'packages', name, 'package.json'), 'utf8'));
      expect(manifest.version).toBe('0.1.0');
      expect(readFileSync(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8')).toContain('First release.');
    }
  });

  it('refuses a changeset whose front matter was lost', () => {
    const copy = workspaceWith('---\n\n## "@example/core": minor\n\nFirst release.\n');
    const status = changeset(copy, ['status']);
    expect(status.status).not.toBe(0);
    expect(`${status.stdout}${status.stderr}`).toContain('could not parse changeset');
  });
});
