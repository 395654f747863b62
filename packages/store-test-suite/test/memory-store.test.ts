import { MemoryStore } from '@coatcheck/core';
import { runStoreConformance } from '../src/index.js';

runStoreConformance({
  name: 'MemoryStore',
  // The race cases leave thousands of markers (each lives five minutes) in this one store: at the default
  // cap of 10,000 it would start evicting, and an evicted marker or announcement is exactly what a racing
  // logout needs (see MemoryStore's README section).
  createStore: () => new MemoryStore({ maxSessions: 1_000_000 }),
});
