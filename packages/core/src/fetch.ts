/**
 * Fetch API integration (Web `Request` in, `Response` out): Next.js route handlers and middleware,
 * Bun, Deno, Cloudflare Workers and any runtime with Web Crypto.
 * @module
 */
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
  type ResolvedIntegrationOptions,
  resolveCsrfTokenOptions,
  resolveIntegrationOptions,
  webHeaderTarget,
  webRequestOrigin,
  writeSessionHeaders,
} from './integration.js';
import { internalsOf, type Session, type SessionData } from './session.js';
import type { CommitResult, Sessions } from './sessions.js';

export { csrfToken, verifyCsrfToken } from './csrf.js';
export type { CsrfOptions, CsrfTokenOptions, GuardOptions, IntegrationOptions } from './integration.js';

/** Options of {@link withSession} and {@link loadSession}. */
export interface FetchSessionOptions extends IntegrationOptions {
  /**
   * The client's IP address, recorded with the session (for "your devices" lists), e.g.
   * `(request) => request.headers.get('cf-connecting-ip')` on Cloudflare.
   * @default undefined (not recorded)
   */
  ip?: (request: Request) => string | undefined | null;
  /**
   * Trust `X-Forwarded-Proto` and `X-Forwarded-Host` for the request's own origin (the Origin check).
   * Only behind a proxy that sets them; otherwise list your public origin in `csrf.trustedOrigins`.
   * @default false
   */
  trustProxy?: boolean;
}

/** What {@link loadSession} returns: a session, or the response that refused the request. */
export type LoadedSession<Data extends SessionData = SessionData> =
  | {
      ok: true;
      session: Session<Data>;
      /**
       * Saves the session and returns the headers the response must carry (`Set-Cookie`,
       * `Cache-Control`, `Vary`). Pass the response's own (mutable) headers to write into them, so its
       * `Cache-Control` and `Vary` are respected; otherwise a new `Headers` is returned. Call it once, before
       * the response is sent. Throws the core's `STORE_ERROR` on a store outage.
       */
      commit(headers?: Headers): Promise<Headers>;
      /**
       * Saves the session and returns `response` carrying its headers (a copy when its headers are
       * immutable, as with `Response.redirect()` or `fetch()`), or a 503 JSON response on a store outage.
       */
      respond(response: Response): Promise<Response>;
    }
  | {
      ok: false;
      /** 403 for a cross-site request, 503 when the store is down. Return it as is. */
      response: Response;
    };

/**
 * Wraps a Fetch handler: the session is loaded before it runs and saved, with its headers added to the
 * response, after. Extra arguments (Next.js' `context`, Cloudflare's `env` and `ctx`) pass through.
 *
 * ```ts
 * export const POST = withSession(sessions)(async (request, session) => Response.json({ user: session.userId }));
 * ```
 */
export function withSession<Data extends SessionData>(
  sessions: Sessions<Data>,
  options: FetchSessionOptions = {},
) {
  const settings = resolveIntegrationOptions(options);
  return <Args extends unknown[]>(
    handler: (request: Request, session: Session<Data>, ...args: Args) => Response | Promise<Response>,
  ) =>
    async (request: Request, ...args: Args): Promise<Response> => {
      const loaded = await open(sessions, request, settings, options);
      if (!loaded.ok) return loaded.response;
      return loaded.respond(await handler(request, loaded.session, ...args));
    };
}

/**
 * Loads the session of a request, for code that builds its response itself (Next.js middleware):
 *
 * ```ts
 * const loaded = await loadSession(sessions, request);
 * if (!loaded.ok) return loaded.response;
 * return loaded.respond(NextResponse.next());
 * ```
 */
export function loadSession<Data extends SessionData>(
  sessions: Sessions<Data>,
  request: Request,
  options: FetchSessionOptions = {},
): Promise<LoadedSession<Data>> {
  return open(sessions, request, resolveIntegrationOptions(options), options);
}

