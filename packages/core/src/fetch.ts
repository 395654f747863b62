/**
 * Fetch API integration (Web `Request` in, `Response` out): Next.js route handlers and middleware,
 * Bun, Deno, Cloudflare Workers and any runtime with Web Crypto.
 * @module
 */
import { CoatcheckError } from './errors.js';
import {
  type CsrfTokenOptions,
  checkGuardOptions,
  type GuardOptions,
  type IntegrationOptions,
  isFormContentType,
  requireCsrfTokenReply,
  requireUserReply,
  resolveCsrfTokenOptions,
  type SessionPort,
  sessionPipeline,
} from './integration.js';
import type { Session, SessionData } from './session.js';
import type { Sessions } from './sessions.js';
import {
  pathAndQuery,
  replyResponse,
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
   * Only behind a proxy that sets them; otherwise list your public origin in `originCheck.trustedOrigins`.
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
  const open = sessionPipeline(sessions, options, fetchPort(options));
  return <Args extends unknown[]>(
    handler: (request: Request, session: Session<Data>, ...args: Args) => Response | Promise<Response>,
  ) => {
    if (typeof handler !== 'function') {
      throw new CoatcheckError('INVALID_ARGUMENT', 'withSession(sessions)(handler) needs a handler function');
    }
    return async (request: Request, ...args: Args): Promise<Response> => {
      const opened = await open(request);
      if ('status' in opened) return replyResponse(opened);
      return respond(opened, await handler(request, opened.session, ...args));
    };
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
  const open = sessionPipeline(sessions, options, fetchPort(options));
  return open(request).then((opened): LoadedSession<Data> => {
    if ('status' in opened) return { ok: false, response: replyResponse(opened) };
    return {
      ok: true,
      session: opened.session,
      async commit(headers = new Headers()) {
        await opened.commit({ headers });
        return headers;
      },
      async respond(response) {
        return respond(opened, response);
      },
    };
  });
}

/**
 * Guard: a response refusing a request without a logged-in user — 401 JSON, or a 303 redirect when
 * `redirectTo` is set — or `null` to go on.
 *
 * ```ts
 * const refused = await requireUser(request, session, { redirectTo: '/login' });
 * if (refused) return refused;
 * ```
 */
export async function requireUser<Data extends SessionData>(
  request: Request,
  session: Session<Data>,
  options: GuardOptions<Data> = {},
): Promise<Response | null> {
  checkGuardOptions(options);
  const url = () => pathAndQuery(request.url);
  const reply = await requireUserReply(session, url, options, 'withSession() or loadSession()');
  return reply && replyResponse(reply);
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
  const source = {
    method: request.method,
    header: (name: string) => request.headers.get(name),
    bodyField: async (field: string) =>
      isFormContentType(request.headers.get('content-type'))
        ? (await request.clone().formData()).get(field)
        : undefined,
  };
  const settings = resolveCsrfTokenOptions(options);
  const reply = await requireCsrfTokenReply(session, source, settings, 'withSession() or loadSession()');
  return reply && replyResponse(reply);
}

function fetchPort(options: FetchSessionOptions): SessionPort<Request, WebResponse> {
  const { ip, trustProxy } = webOptions(options);
  return {
    method: (request) => request.method,
    header: (request, name) => request.headers.get(name),
    ownOrigin: (request) => webRequestOrigin(request, trustProxy),
    ip: (request) => ip?.(request),
    ...webResponseHeaders,
  };
}
