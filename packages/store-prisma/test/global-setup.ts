// Generates one Prisma client per provider from the shipped models, so the tests run the exact models
// a user pastes. Skipped when nothing changed since the last run.
import { generateClient, shippedModels } from '../scripts/generate-prisma-client.mjs';

const PROVIDERS = ['postgresql', 'mysql', 'sqlite'] as const;

export default async function setup(): Promise<void> {
  await Promise.all(
    PROVIDERS.map(async (provider) =>
      generateClient({ name: provider, provider, models: await shippedModels(provider) }),
    ),
  );
}
