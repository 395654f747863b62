import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-prisma',
    globalSetup: ['./test/global-setup.ts'],
    // Real databases on a shared machine: generous limits, never timing assertions.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
