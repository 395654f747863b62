// The demo's sessions: what a session holds and how the session manager is configured. Routes, pages
// and the app import this module; it imports only the cart's types and the store it is given.
import { createSessions, type Sessions } from '@coatcheck/core';
import type { CartSessionData, ItemId } from './cart.js';
import type { DemoConfig } from './config.js';
import type { OpenedStore } from './stores.js';

/** What the demo keeps in a session. */
export type DemoSessionData = CartSessionData;

// Types `req.session` as a session of DemoSessionData.
declare module '@coatcheck/core/express' {
  interface SessionData {
    cart: ItemId[];
  }
}

export type DemoStore = Pick<OpenedStore, 'label' | 'auditLog'>;

/** Creates the session manager the configuration asks for. */
export function demoSessions(config: DemoConfig, store: OpenedStore): Sessions<DemoSessionData> {
  return createSessions<DemoSessionData>({
    ...(store.store ? { store: store.store } : { cookieOnly: true }),
    secrets: config.secrets,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    absoluteTimeoutSeconds: config.absoluteTimeoutSeconds,
    // In production the browser enforces Secure, Path=/ and no Domain for a `__Host-` cookie. Locally the
    // demo runs on plain http, which a Secure cookie would not survive in every browser.
    cookie: config.production ? { name: '__Host-coatcheck' } : { name: 'coatcheck', secure: false },
  });
}
