import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The databases store-prisma ships models and SQL for. */
export type PrismaProvider = 'postgresql' | 'mysql' | 'sqlite';

const shippedSchemaDir = fileURLToPath(new URL('../../../packages/store-prisma/schema/', import.meta.url));

/** The models @coatcheck/store-prisma ships for `provider`, as text (`schema/<provider>/<name>.prisma`). */
export function shippedPrismaModels(
  provider: PrismaProvider,
  names: readonly string[] = ['session', 'session-event'],
): Promise<string[]> {
  return Promise.all(
    names.map((name) => readFile(join(shippedSchemaDir, provider, `${name}.prisma`), 'utf8')),
  );
}

/** What {@link generatePrismaClient} generates. */
export interface PrismaClientRequest {
  /** The package the client is for: `prisma` is resolved from it and the client goes to its `generated/`. */
  packageDir: string;
  /** The client's folder under `generated/`. */
  name: string;
  provider: PrismaProvider;
  /** Prisma model text, pasted under the generator and datasource as a user would. */
  models: readonly string[];
}

/**
 * Generates a Prisma 7 client (the `prisma-client` generator, ESM, `.js` import extensions) into
 * `<packageDir>/generated/<name>/client` with `prisma generate`, offline, unless the schema and the Prisma
 * version are those of the last generation.
 * @returns the client's folder (`client.ts` inside).
 */
export async function generatePrismaClient(request: PrismaClientRequest): Promise<string> {
  const { packageDir, name, provider, models } = request;
  const require = createRequire(join(packageDir, 'package.json'));
  const prismaCli = require.resolve('prisma/build/index.js');
  const prismaVersion = (require('prisma/package.json') as { version: string }).version;
  const generatedDir = join(packageDir, 'generated');
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
    '',
    ...models,
  ].join('\n');
  const hash = createHash('sha256').update(`${prismaVersion}\n${schema}`).digest('hex');
  const hashFile = join(target, 'schema.sha256');
  if ((await readFile(hashFile, 'utf8').catch(() => '')) === hash) return join(target, 'client');

  // Generate beside the target, then swap it in, so a concurrent run never imports a half-written client.
  const staging = join(generatedDir, `.${name}-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'schema.prisma'), schema);
  await prismaGenerate(prismaCli, staging);
  await writeFile(join(staging, 'schema.sha256'), hash);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target).catch(async (error: unknown) => {
    await rm(staging, { recursive: true, force: true });
    // Another run swapped in the same client first.
    if ((await readFile(hashFile, 'utf8').catch(() => '')) !== hash) throw error;
  });
  return join(target, 'client');
}

function prismaGenerate(prismaCli: string, cwd: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  // `prisma generate` never runs the schema engine, but the CLI wants one to exist; without network
  // access it cannot download it, so any executable will do.
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync('/bin/true'))
    env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/true';
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [prismaCli, 'generate', '--schema', 'schema.prisma', '--no-hints'],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`prisma generate failed (exit ${code}):\n${output}`)),
    );
  });
}
