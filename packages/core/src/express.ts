/**
 * Express 5 and 4 integration: `app.use(sessionMiddleware(sessions))`, then `req.session`.
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { verifyCsrfToken } from './csrf.js';
import {
  type CsrfTokenOptions,
  checkGuardOptions,
  ERROR_BODIES,
  failureResponse,
  type GuardOptions,
  guardRefusal,
  type HeaderTarget,
  type IntegrationOptions,
  isCrossSiteRequest,
  isStoreError,
  isUnsafeMethod,
  ownOriginOf,
  resolveCsrfTokenOptions,
  resolveIntegrationOptions,
  tokenInBody,
  writeSessionHeaders,
} from './integration.js';
import { type SessionData as CoreSessionData, internalsOf, type Session } from './session.js';
import type { Sessions } from './sessions.js';

export { csrfToken, verifyCsrfToken } from './csrf.js';
export type { CsrfOptions, CsrfTokenOptions, GuardOptions, IntegrationOptions } from './integration.js';

/**
 * The shape of `req.session`'s data. Declare yours by merging into it, as with express-session:
 *
 * ```ts
 * declare module '@coatcheck/core/express' {
 *   interface SessionData { cart: string[] }
 * }
 * ```
 * Left empty, `req.session` holds any JSON values.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging
export interface SessionData {}

/** The data type of `req.session`: your {@link SessionData}, or any JSON values when you declared none. */
export type ExpressSessionData = keyof SessionData extends never
  ? CoreSessionData
  : { [Key in keyof SessionData]: SessionData[Key] };

declare global {
  namespace Express {
    interface Request {
      /** The request's session, loaded by `sessionMiddleware()`. */
      session: Session<ExpressSessionData>;
    }
  }
}

/** The parts of Express' request the integration uses (Express 4 and 5 alike). */
export interface ExpressRequest extends IncomingMessage {
  /** The client address, as resolved by Express' `trust proxy` setting. */
  ip?: string | undefined;
  /** `http` or `https`, as resolved by Express' `trust proxy` setting. */
  protocol: string;
  originalUrl: string;
  body?: unknown;
  app: { get(setting: string): unknown };
  session: Session<ExpressSessionData>;
}

type Next = (error?: unknown) => void;
type TrustProxy = (address: string | undefined, hop: number) => boolean;

const LOADED = Symbol('coatcheck.session');

/**
 * Express middleware that loads `req.session` and saves it before the response's headers go out.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `csrf`).
 * - A store outage gets 503 `{ error }`, never an anonymous session.
 * - Nothing the app writes reaches the client before the session is saved: a redirect right after a
 *   change cannot overtake the save. If the save fails, the app's response is replaced by 503.
 */
