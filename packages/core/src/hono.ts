/**
 * Hono integration: `app.use(sessionMiddleware(sessions))`, then `c.get('session')`.
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { verifyCsrfToken } from './csrf.js';
import {
  type CsrfTokenOptions,
  checkGuardOptions,
  ERROR_BODIES,
  failureResponse,
  type GuardOptions,
  guardRefusal,
  type IntegrationOptions,
  isCrossSiteRequest,
  isFormContentType,
  isStoreError,
  isUnsafeMethod,
  resolveCsrfTokenOptions,
  resolveIntegrationOptions,
  tokenInBody,
  webHeaderTarget,
  webRequestOrigin,
  writeSessionHeaders,
} from './integration.js';
import { internalsOf, type Session, type SessionData } from './session.js';
import type { Sessions } from './sessions.js';

export { csrfToken, verifyCsrfToken } from './csrf.js';
export type { CsrfOptions, CsrfTokenOptions, GuardOptions, IntegrationOptions } from './integration.js';

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
   * Only behind a proxy that sets them; otherwise list your public origin in `csrf.trustedOrigins`.
   * @default false
   */
  trustProxy?: boolean;
}

/**
 * Hono middleware that loads the session into `c.get('session')` and, after the handler, saves it and
 * adds its headers to `c.res`.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `csrf`).
 * - A store outage gets 503 `{ error }`, never an anonymous session; so does a failed save.
 * - Changes made inside a streaming callback after the handler returned are not saved: call
 *   `await session.save()` there.
 */
export function sessionMiddleware<Data extends SessionData>(
  sessions: Sessions<Data>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const settings = resolveIntegrationOptions(options);
  const onError = options.onError ?? console.error;
  const trustProxy = options.trustProxy ?? false;
  return async function coatcheckSession(c, next) {
    const crossSite = isCrossSiteRequest(settings, {
      method: c.req.method,
      ownOrigin: webRequestOrigin(c.req.raw, trustProxy),
      origin: c.req.header('origin'),
      referer: c.req.header('referer'),
      secFetchSite: c.req.header('sec-fetch-site'),
    });
    if (crossSite) return c.json(ERROR_BODIES.crossSite, 403);
    let session: Session<Data>;
    try {
      session = await sessions.load({
        cookie: c.req.header('cookie'),
        ip: options.ip?.(c) ?? null,
        userAgent: c.req.header('user-agent'),
      });
    } catch (error) {
      if (!isStoreError(error)) throw error;
      onError(error);
      return c.json(ERROR_BODIES.storeUnavailable, 503);
    }
    const carriedSession = !session.isNew;
    c.set('session', session);
    await next();
    try {
      const { headers } = await sessions.commit(session);
      const use = { carried: carriedSession, read: internalsOf(session).wasRead };
      let response = c.res;
      try {
        writeSessionHeaders(webHeaderTarget(response.headers), headers, use, settings.cacheControl);
      } catch {
        // Headers of a Response from fetch() are immutable: write them on a copy.
        response = new Response(response.body, response);
        writeSessionHeaders(webHeaderTarget(response.headers), headers, use, settings.cacheControl);
        replaceResponse(c, response);
      }
    } catch (error) {
      onError(error);
      await c.res.body?.cancel().catch(() => undefined);
      const { status, body } = failureResponse(error);
      replaceResponse(c, Response.json(body, { status, headers: { 'cache-control': 'no-store' } }));
    }
  };
}

/**
 * Guard middleware: refuses requests without a valid session (by default: a logged-in one) with 401
 * JSON, or a 303 redirect when `redirectTo` is set.
 *
 * ```ts
 * app.get('/account', requireSession({ redirectTo: '/login' }), handler);
 * ```
 */
export function requireSession<Data extends SessionData = SessionData>(
  options: GuardOptions<Data> = {},
): MiddlewareHandler<SessionEnv<Data>> {
  checkGuardOptions(options);
  return async function coatcheckRequireSession(c, next) {
    const url = new URL(c.req.url);
    let refusal: Awaited<ReturnType<typeof guardRefusal>>;
    try {
      refusal = await guardRefusal(c.get('session'), url.pathname + url.search, options);
    } catch (error) {
      if (!isStoreError(error)) throw error;
      return c.json(ERROR_BODIES.storeUnavailable, 503);
    }
    if (!refusal) return next();
    if (refusal.status === 401) return c.json(refusal.body, 401);
    return c.redirect(refusal.location, 303);
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
  const { field, header } = resolveCsrfTokenOptions(options);
  return async function coatcheckRequireCsrfToken(c, next) {
    if (!isUnsafeMethod(c.req.method)) return next();
    const session = c.get('session');
    if (!session) throw new Error('[coatcheck] requireCsrfToken() runs after sessionMiddleware()');
    let submitted = c.req.header(header);
    if (submitted === undefined && isFormContentType(c.req.header('content-type'))) {
      submitted = tokenInBody(await c.req.parseBody(), field);
    }
    if (verifyCsrfToken(session, submitted)) return next();
    return c.json(ERROR_BODIES.invalidCsrfToken, 403);
  };
}

/** Replaces `c.res` without Hono merging the old response's headers into the new one. */
function replaceResponse(c: Context, response: Response): void {
  c.res = undefined;
  c.res = response;
}