/**
 * Guard: a response refusing a request without a valid session (by default: a logged-in one) — 401
 * JSON, or a 303 redirect when `redirectTo` is set — or `null` to go on.
 *
 * ```ts
 * const refused = await requireSession(request, session, { redirectTo: '/login' });
 * if (refused) return refused;
 * ```
 */
export async function requireSession<Data extends SessionData>(
  request: Request,
  session: Session<Data>,
  options: GuardOptions<Data> = {},
): Promise<Response | null> {
  checkGuardOptions(options);
  const url = new URL(request.url);
  let refusal: Awaited<ReturnType<typeof guardRefusal>>;
  try {
    refusal = await guardRefusal(session, url.pathname + url.search, options);
  } catch (error) {
    if (!isStoreError(error)) throw error;
    return Response.json(ERROR_BODIES.storeUnavailable, { status: 503 });
  }
  if (!refusal) return null;
  if (refusal.status === 401) return Response.json(refusal.body, { status: 401 });
  return new Response(null, { status: 303, headers: { location: refusal.location } });
}

/**
 * Guard: a 403 response when an unsafe request's CSRF token (from `csrfToken()`) is missing or wrong,
 * or `null` to go on. Reads the `x-csrf-token` header, else the `_csrf` field of a form body (from a
 * clone, so the handler can still read the body).
 */
export async function requireCsrfToken<Data extends SessionData>(
  request: Request,
  session: Session<Data>,
  options: CsrfTokenOptions = {},
): Promise<Response | null> {
  const { field, header } = resolveCsrfTokenOptions(options);
  if (!isUnsafeMethod(request.method)) return null;
  let submitted: unknown = request.headers.get(header) ?? undefined;
  if (submitted === undefined && isFormContentType(request.headers.get('content-type'))) {
    submitted = (await request.clone().formData()).get(field);
  }
  if (verifyCsrfToken(session, submitted)) return null;
  return Response.json(ERROR_BODIES.invalidCsrfToken, { status: 403 });
}

async function open<Data extends SessionData>(
  sessions: Sessions<Data>,
  request: Request,
  settings: ResolvedIntegrationOptions,
  options: FetchSessionOptions,
): Promise<LoadedSession<Data>> {
  const onError = options.onError ?? console.error;
  const crossSite = isCrossSiteRequest(settings, {
    method: request.method,
    ownOrigin: webRequestOrigin(request, options.trustProxy ?? false),
    origin: request.headers.get('origin'),
    referer: request.headers.get('referer'),
    secFetchSite: request.headers.get('sec-fetch-site'),
  });
  if (crossSite) return { ok: false, response: Response.json(ERROR_BODIES.crossSite, { status: 403 }) };
  let session: Session<Data>;
  try {
    session = await sessions.load({
      cookie: request.headers.get('cookie'),
      ip: options.ip?.(request) ?? null,
      userAgent: request.headers.get('user-agent'),
    });
  } catch (error) {
    if (!isStoreError(error)) throw error;
    onError(error);
    return { ok: false, response: Response.json(ERROR_BODIES.storeUnavailable, { status: 503 }) };
  }
  const carriedSession = !session.isNew;
  const write = (headers: Headers, committed: CommitResult['headers']) =>
    writeSessionHeaders(
      webHeaderTarget(headers),
      committed,
      { carried: carriedSession, read: internalsOf(session).wasRead },
      settings.cacheControl,
    );
  return {
    ok: true,
    session,
    async commit(headers = new Headers()) {
      write(headers, (await sessions.commit(session)).headers);
      return headers;
    },
    async respond(response) {
      let committed: CommitResult['headers'];
      try {
        committed = (await sessions.commit(session)).headers;
      } catch (error) {
        onError(error);
        await response.body?.cancel().catch(() => undefined);
        const { status, body } = failureResponse(error);
        return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
      }
      try {
        write(response.headers, committed);
        return response;
      } catch {
        // Immutable headers (Response.redirect(), fetch()): carry the response over to a copy.
        const copy = new Response(response.body, response);
        write(copy.headers, committed);
        return copy;
      }
    },
  };
}
