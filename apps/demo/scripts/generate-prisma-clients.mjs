// Generates the demo's Prisma clients (one per SQL provider) from the models @coatcheck/store-prisma
// ships, exactly as an app would: the shipped models pasted under a generator and a datasource, then
// `prisma generate` (offline; tools/test-utils). Skipped when the models and the Prisma version are those
// of the last run.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrismaClient as generate, shippedPrismaModels } from '@coatcheck/test-utils';

const demoDir = dirname(dirname(fileURLToPath(import.meta.url)));

export const PROVIDERS = ['sqlite', 'postgresql', 'mysql'];

/** Generates `generated/<provider>/client` unless it is up to date. */
export async function generatePrismaClient(provider) {
  await generate({
    packageDir: demoDir,
    name: provider,
    provider,
    models: await shippedPrismaModels(provider),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all(PROVIDERS.map(generatePrismaClient));
}
