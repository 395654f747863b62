import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-redis',
    globalSetup: ['./test/global-setup.ts'],
    // Real servers on a shared, noisy machine: generous waits, never sub-100ms timing.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
