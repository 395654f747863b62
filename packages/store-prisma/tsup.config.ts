import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@coatcheck/core'],
  // applySchema finds the shipped SQL next to the bundle through import.meta.url, in the CJS build too.
  shims: true,
});
