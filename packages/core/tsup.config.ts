import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'src/express.ts',
    fastify: 'src/fastify.ts',
    hono: 'src/hono.ts',
    fetch: 'src/fetch.ts',
    store: 'src/store-kit.ts',
    testing: 'src/testing.ts',
  },
  format: ['esm', 'cjs'],
  // Shared code goes to chunks in both formats, so every entry sees the same classes.
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
