import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PORT_RANGES, startFerretDb, type TestFerretDb } from '@coatcheck/test-utils';
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
const peers = [
  'vitest@~4.1.12',
  'ioredis@^5.9.2',
  'mongodb@^7.9.0',
  'prisma@~7.10.0',
  '@prisma/client@~7.10.0',
  '@prisma/adapter-pg@~7.10.0',
];
// `pnpm test` passes the tarballs of its release dry run (scripts/release-dry-run.mjs): versioned by
// `changeset version` and packed as a release would pack them. Run alone, the test packs the workspace.
const packedDir = process.env.COATCHECK_PACKED_DIR;
const databaseUrl = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const pgSchema = `packaging_${process.pid}_${Date.now()}`;

let project: string;
let ferretDb: TestFerretDb;

beforeAll(async () => {
  ferretDb = await startFerretDb(PORT_RANGES.packagingFerretDb);
  project = mkdtempSync(join(tmpdir(), 'coatcheck-packaging-'));
  const tarballs = join(project, 'tarballs');
  if (packedDir) {
    cpSync(packedDir, tarballs, { recursive: true });
  } else {
    for (const dir of publicPackages) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, stdio: 'pipe' });
    }
  }
  cpSync(join(import.meta.dirname, 'fixture'), project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }),
  );
  const packed = readdirSync(tarballs)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => join(tarballs, file));
  expect(packed).toHaveLength(publicPackages.length);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...packed, ...peers], {
    cwd: project,
    stdio: 'pipe',
  });

  // What the store-prisma README tells a user to do: paste the model, `prisma generate`, apply the SQL.
  const shipped = join(project, 'node_modules/@coatcheck/store-prisma/schema/postgresql');
  writeFileSync(
    join(project, 'schema.prisma'),
    [
      'generator client {\n  provider = "prisma-client"\n  output = "./generated"\n  importFileExtension = "ts"\n}',
      'datasource db {\n  provider = "postgresql"\n}',
      readFileSync(join(shipped, 'session.prisma'), 'utf8'),
    ].join('\n'),
  );
  // Prisma's schema engine cannot be downloaded here and `generate` does not need it (ENVIRONMENT.md).
  execFileSync('npx', ['prisma', 'generate', '--schema', 'schema.prisma'], {
    cwd: project,
    stdio: 'pipe',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true',
    },
  });
  execFileSync('psql', [databaseUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE SCHEMA "${pgSchema}"`]);
  execFileSync('psql', [databaseUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(shipped, 'session.sql')], {
    env: { ...process.env, PGOPTIONS: `-c search_path=${pgSchema}` },
  });
});

afterAll(async () => {
  execFileSync('psql', [databaseUrl, '-q', '-c', `DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`], {
    stdio: 'ignore',
  });
  await ferretDb?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

const runtimes = { node: ['node'], node24: ['npx', '-y', 'node@24'] } as const;
// Every store joins: its package installed from its tarball, talking to a real server.
const servers = [
  ['node', 'memory'],
  ['node24', 'memory'],
  ['node', 'redis'],
  ['node24', 'redis'],
  ['node', 'mongo'],
  // The generated Prisma client is TypeScript: Node 24 strips the types; Node 20 users compile it.
  ['node24', 'postgres'],
] as const;

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

  it.each(['node', 'node24'] as const)('loads every package through import and require on %s', (runtime) => {
    const node = runtimes[runtime];
    const run = (file: string, packages: string[]) =>
      execFileSync(node[0], [...node.slice(1), file, ...packages], {
        cwd: project,
        encoding: 'utf8',
      });
    expect(run('import.mjs', names)).toContain('imported @coatcheck/core');
    expect(run('require.cjs', requirable)).toContain('required @coatcheck/core');
  });

  it.each(servers)(
    'runs a server on %s with the %s store that creates, reads and destroys a session',
    async (runtime, store) => {
      const node = runtimes[runtime];
      const env = {
        ...process.env,
        STORE: store,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        MONGO_URL: ferretDb.url,
        DATABASE_URL: databaseUrl,
        PG_SCHEMA: pgSchema,
      };
      const server = spawn(node[0], [...node.slice(1), 'server.mjs'], { cwd: project, env });
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
