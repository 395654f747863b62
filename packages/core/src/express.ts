/**
 * Express 5 and 4 integration: `app.use(sessionMiddleware(sessions))`, then `req.session`.
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CoatcheckError } from './errors.js';
import {
  type CsrfTokenOptions,
  checkGuardOptions,
  type DeclaredSessionData,
  type GuardOptions,
  type IntegrationOptions,
  type OpenedSession,
  ownOriginOf,
  type Reply,
  requireCsrfTokenReply,
  requireUserReply,
  resolveCsrfTokenOptions,
  type SessionPort,
  sessionPipeline,
  tokenInBody,
} from './integration.js';
import { requestHeader, responseHeader } from './node.js';
import type { SessionData as CoreSessionData, Session } from './session.js';
import type { Sessions } from './sessions.js';

export { csrfToken, verifyCsrfToken } from './csrf.js';
export type {
  CsrfTokenOptions,
  GuardOptions,
  IntegrationOptions,
  OriginCheckOptions,
} from './integration.js';

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
export type ExpressSessionData = DeclaredSessionData<SessionData>;

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

const port: SessionPort<ExpressRequest, ServerResponse> = {
  method: (req) => req.method ?? 'GET',
  header: requestHeader,
  ownOrigin: (req) => ownOriginOf(req.protocol, hostOf(req)),
  ip: (req) => req.ip,
  getHeader: (res, name) => responseHeader(res.getHeader(name)),
  setHeader(res, name, value) {
    res.setHeader(name, value);
  },
  appendHeader(res, name, value) {
    res.appendHeader(name, value);
  },
};

/**
 * Express middleware that loads `req.session` and saves it before the response's headers go out.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `originCheck`).
 * - A store outage gets 503 `{ error }`, never an anonymous session.
 * - Nothing the app writes reaches the client before the session is saved: a redirect right after a
 *   change cannot overtake the save. If the save fails, the app's response is replaced by 503.
 * - The session is committed at the first write: changes made after it are not saved, and the first
 *   such request is reported to `onError` (`UNSUPPORTED`).
 */
