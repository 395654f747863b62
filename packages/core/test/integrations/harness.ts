import {
  createSessions,
  MemoryStore,
  type Session,
  type SessionStore,
  type Sessions,
  type SessionsOptions,
} from '../../src/index.js';
import type { IntegrationOptions } from '../../src/integration.js';

export const SECRET = 'integration-secret-0123456789-abcdefghij';

/** Data of the scenario app. */
export type CartData = { cart: string[]; flag?: boolean };

/** The outcome of one request, the same whatever the framework. */
export interface Reply {
  status: number;
  headers: Headers;
  /** Every `Set-Cookie` value. */
  setCookies: string[];
  text: string;
  json(): unknown;
}

export interface SendInit {
  method?: string;
  cookie?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

export interface Harness {
  /** The app's own origin, as a browser on it would send in `Origin`. */
  origin: string;
  send(path: string, init?: SendInit): Promise<Reply>;
  close(): Promise<void>;
}

/** What every framework's scenario app gets: the manager and the integration options. */
export interface AppSetup {
  sessions: Sessions<CartData>;
  options: IntegrationOptions;
}

/** Builds the scenario app in one framework and returns a way to send it requests. */
export type StartApp = (setup: AppSetup) => Promise<Harness>;

/**
 * A store that can be taken down: `'down'` fails every call, `'writes-down'` fails only writes (reads
 * still work, so a request loads its session and then fails to save it), `'index-down'` only the per-user
 * index (a request loads and saves its session, and `listForUser()` fails).
 */
export class FlakyStore implements SessionStore {
  mode: 'up' | 'down' | 'writes-down' | 'index-down' = 'up';
  readonly memory = new MemoryStore();

  private check(write: boolean, index = false): void {
    if (
      this.mode === 'down' ||
      (write && this.mode === 'writes-down') ||
      (index && this.mode === 'index-down')
    ) {
      throw new Error('connection refused (simulated outage)');
    }
  }

  async create(...args: Parameters<SessionStore['create']>) {
    this.check(true);
    return this.memory.create(...args);
  }
  async get(...args: Parameters<SessionStore['get']>) {
    this.check(false);
    return this.memory.get(...args);
  }
  async replace(...args: Parameters<SessionStore['replace']>) {
    this.check(true);
    return this.memory.replace(...args);
  }
  async touch(...args: Parameters<SessionStore['touch']>) {
    this.check(true);
    return this.memory.touch(...args);
  }
  async delete(...args: Parameters<SessionStore['delete']>) {
    this.check(true);
    return this.memory.delete(...args);
  }
  async listByUser(...args: Parameters<NonNullable<SessionStore['listByUser']>>) {
    this.check(false, true);
    return this.memory.listByUser(...args);
  }
  async deleteByUser(...args: Parameters<NonNullable<SessionStore['deleteByUser']>>) {
    this.check(true, true);
    return this.memory.deleteByUser(...args);
  }
}

export function createCartSessions(
  store: SessionStore = new FlakyStore(),
  options: Omit<SessionsOptions<CartData>, 'store' | 'secrets'> = {},
) {
  return createSessions<CartData>({ ...options, store, secrets: [SECRET] });
}

/** A `requireUser()` check that reaches the store: the user has a session in the per-user index. */
export function hasDevices(sessions: Sessions<CartData>) {
  return async (session: Session<CartData>) =>
    (await sessions.listForUser(session.userId as string)).length > 0;
}

/**
 * A `redirectTo` that puts the refused URL back decoded, as apps do by mistake: the location then holds
 * whatever the URL's escapes decode to (non-ASCII, CR LF).
 */
export const loginWithNext = (url: string) => `/login?next=${decodeURIComponent(url)}`;

/** The `name=value` part of a `Set-Cookie`, as the browser sends it back. */
export function cookieFrom(reply: Reply): string {
  const setCookie = reply.setCookies[0];
  if (!setCookie) throw new Error(`expected a Set-Cookie, got status ${reply.status}: ${reply.text}`);
  return setCookie.split(';')[0] as string;
}

/** Builds a `Reply` from a Web `Response`. */
export async function replyFromResponse(response: Response): Promise<Reply> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    text,
    json: () => JSON.parse(text),
  };
}

/** Builds a Web `Request` for Fetch-style apps. */
export function webRequest(origin: string, path: string, init: SendInit = {}): Request {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  let body: string | undefined;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  return new Request(new URL(path, origin), { method: init.method ?? 'GET', headers, body });
}

/** Builds a `Reply` from Node-style header objects (supertest, light-my-request). */
export function replyFromNode(
  status: number,
  rawHeaders: Record<string, string | string[] | number | undefined>,
  text: string,
): Reply {
  const headers = new Headers();
  let setCookies: string[] = [];
  for (const [name, value] of Object.entries(rawHeaders)) {
    if (value === undefined) continue;
    if (name.toLowerCase() === 'set-cookie') setCookies = Array.isArray(value) ? value : [String(value)];
    else headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  return { status, headers, setCookies, text, json: () => JSON.parse(text) };
}
