// Generates one Prisma client per provider from the shipped models, so the tests run the exact models
// a user pastes. Skipped when nothing changed since the last run.
import { fileURLToPath } from 'node:url';
import { generatePrismaClient, shippedPrismaModels } from '@coatcheck/test-utils';

const PROVIDERS = ['postgresql', 'mysql', 'sqlite'] as const;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

export default async function setup(): Promise<void> {
  await Promise.all(
    PROVIDERS.map(async (provider) =>
      generatePrismaClient({
        packageDir,
        name: provider,
        provider,
        models: await shippedPrismaModels(provider),
      }),
    ),
  );
}