export function sessionMiddleware<Data extends CoreSessionData>(
  sessions: Sessions<Data>,
  options: IntegrationOptions = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => Promise<void> {
  const open = sessionPipeline(sessions, options, port);
  let warned = false;
  const lateChange: LateChange = (opened) => {
    // Once: the mistake is in the app's code, so every request through that route would repeat it.
    if (warned) return;
    warned = true;
    opened.report(
      new CoatcheckError(
        'UNSUPPORTED',
        'req.session changed after the response was written (its headers sent), so the change was not saved: ' +
          'change the session before the first write (res.write, res.writeHead, res.end, res.send, …)',
      ),
    );
  };
  return async function coatcheckSession(req, res, next) {
    // Mounted twice (app and router): the first instance owns the session.
    if ((req as { [LOADED]?: true })[LOADED]) return next();
    let opened: Awaited<ReturnType<typeof open>>;
    try {
      opened = await open(req);
      if ('status' in opened) return sendReply(res, opened);
    } catch (error) {
      // Express 4 ignores the promise a middleware returns: whatever escapes would be an unhandled rejection.
      return next(error);
    }
    (req as { [LOADED]?: true })[LOADED] = true;
    req.session = opened.session as unknown as Session<ExpressSessionData>;
    commitBeforeHeaders(res, opened, lateChange);
    next();
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
export function requireUser(
  options: GuardOptions<ExpressSessionData> = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => Promise<void> {
  checkGuardOptions(options);
  return async function coatcheckRequireUser(req, res, next) {
    let reply: Reply | null;
    try {
      reply = await requireUserReply(req.session, () => req.originalUrl, options, 'sessionMiddleware()');
      if (reply) sendReply(res, reply);
    } catch (error) {
      // Sending throws too (headers already sent): Express 4 would leave that an unhandled rejection.
      return next(error);
    }
    if (!reply) next();
  };
}

/**
 * Refuses unsafe requests whose CSRF token (from {@link csrfToken}) is missing or wrong, with 403. Reads
 * the `x-csrf-token` header, else the `_csrf` body field — so register a body parser
 * (`express.urlencoded()`) before it for HTML forms.
 */
export function requireCsrfToken(
  options: CsrfTokenOptions = {},
): (req: ExpressRequest, res: ServerResponse, next: Next) => Promise<void> {
  const settings = resolveCsrfTokenOptions(options);
  return async function coatcheckRequireCsrfToken(req, res, next) {
    let reply: Reply | null;
    try {
      const request = {
        method: req.method ?? 'GET',
        header: (name: string) => requestHeader(req, name),
        bodyField: (field: string) => tokenInBody(req.body, field),
      };
      reply = await requireCsrfTokenReply(req.session, request, settings, 'sessionMiddleware()');
      if (reply) sendReply(res, reply);
    } catch (error) {
      // Express 4 ignores the promise a middleware returns: whatever escapes would be an unhandled rejection.
      return next(error);
    }
    if (!reply) next();
  };
}

type ResponseMethod = 'writeHead' | 'write' | 'end' | 'flushHeaders';
type LateChange = (opened: { report(error: unknown): void }) => void;
type Original = (this: ServerResponse, ...args: unknown[]) => unknown;

/** Where a hooked response keeps its {@link CommitBeforeHeaders}, for the shared wrappers below. */
const HOOK = Symbol('coatcheck.hook');

type HookedResponse = ServerResponse & { [HOOK]: CommitBeforeHeaders };

// One set of wrappers for every response, rather than closures per request: each finds its response's
// state on the response.
function coatcheckWriteHead(this: HookedResponse, ...args: unknown[]): unknown {
  return this[HOOK].call('writeHead', args);
}
function coatcheckWrite(this: HookedResponse, ...args: unknown[]): unknown {
  return this[HOOK].call('write', args);
}
function coatcheckEnd(this: HookedResponse, ...args: unknown[]): unknown {
  return this[HOOK].call('end', args);
}
function coatcheckFlushHeaders(this: HookedResponse): void {
  this[HOOK].call('flushHeaders', []);
}

/**
 * Commits the session at the response's first header-sending call (`writeHead`, `write`, `end`,
 * `flushHeaders`). With nothing to save, the session's headers are written there and the call goes
 * straight through: nothing held, no promise. Otherwise that call and every later one are held and
 * replayed in order once the session is saved, and if the save fails the app's response is replaced by
 * the error reply. express-session only defers `end` and lets earlier writes send the headers before its
 * save; here nothing escapes before the commit. The wrappers go in when the session is loaded, before any
 * middleware mounted later wraps the same methods, and stay (pass-through afterwards), so such middleware
 * keeps working whatever it does with the originals. What the session still has to save when the response
 * has finished, `lateChange` hears of.
 */
function commitBeforeHeaders<Data extends CoreSessionData>(
  res: ServerResponse,
  opened: OpenedSession<Data, ExpressRequest, ServerResponse>,
  lateChange: LateChange,
): void {
  const hook = new CommitBeforeHeaders(res, opened, lateChange);
  (res as HookedResponse)[HOOK] = hook;
  res.writeHead = coatcheckWriteHead as ServerResponse['writeHead'];
  res.write = coatcheckWrite as ServerResponse['write'];
  res.end = coatcheckEnd as ServerResponse['end'];
  res.flushHeaders = coatcheckFlushHeaders;
  opened.onChange(() => hook.changed());
}

/** What a hooked response asks of its request's {@link OpenedSession}. */
interface CommittingSession {
  commit(res: ServerResponse): Promise<void> | undefined;
  isDue(): boolean;
  fail(error: unknown): Reply;
  report(error: unknown): void;
}

/** One response's state between the session's load and its commit; see {@link commitBeforeHeaders}. */
class CommitBeforeHeaders {
  /** `open` until the first header-sending call, `committing` until saved, then `released` or `failed`. */
  #phase: 'open' | 'committing' | 'released' | 'failed' = 'open';
  readonly #res: ServerResponse;
  readonly #opened: CommittingSession;
  readonly #lateChange: LateChange;
  readonly #original: Record<ResponseMethod, Original>;
  readonly #held: Array<[ResponseMethod, unknown[]]> = [];
  #watchingFinish = false;

  constructor(res: ServerResponse, opened: CommittingSession, lateChange: LateChange) {
    this.#res = res;
    this.#opened = opened;
    this.#lateChange = lateChange;
    this.#original = {
      writeHead: res.writeHead as Original,
      write: res.write as Original,
      end: res.end as Original,
      flushHeaders: res.flushHeaders as Original,
    };
  }

  /** A call of `method` by the app (or by middleware that wrapped it later). */
  call(method: ResponseMethod, args: unknown[]): unknown {
    const res = this.#res;
    if (this.#phase === 'released') return this.#original[method].apply(res, args);
    if (this.#phase === 'open') {
      // Headers passed to writeHead go in first, as Node would set them (and throw on a bad one, in the
      // app's call), so the session's are added on top of them.
      const callArgs = method === 'writeHead' ? foldWriteHeadHeaders(res, args) : args;
      const pending = this.#opened.commit(res);
      if (!pending) {
        // Released before the call: a change made while it runs (in a writeHead listener) is late.
        this.#phase = 'released';
        return this.#original[method].apply(res, callArgs);
      }
      this.#phase = 'committing';
      this.#held.push([method, callArgs]);
      // From the app's point of view its headers are now sent; finalhandler and friends rely on that. A
      // plain value, true from now on: the release replays a header-sending call at once, and a failure
      // sends the error reply. (An accessor, or deleting the property later, would slow every later access
      // to the response.)
      Object.defineProperty(res, 'headersSent', { value: true, writable: true, configurable: true });
      pending
        .then(
          () => this.#release(),
          (error: unknown) => this.#fail(error),
        )
        .catch((error: unknown) => {
          // A replayed call threw where Node would have thrown in the handler: end the connection rather
          // than leave it hanging or half written.
          this.#opened.report(error);
          res.destroy(error instanceof Error ? error : undefined);
        });
    } else if (this.#phase === 'committing') this.#held.push([method, args]);
    // After a failed commit the error response is out: what the app still writes is dropped, not an error.
    return method === 'write' ? false : method === 'flushHeaders' ? undefined : res;
  }

  /**
   * The session got something to commit. Before the first header-sending call that is simply part of
   * the commit; afterwards the cookie has gone out (or the commit is under way), so the change can no
   * longer be committed, and losing it silently would hide the bug. It may still be saved with
   * `await save()`, so the verdict waits for the response to finish. (After a failed commit changes are
   * pending too, but that was reported.)
   */
  changed(): void {
    if (this.#phase === 'open' || this.#watchingFinish) return;
    this.#watchingFinish = true;
    this.#res.once('finish', () => {
      if (this.#phase !== 'failed' && this.#opened.isDue()) this.#lateChange(this.#opened);
    });
  }

  #release(): void {
    const res = this.#res;
    this.#phase = 'released';
    let wroteBody = false;
    for (const [method, args] of this.#held) {
      wroteBody ||= method === 'write';
      this.#original[method].apply(res, args);
    }
    // Held writes returned false (backpressure) so pipes paused; let them resume.
    if (wroteBody && !res.writableNeedDrain) res.emit('drain');
  }

  #fail(error: unknown): void {
    const res = this.#res;
    const reply = this.#opened.fail(error);
    // Released while the error response is written (Node calls writeHead from end), dropped afterwards.
    this.#phase = 'released';
    if (Reflect.get(Object.getPrototypeOf(res), 'headersSent', res)) {
      res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    sendReply(res, reply, this.#original.end);
    this.#phase = 'failed';
  }
}

/** Applies the headers argument of `writeHead` the way Node does, and returns the call without it. */
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

/** The host as Express 5's `req.host` resolves it (with the port, unlike Express 4's `req.host`). */
function hostOf(req: ExpressRequest): string | undefined {
  const trustProxy = req.app.get('trust proxy fn') as TrustProxy | undefined;
  const forwarded = requestHeader(req, 'x-forwarded-host');
  if (forwarded && trustProxy?.(req.socket.remoteAddress, 0)) return forwarded.split(',')[0]?.trim();
  return req.headers.host;
}

function sendReply(res: ServerResponse, reply: Reply, end: Original = res.end as Original): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  end.call(res, reply.body ?? undefined);
}
