/**
 * Hono integration: `app.use(sessionMiddleware(sessions))`, then `c.get('session')`. Runs the Fetch
 * integration's path over `c.req.raw` and `c.res`.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import {
  type CsrfTokenOptions,
  checkGuardOptions,
  type GuardOptions,
  type IntegrationOptions,
  isFormContentType,
  type Reply,
  requireCsrfTokenReply,
  requireUserReply,
  resolveCsrfTokenOptions,
  type SessionPort,
  sessionPipeline,
  tokenInBody,
} from './integration.js';
import type { Session, SessionData } from './session.js';
import type { Sessions } from './sessions.js';
import {
  pathAndQuery,
  respond,
  type WebResponse,
  webOptions,
  webRequestOrigin,
  webResponseHeaders,
} from './web.js';

export { csrfToken, verifyCsrfToken } from './csrf.js';
export type {
  CsrfTokenOptions,
  GuardOptions,
  IntegrationOptions,
  OriginCheckOptions,
} from './integration.js';

/**
 * Hono environment of an app using sessions: `new Hono<SessionEnv<Data>>()` types `c.get('session')`.
 * Apps chained with `.use(sessionMiddleware(sessions))` get it inferred.
 */
export type SessionEnv<Data extends SessionData = SessionData> = {
  Variables: { session: Session<Data> };
};

/** Options of {@link sessionMiddleware}. */
export interface HonoSessionOptions extends IntegrationOptions {
  /**
   * The client's IP address, recorded with the session (for "your devices" lists). Hono has no
   * runtime-neutral way to read it; use your adapter's, e.g. `(c) => getConnInfo(c).remote.address`.
   * @default undefined (not recorded)
   */
  ip?: (c: Context) => string | undefined | null;
  /**
   * Trust `X-Forwarded-Proto` and `X-Forwarded-Host` for the request's own origin (the Origin check).
   * Only behind a proxy that sets them; otherwise list your public origin in `originCheck.trustedOrigins`.
   * @default false
   */
  trustProxy?: boolean;
}

/**
 * Hono middleware that loads the session into `c.get('session')` and, after the handler, saves it and
 * adds its headers to `c.res`.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `originCheck`).
 * - A store outage gets 503 `{ error }`, never an anonymous session; so does a failed save.
 * - Changes made inside a streaming callback after the handler returned are not saved: call
 *   `await session.save()` there.
 */
export function sessionMiddleware<Data extends SessionData>(
  sessions: Sessions<Data>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const open = sessionPipeline(sessions, options, honoPort(options));
  return async function coatcheckSession(c, next) {
    const opened = await open(c);
    if ('status' in opened) return send(c, opened);
    c.set('session', opened.session);
    await next();
    const committed = respond(opened, c.res);
    const response = committed instanceof Promise ? await committed : committed;
    // Replaced, not merged: assigning over a response makes Hono copy its headers into the new one.
    if (response !== c.res) {
      c.res = undefined;
      c.res = response;
    }
  };
}

/**
 * Guard middleware: refuses requests without a logged-in user with 401 JSON, or a 303 redirect when
 * `redirectTo` is set.
 *
 * ```ts
 * app.get('/account', requireUser({ redirectTo: '/login' }), handler);
 * ```
 */
export function requireUser<Data extends SessionData = SessionData>(
  options: GuardOptions<Data> = {},
): MiddlewareHandler<SessionEnv<Data>> {
  checkGuardOptions(options);
  return async function coatcheckRequireUser(c, next) {
    const url = () => pathAndQuery(c.req.url);
    const reply = await requireUserReply(c.get('session'), url, options, 'sessionMiddleware()');
    return reply ? send(c, reply) : next();
  };
}

/**
 * Guard middleware: refuses unsafe requests whose CSRF token (from `csrfToken()`) is missing or wrong,
 * with 403. Reads the `x-csrf-token` header, else the `_csrf` field of a form body (which stays
 * readable by the handler: Hono caches the parsed body).
 */
export function requireCsrfToken<Data extends SessionData = SessionData>(
  options: CsrfTokenOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const settings = resolveCsrfTokenOptions(options);
  return async function coatcheckRequireCsrfToken(c, next) {
    const source = {
      method: c.req.method,
      header: (name: string) => c.req.header(name),
      bodyField: async (field: string) =>
        isFormContentType(c.req.header('content-type'))
          ? tokenInBody(await c.req.parseBody(), field)
          : undefined,
    };
    const reply = await requireCsrfTokenReply(c.get('session'), source, settings, 'sessionMiddleware()');
    return reply ? send(c, reply) : next();
  };
}

function honoPort(options: HonoSessionOptions): SessionPort<Context, WebResponse> {
  const { ip, trustProxy } = webOptions(options);
  return {
    method: (c) => c.req.method,
    header: (c, name) => c.req.raw.headers.get(name),
    ownOrigin: (c) => webRequestOrigin(c.req.raw, trustProxy),
    ip: (c) => ip?.(c),
    ...webResponseHeaders,
  };
}

/** Sends a reply through Hono, keeping the headers earlier middleware set with `c.header()`. */
function send(c: Context, reply: Reply): Response {
  return c.newResponse(reply.body, reply.status as StatusCode, reply.headers);
}
