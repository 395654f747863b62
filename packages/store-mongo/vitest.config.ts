import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-mongo',
    globalSetup: ['./test/global-setup.ts'],
    // globalSetup has no timeout: the first run builds FerretDB (minutes), later runs reuse the binary.
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
