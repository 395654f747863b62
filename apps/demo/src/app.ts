import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isCoatcheckError, type Sessions } from '@coatcheck/core';
import { sessionMiddleware } from '@coatcheck/core/express';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { api } from './api.js';
import type { DemoConfig } from './config.js';
import { pages } from './pages.js';
import { type DemoSessionData, type DemoStore, demoSessions } from './sessions.js';
import { openStore } from './stores.js';

/** The Express app: static files, the health check, then everything that has a session. */
export function createApp(
  sessions: Sessions<DemoSessionData>,
  store: DemoStore,
  config: DemoConfig,
): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a TLS-terminating proxy, Express must trust it to see https and the public host; the
  // Origin check compares against them.
  if (config.trustProxy) app.set('trust proxy', trustProxySetting(config.trustProxy));
  app.use(express.static(fileURLToPath(new URL('../public', import.meta.url)), { index: false }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Loads req.session, refuses cross-site unsafe requests (403), saves the session before the response.
  app.use(sessionMiddleware(sessions));
  app.use('/api', api(sessions));
  app.use(pages(sessions, store));
  app.use(errorHandler);
  return app;
}

const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const badBody = error?.type === 'entity.parse.failed' || error?.type === 'entity.too.large';
  const storeDown = isCoatcheckError(error) && error.code === 'STORE_ERROR';
  if (!badBody) console.error(error);
  const status = badBody ? 400 : storeDown ? 503 : 500;
  const message = badBody
    ? 'The request body is not valid JSON (or too large)'
    : storeDown
      ? 'The session store is unavailable, try again in a moment'
      : 'Something went wrong';
  if (req.path.startsWith('/api/')) res.status(status).json({ error: message });
  else res.status(status).type('text').send(message);
};

function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** A running demo. */
export interface RunningDemo {
  url: string;
  sessions: Sessions<DemoSessionData>;
  storeLabel: string;
  close(): Promise<void>;
}

/** Opens the store, starts the server on `config.port` and resolves once it listens. */
export async function startDemo(config: DemoConfig): Promise<RunningDemo> {
  const store = await openStore(config);
  const sessions = demoSessions(config, store);
  // The SQL stores keep an audit trail of session events, shown on the devices page.
  store.auditLog?.attach(sessions);
  const app = createApp(sessions, store, config);
  const server = await new Promise<ReturnType<Express['listen']>>((resolve, reject) => {
    const listening = app.listen(config.port, () => resolve(listening)).once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    sessions,
    storeLabel: store.label,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await sessions.close(); // stops the store's timers
      await store.close(); // closes its client
    },
  };
}
