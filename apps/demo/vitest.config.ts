import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'demo',
    globalSetup: ['./test/global-setup.ts'],
    // Real servers and a real browser on a shared, noisy machine: generous waits, never timing assertions.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