export function sessionMiddleware<Data extends CoreSessionData>(
  sessions: Sessions<Data>,
  options: IntegrationOptions = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => Promise<void> {
  const settings = resolveIntegrationOptions(options);
  const onError = options.onError ?? console.error;
  return async function coatcheckSession(req, res, next) {
    // Mounted twice (app and router): the first instance owns the session.
    if ((req as { [LOADED]?: true })[LOADED]) return next();
    const crossSite = isCrossSiteRequest(settings, {
      method: req.method ?? 'GET',
      ownOrigin: ownOriginOf(req.protocol, hostOf(req)),
      origin: req.headers.origin,
      referer: req.headers.referer,
      secFetchSite: header(req, 'sec-fetch-site'),
    });
    if (crossSite) return sendJson(res, 403, ERROR_BODIES.crossSite);
    let session: Session<Data>;
    try {
      session = await sessions.load({
        cookie: req.headers.cookie,
        ip: req.ip,
        userAgent: req.headers['user-agent'],
      });
    } catch (error) {
      if (!isStoreError(error)) return next(error);
      onError(error);
      return sendJson(res, 503, ERROR_BODIES.storeUnavailable);
    }
    (req as { [LOADED]?: true })[LOADED] = true;
    req.session = session as unknown as Session<ExpressSessionData>;
    const carriedSession = !session.isNew;
    holdUntilCommitted(
      res,
      async () => {
        const { headers } = await sessions.commit(session);
        const use = { carried: carriedSession, read: internalsOf(session).wasRead };
        return (target) => writeSessionHeaders(target, headers, use, settings.cacheControl);
      },
      onError,
    );
    next();
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
export function requireSession(
  options: GuardOptions<ExpressSessionData> = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => Promise<void> {
  checkGuardOptions(options);
  return async function coatcheckRequireSession(req, res, next) {
    try {
      const refusal = await guardRefusal(req.session, req.originalUrl, options);
      if (!refusal) return next();
      if (refusal.status === 401) return sendJson(res, 401, refusal.body);
      res.statusCode = 303;
      res.setHeader('Location', refusal.location);
      res.end();
    } catch (error) {
      if (!isStoreError(error)) return next(error);
      sendJson(res, 503, ERROR_BODIES.storeUnavailable);
    }
  };
}

/**
 * Refuses unsafe requests whose CSRF token (from {@link csrfToken}) is missing or wrong, with 403. Reads
 * the `x-csrf-token` header, else the `_csrf` body field — so register a body parser
 * (`express.urlencoded()`) before it for HTML forms.
 */
export function requireCsrfToken(
  options: CsrfTokenOptions = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => void {
  const { field, header: headerName } = resolveCsrfTokenOptions(options);
  return function coatcheckRequireCsrfToken(req, res, next) {
    if (!isUnsafeMethod(req.method ?? 'GET')) return next();
    if (!req.session) return next(new Error('[coatcheck] requireCsrfToken() runs after sessionMiddleware()'));
    const submitted = header(req, headerName) ?? tokenInBody(req.body, field);
    if (verifyCsrfToken(req.session, submitted)) return next();
    sendJson(res, 403, ERROR_BODIES.invalidCsrfToken);
  };
}

type ResponseMethod = 'writeHead' | 'write' | 'end' | 'flushHeaders';

/**
 * Holds every header-sending call (`writeHead`, `write`, `end`, `flushHeaders`) from the first one on,
 * commits, writes the session headers, then replays the calls in order. express-session only defers
 * `end` and lets earlier writes send the headers before its save; here nothing escapes before the commit.
 * The wrappers stay installed (pass-through afterwards), so middleware that wrapped them later keeps working.
 */
function holdUntilCommitted(
  res: ServerResponse,
  commit: () => Promise<(target: HeaderTarget) => void>,
  onError: (error: unknown) => void,
): void {
  const original = {
    writeHead: res.writeHead,
    write: res.write,
    end: res.end,
    flushHeaders: res.flushHeaders,
  } as Record<ResponseMethod, (...args: unknown[]) => unknown>;
  let phase: 'open' | 'committing' | 'released' | 'failed' = 'open';
  const held: Array<[ResponseMethod, unknown[]]> = [];

  const release = (writeHeaders: (target: HeaderTarget) => void) => {
    phase = 'released';
    delete (res as { headersSent?: boolean }).headersSent;
    const first = held[0];
    // Headers passed to writeHead go in first, as Node would, so the session's are added on top of them.
    if (first?.[0] === 'writeHead') first[1] = foldWriteHeadHeaders(res, first[1]);
    writeHeaders(expressHeaderTarget(res));
    let wroteBody = false;
    for (const [method, args] of held) {
      wroteBody ||= method === 'write';
      original[method].apply(res, args);
    }
    // Held writes returned false (backpressure) so pipes paused; let them resume.
    if (wroteBody && !res.writableNeedDrain) res.emit('drain');
  };

  const fail = (error: unknown) => {
    // Released while the 503 is written (Node calls writeHead from end), dropped afterwards.
    phase = 'released';
    delete (res as { headersSent?: boolean }).headersSent;
    onError(error);
    if (res.headersSent) {
      res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const { status, body } = failureResponse(error);
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    original.end.call(res, JSON.stringify(body));
    phase = 'failed';
  };

  const hold =
    (method: ResponseMethod) =>
    (...args: unknown[]): unknown => {
      if (phase === 'released') return original[method].apply(res, args);
      if (phase === 'open') {
        phase = 'committing';
        // From the app's point of view its headers are now sent; finalhandler and friends rely on that.
        Object.defineProperty(res, 'headersSent', { configurable: true, get: () => true });
        commit()
          .then(release, fail)
          .catch((error: unknown) => {
            // A replayed call threw (say, an invalid header the app set), where Node would have thrown
            // in the handler: end the connection rather than leave it hanging or half written.
            onError(error);
            res.destroy(error instanceof Error ? error : undefined);
          });
      }
      // After a failed commit the 503 is out: what the app still writes is dropped, not an error.
      if (phase === 'committing') held.push([method, args]);
      return method === 'write' ? false : method === 'flushHeaders' ? undefined : res;
    };

  res.writeHead = hold('writeHead') as ServerResponse['writeHead'];
  res.write = hold('write') as ServerResponse['write'];
  res.end = hold('end') as ServerResponse['end'];
  res.flushHeaders = hold('flushHeaders') as ServerResponse['flushHeaders'];
}

/** Applies the headers argument of a held `writeHead` the way Node does, and returns the call without it. */
function foldWriteHeadHeaders(res: ServerResponse, args: unknown[]): unknown[] {
  const [statusCode, ...rest] = args;
  const statusMessage = typeof rest[0] === 'string' ? rest.shift() : undefined;
  const headers = rest[0] as OutgoingHttpHeaders | Array<string> | undefined;
  if (Array.isArray(headers)) {
    for (let index = 0; index + 1 < headers.length; index += 2) {
      res.appendHeader(headers[index] as string, headers[index + 1] as string);
    }
  } else if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
  }
  return statusMessage === undefined ? [statusCode] : [statusCode, statusMessage];
}

function expressHeaderTarget(res: ServerResponse): HeaderTarget {
  return {
    get: (name) => {
      const value = res.getHeader(name);
      return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
    },
    set: (name, value) => res.setHeader(name, value),
    append: (name, value) => res.appendHeader(name, value),
  };
}

/** The host as Express 5's `req.host` resolves it (with the port, unlike Express 4's `req.host`). */
function hostOf(req: ExpressRequest): string | undefined {
  const trustProxy = req.app.get('trust proxy fn') as TrustProxy | undefined;
  const forwarded = header(req, 'x-forwarded-host');
  if (forwarded && trustProxy?.(req.socket.remoteAddress, 0)) return forwarded.split(',')[0]?.trim();
  return req.headers.host;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
