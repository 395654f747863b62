import { defineProject } from 'vitest/config';

// Runs the benchmark harness once for real (about 20 s), so give it room on a loaded machine.
export default defineProject({ test: { name: 'bench', testTimeout: 90_000 } });
