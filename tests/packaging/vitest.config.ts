import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'packaging', testTimeout: 300_000, hookTimeout: 300_000 } });
