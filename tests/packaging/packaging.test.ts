import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Users install from npm, not from our workspace: pack every public package, install the tarballs with
 * npm into a fresh project outside the workspace, and use them there from ESM, CJS, Node 20 and 24.
 */
const root = resolve(import.meta.dirname, '../..');
const publicPackages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);
const manifests = publicPackages.map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
const names = manifests.map((manifest) => manifest.name as string);
// Packages with a `require` export condition; the store test suite is ESM-only, like vitest.
const requirable = manifests
  .filter((m) => JSON.stringify(m.exports).includes('"require"'))
  .map((m) => m.name as string);
// Peer dependencies a user would install next to our packages.
const peers = ['vitest@~4.1.12', 'ioredis@^5.9.2', 'mongodb@^7.9.0', '@prisma/client@~7.10.0'];

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'coatcheck-packaging-'));
  const tarballs = join(project, 'tarballs');
  for (const dir of publicPackages) {
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, stdio: 'pipe' });
  }
  cpSync(join(import.meta.dirname, 'fixture'), project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }),
  );
  const packed = readdirSync(tarballs).map((file) => join(tarballs, file));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...packed, ...peers], {
    cwd: project,
    stdio: 'pipe',
  });
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the published packages, installed with npm outside the workspace', () => {
  it('resolves our packages from the tarballs, not from the workspace', () => {
    const core = JSON.parse(readFileSync(join(project, 'node_modules/@coatcheck/core/package.json'), 'utf8'));
    expect(core.name).toBe('@coatcheck/core');
    expect(readdirSync(join(project, 'node_modules/@coatcheck'))).toEqual(
      expect.arrayContaining(names.map((n) => n.split('/')[1])),
    );
    // No workspace protocol may leak into a published manifest.
    for (const name of names) {
      const manifest = readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8');
      expect(manifest).not.toContain('workspace:');
    }
  });

  it.each(['node', 'node24'])('loads every package through import and require on %s', (runtime) => {
    const node = runtime === 'node' ? ['node'] : ['npx', '-y', 'node@24'];
    const run = (file: string, packages: string[]) =>
      execFileSync(node[0] as string, [...node.slice(1), file, ...packages], {
        cwd: project,
        encoding: 'utf8',
      });
    expect(run('import.mjs', names)).toContain('imported @coatcheck/core');
    expect(run('require.cjs', requirable)).toContain('required @coatcheck/core');
  });

  it.each(['node', 'node24'])(
    'runs a server that creates, reads and destroys a session on %s',
    async (runtime) => {
      const node = runtime === 'node' ? ['node'] : ['npx', '-y', 'node@24'];
      const server = spawn(node[0] as string, [...node.slice(1), 'server.mjs'], { cwd: project });
      try {
        const base = `http://127.0.0.1:${await portOf(server)}`;
        const created = await fetch(`${base}/create`);
        const cookie = created.headers.get('set-cookie')?.split(';')[0] as string;
        expect(cookie).toMatch(/^coatcheck=/);
        const read = await fetch(`${base}/read`, { headers: { cookie } });
        expect(await read.json()).toEqual({ greeting: 'hello from a packed tarball' });
        const destroyed = await fetch(`${base}/destroy`, { headers: { cookie } });
        expect(destroyed.headers.get('set-cookie')).toMatch(/Max-Age=0/);
        const after = await fetch(`${base}/read`, { headers: { cookie } });
        expect(await after.json()).toEqual({ greeting: null });
      } finally {
        server.kill();
      }
    },
  );
});

function portOf(server: ChildProcess): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let output = '';
    server.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    server.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}
