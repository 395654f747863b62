// Group "memory": Express with in-process stores. No store commands to count.
import { MemoryStore } from '@coatcheck/core';
import expressSession from 'express-session';
import { coatcheckExpressApp, expressSessionApp, listenExpress, newExpressApp } from './common.mjs';
import { bareExpressRoutes } from './routes.mjs';

export const contenders = {
  async 'bare Express'() {
    const app = newExpressApp();
    bareExpressRoutes(app);
    return listenExpress(app);
  },
  // express-session's README settings, its own MemoryStore.
  'express-session + MemoryStore': () => expressSessionApp(new expressSession.MemoryStore()),
  'coatcheck + MemoryStore': () => coatcheckExpressApp({ store: new MemoryStore() }),
};
