import { MemoryStore } from '@coatcheck/core';
import { runStoreConformance } from '../src/index.js';

runStoreConformance({ name: 'MemoryStore', createStore: () => new MemoryStore() });
