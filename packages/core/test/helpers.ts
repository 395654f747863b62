import {
  createSessions,
  MemoryStore,
  type SessionData,
  type SessionStore,
  type SessionsOptions,
} from '../src/index.js';
import { manualClock } from '../src/testing.js';

export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
export const OLD_SECRET = 'old-secret-0123456789-abcdefghijklmnopq';

/** A controllable clock shared by the manager and the MemoryStore. */
export function clock(start = Date.UTC(2026, 0, 1)) {
  return manualClock(start);
}

/** A manager over a fresh MemoryStore, with a fake clock. */
export function setup<Data extends SessionData = SessionData>(
  options: Partial<SessionsOptions<Data>> & { wrapStore?: (store: MemoryStore) => SessionStore } = {},
) {
  const time = clock();
  const memory = new MemoryStore({ now: time.now });
  const store = options.store ?? options.wrapStore?.(memory) ?? memory;
  const sessions = createSessions<Data>({ secrets: [SECRET], now: time.now, ...options, store });
  return { sessions, store, time };
}

/** The `name=value` pair of the Set-Cookie header, as a browser would send it back. */
export function cookieOf(headers: Array<[string, string]>): string | undefined {
  const setCookie = headers.find(([name]) => name === 'Set-Cookie')?.[1];
  return setCookie?.split(';')[0];
}

export function setCookieOf(headers: Array<[string, string]>): string | undefined {
  return headers.find(([name]) => name === 'Set-Cookie')?.[1];
}
