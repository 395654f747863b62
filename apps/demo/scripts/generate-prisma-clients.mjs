// Generates the demo's Prisma clients (one per SQL provider) from the models @coatcheck/store-prisma
// ships, exactly as an app would: the shipped model pasted under its own generator and datasource, then
// `prisma generate`. Skipped when the models and the Prisma version are those of the last run.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const demoDir = dirname(dirname(fileURLToPath(import.meta.url)));
const prismaCli = require.resolve('prisma/build/index.js');
const prismaVersion = require('prisma/package.json').version;

export const PROVIDERS = ['sqlite', 'postgresql', 'mysql'];

/** Generates `generated/<provider>/client` unless it is up to date. */
export async function generatePrismaClient(provider) {
  const models = await Promise.all(
    ['session', 'session-event'].map((name) =>
      readFile(require.resolve(`@coatcheck/store-prisma/schema/${provider}/${name}.prisma`), 'utf8'),
    ),
  );
  const schema = [
    'generator client {',
    '  provider            = "prisma-client"',
    '  output              = "./client"',
    '  moduleFormat        = "esm"',
    '  importFileExtension = "js"',
    '}',
    '',
    `datasource db {\n  provider = "${provider}"\n}`,
    '',
    ...models,
  ].join('\n');
  const target = join(demoDir, 'generated', provider);
  const hash = createHash('sha256').update(`${prismaVersion}\n${schema}`).digest('hex');
  if ((await readFile(join(target, 'schema.sha256'), 'utf8').catch(() => '')) === hash) return;

  // Generate beside the target and swap it in: a concurrent run never sees a half-written client.
  const staging = join(demoDir, 'generated', `.${provider}-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, 'schema.prisma'), schema);
  // `prisma generate` never runs the schema engine, but the CLI wants one to exist and cannot download
  // it offline; any executable will do (see ENVIRONMENT.md).
  const env = { PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', ...process.env, CHECKPOINT_DISABLE: '1' };
  await promisify(execFile)(
    process.execPath,
    [prismaCli, 'generate', '--schema', 'schema.prisma', '--no-hints'],
    {
      cwd: staging,
      env,
    },
  );
  await writeFile(join(staging, 'schema.sha256'), hash);
  await rm(target, { recursive: true, force: true });
  await rename(staging, target).catch(async (error) => {
    await rm(staging, { recursive: true, force: true });
    // Another run swapped in the same client first.
    if ((await readFile(join(target, 'schema.sha256'), 'utf8').catch(() => '')) !== hash) throw error;
  });
  console.log(`generated the ${provider} Prisma client (apps/demo/generated/${provider})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all(PROVIDERS.map(generatePrismaClient));
}
