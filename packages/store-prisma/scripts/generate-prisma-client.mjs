// Generates a Prisma client from the shipped models, offline, for the tests and the benchmark.
// Skips the work when the schema and the Prisma version are those of the last generation.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const prismaVersion = require('prisma/package.json').version;

/** Where generated clients go (git-ignored). */
export const generatedDir = join(packageDir, 'generated');

/** The shipped model files of a provider, as text. */
export async function shippedModels(provider, names = ['session', 'session-event']) {
  return Promise.all(
    names.map((name) => readFile(join(packageDir, 'schema', provider, `${name}.prisma`), 'utf8')),
  );
}

/**
 * Generates a client into `generated/<name>` from `models` (Prisma model text) for `provider`.
 * @returns the folder of the client (`client.ts` inside).
 */
export async function generateClient({ name, provider, models }) {
  const target = join(generatedDir, name);
  const schema = [
    'generator client {',
    '  provider            = "prisma-client"',
    '  output              = "./client"',
    '  moduleFormat        = "esm"',
    '  runtime             = "nodejs"',
    '  importFileExtension = "js"',
    '}',
    '',
    `datasource db {\n  provider = "${provider}"\n}`,
    ...models,
  ].join('\n');
  const hash = createHash('sha256').update(`${prismaVersion}\n${schema}`).digest('hex');
  const hashFile = join(target, 'schema.sha256');
  if ((await readFile(hashFile, 'utf8').catch(() => '')) === hash) return join(target, 'client');

  // Generate beside the target, then swap it in, so a concurrent run never imports a half-written client.
  const staging = join(generatedDir, `.${name}-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'schema.prisma'), schema);
  await run(process.execPath, [prismaCli, 'generate', '--schema', 'schema.prisma', '--no-hints'], staging);
  await writeFile(join(staging, 'schema.sha256'), hash);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target).catch(async (error) => {
    // Another run swapped in the same client first.
    if (!existsSync(hashFile)) throw error;
    await rm(staging, { recursive: true, force: true });
  });
  return join(target, 'client');
}

function run(command, args, cwd) {
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  // `prisma generate` never runs the schema engine, but the CLI wants one to exist; without network
  // access it cannot download it, so any executable will do.
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync('/bin/true'))
    env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/true';
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`prisma generate failed (exit ${code}):\n${output}`)),
    );
  });
}
