import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/server.ts'],
  format: ['esm'],
  target: 'node20',
  // Keeps the dynamically imported stores (and the generated Prisma clients) in chunks of their own.
  splitting: true,
  sourcemap: true,
  clean: true,
});
