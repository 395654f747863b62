// The Prisma client of the "prisma" group, generated offline (no schema engine needed, see
// tools/test-utils): Coatcheck's shipped model (renamed, as its README allows) beside
// @quixo3/prisma-session-store's `Session` model from its README, in one schema.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrismaClient, shippedPrismaModels } from '@coatcheck/test-utils';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

export const QUIXO3_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS "express_sessions" ("id" TEXT PRIMARY KEY, "sid" TEXT NOT NULL UNIQUE, ' +
  '"data" TEXT NOT NULL, "expiresAt" TIMESTAMP(3) NOT NULL)';

/** Generates the client (cached by schema hash) and returns the path of its one-file ESM bundle. */
export async function benchPrismaClient() {
  const [session] = await shippedPrismaModels('postgresql', ['session']);
  const clientDir = await generatePrismaClient({
    packageDir: benchDir,
    name: 'bench-postgresql',
    provider: 'postgresql',
    models: [
      session.replace('model Session {', 'model CoatcheckSession {'),
      'model Session {\n  id        String   @id\n  sid       String   @unique\n  data      String\n  expiresAt DateTime\n\n  @@map("express_sessions")\n}\n',
    ],
  });
  // Node 20 cannot import the generated TypeScript: bundle it once with esbuild (tsup's).
  const bundle = join(clientDir, '..', 'client.mjs');
  const hash = await readFile(join(clientDir, '..', 'schema.sha256'), 'utf8');
  if (!existsSync(bundle) || !(await readFile(bundle, 'utf8')).startsWith(`// ${hash}`)) {
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild');
    await esbuild.build({
      entryPoints: [join(clientDir, 'client.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      banner: { js: `// ${hash}` },
      logLevel: 'warning',
    });
  }
  return bundle;
}
