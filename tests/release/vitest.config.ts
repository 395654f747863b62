import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'release', testTimeout: 120_000 } });
