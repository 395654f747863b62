import { verifyCsrfToken } from './csrf.js';
import { CoatcheckError, invalidOption, refuseRenamedOptions } from './errors.js';
import { internalsOf, type Session, type SessionData } from './session.js';
import type { CommitResult, Sessions } from './sessions.js';

/** Options every framework integration takes. */
export interface IntegrationOptions {
  /**
   * Cross-site request protection by origin: unsafe requests (anything but GET, HEAD and OPTIONS) whose
   * `Origin` (or, without one, `Referer`) is neither the request's own origin nor a trusted one get 403
   * before the session is even loaded. `false` turns it off — only do that when something else checks.
   * The synchronizer token for classic forms is a separate guard, `requireCsrfToken()`.
   * @default {} (on, no extra trusted origins)
   */
  originCheck?: OriginCheckOptions | false;
  /**
   * `Cache-Control` for responses to a live session, when the app set none itself: the request carried
   * one, or the response stores one (a first write, a login). Such responses are personal, so no shared
   * cache may keep them. Responses that set or clear the cookie get the core's `setCookieCacheControl`
   * regardless. `false` leaves it to the app. Either way, every response that depends on the session (it
   * carried one, the app read it, or the response sets or clears the cookie) gets `Vary: Cookie`.
   * @default 'private, no-store'
   */
  sessionCacheControl?: string | false;
  /**
   * Called with the errors the integration answers itself (503 on a store outage, 500 otherwise), for
   * your logs; in Express also, once, an `UNSUPPORTED` for a session change made after the response's
   * first write, which cannot be saved.
   * @default console.error (Fastify: `request.log.error`)
   */
  onError?: (error: unknown) => void;
}

/** Options of the Origin check (`originCheck`). */
export interface OriginCheckOptions {
  /**
   * Other origins allowed to send unsafe requests (`'https://app.example.com'`): scheme, host and port,
   * no path. The request's own origin is always allowed.
   * @default []
   */
  trustedOrigins?: readonly string[];
  /**
   * Allow unsafe requests that carry neither `Origin`, `Referer` nor `Sec-Fetch-Site`. Browsers send
   * `Origin` with every cross-site unsafe request (and `Sec-Fetch-Site` with every request), so such a
   * request comes from a non-browser client (curl, a server, a native app), which cannot ride on a
   * victim's cookies: allowing it is safe. Set `false` to refuse them too.
   * @default true
   */
  allowMissingOrigin?: boolean;
}

/** Options of `requireUser()`, the guard that refuses requests without a logged-in user. */
export interface GuardOptions<Data extends SessionData = SessionData> {
  /**
   * Further checks once a user is logged in (a role, `session.isFresh()`); return `false` to refuse. A
   * session without a user is refused before it is asked.
   * @default undefined (any logged-in user passes)
   */
  verify?: (session: Session<Data>) => boolean | Promise<boolean>;
  /**
   * Where to send refused requests (a `303` redirect), e.g. `'/login'`, or a function of the refused
   * request's path and query, e.g. `(url) => '/login?next=' + encodeURIComponent(url)`. Non-ASCII
   * characters are percent-encoded (UTF-8). A location with control characters (CR, LF, …) is refused: a
   * string when the guard is created, a function's result at the request, which then gets the `401`
   * instead (and `onError` an `INVALID_ARGUMENT`), since its URL can be made to carry any character.
   * @default undefined (answer `401` with JSON `{ error }`)
   */
  redirectTo?: string | ((url: string) => string);
}

/** Options of `requireCsrfToken`: where the submitted token is read from. */
export interface CsrfTokenOptions {
  /**
   * Form field holding the token: urlencoded and multipart forms everywhere, JSON bodies too in Express
   * (after `express.json()`) and Fastify. From `fetch` calls, prefer the header.
   * @default '_csrf'
   */
  field?: string;
  /** Request header holding the token (for `fetch` calls). @default 'x-csrf-token' */
  header?: string;
}

/**
 * The data type of an integration's session: what the app declared by merging into that integration's
 * `SessionData` interface, or any JSON values when it declared nothing. A mapped copy rather than the
 * interface itself, because only the copy has the index signature the core's `SessionData` asks for.
 */
export type DeclaredSessionData<Declared> = keyof Declared extends never
  ? SessionData
  : { [Key in keyof Declared]: Declared[Key] };

/** Integration options after defaults and validation. @internal */
export interface ResolvedIntegrationOptions {
  /** `null` when the Origin check is off. */
  originCheck: ResolvedOriginCheck | null;
  sessionCacheControl: string | false;
}

/** The Origin check's options after defaults and validation. @internal */
export interface ResolvedOriginCheck {
  /** Normalised: scheme, host and port, as `URL.origin` gives them. */
  trustedOrigins: ReadonlySet<string>;
  allowMissingOrigin: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Validates integration options once, when the middleware or plugin is created. @internal */
export function resolveIntegrationOptions(options: IntegrationOptions = {}): ResolvedIntegrationOptions {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  refuseRenamedOptions(options, { csrf: 'originCheck', cacheControl: 'sessionCacheControl' });
  const { originCheck = {}, sessionCacheControl = 'private, no-store', onError } = options;
  if (onError !== undefined && typeof onError !== 'function') invalidOption('onError', 'must be a function');
  if (
    sessionCacheControl !== false &&
    (typeof sessionCacheControl !== 'string' || /[\r\n]/.test(sessionCacheControl))
  ) {
    invalidOption('sessionCacheControl', 'must be a header value or false');
  }
  if (originCheck === false) return { originCheck: null, sessionCacheControl };
  if (typeof originCheck !== 'object' || originCheck === null) {
    invalidOption('originCheck', 'must be an object or false');
  }
  const { trustedOrigins = [], allowMissingOrigin = true } = originCheck;
  if (!Array.isArray(trustedOrigins)) {
    invalidOption('originCheck.trustedOrigins', 'must be an array of origins');
  }
  if (typeof allowMissingOrigin !== 'boolean') {
    invalidOption('originCheck.allowMissingOrigin', 'must be a boolean');
  }
  const origins = trustedOrigins.map((origin, index) => {
    const normalised = typeof origin === 'string' ? originOf(origin) : null;
    if (!normalised || !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(origin)) {
      invalidOption(
        `originCheck.trustedOrigins[${index}]`,
        `must be an origin like "https://app.example.com" (got ${JSON.stringify(origin)})`,
      );
    }
    return normalised;
  });
  return { originCheck: { trustedOrigins: new Set(origins), allowMissingOrigin }, sessionCacheControl };
}

// ——— the pipeline ———

/**
 * Response header access over a framework's response: the half of {@link SessionPort} that writes.
 * @internal
 */
export interface ResponseHeaders<Res> {
  getHeader(response: Res, name: string): string | null | undefined;
  setHeader(response: Res, name: string, value: string): void;
  appendHeader(response: Res, name: string, value: string): void;
}

/**
 * How the pipeline reaches one framework: it reads the request and writes response headers. Every member
 * takes the request or the response, so one port serves every request. The responses the pipeline makes
 * itself come back as a {@link Reply} for the framework to send, since Fastify's `onSend` and a Fetch
 * handler return their response rather than send it.
 * @internal
 */
export interface SessionPort<Req, Res> extends ResponseHeaders<Res> {
  method(request: Req): string;
  /** A request header, by lower-case name. */
  header(request: Req, name: string): string | null | undefined;
  /** The request's own origin (`https://shop.example`) as the framework resolves it; asked of unsafe requests only. */
  ownOrigin(request: Req): string | null | undefined;
  /** The client address, recorded with the session. */
  ip(request: Req): string | null | undefined;
  /** Where failures go when the app passed no `onError`. @default console.error */
  log?(request: Req, error: unknown): void;
}

/** A response the integration makes itself: a refusal, an outage, a guard's answer. @internal */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** `null` for no body (a redirect). */
  readonly body: string | null;
}

// Never cached: a shared cache must not serve one visitor's refusal, or a passing outage, to others.
const JSON_HEADERS = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
});

function jsonReply(status: number, error: string): Reply {
  return Object.freeze({ status, headers: JSON_HEADERS, body: JSON.stringify({ error }) });
}

/** The JSON replies of the integrations. @internal */
export const REPLIES = {
  crossSite: jsonReply(403, 'Cross-site request refused'),
  unauthenticated: jsonReply(401, 'Authentication required'),
  invalidCsrfToken: jsonReply(403, 'Invalid or missing CSRF token'),
  storeUnavailable: jsonReply(503, 'Session store unavailable, try again later'),
  saveFailed: jsonReply(500, 'Session could not be saved'),
} as const;

/** What every session of one pipeline shares. */
interface Pipeline<Data extends SessionData, Req, Res> {
  readonly sessions: Sessions<Data>;
  readonly port: SessionPort<Req, Res>;
  readonly sessionCacheControl: string | false;
  report(request: Req, error: unknown): void;
}

/**
 * The request pipeline every integration runs, written once: the Origin check, loading the session (503
 * when the store is down), and — through the {@link OpenedSession} — the commit, the session's headers and
 * the error response when the save fails. Checks `sessions` and `options` now, so bad configuration fails
 * when the middleware is created, naming the option.
 * @returns the function that opens one request's session: an {@link OpenedSession}, or the {@link Reply}
 *   that refuses the request (403 cross-site, 503 store down). Errors other than the store's are thrown,
 *   for the framework's own error handling.
 * @internal
 */
export function sessionPipeline<Data extends SessionData, Req, Res>(
  sessions: Sessions<Data>,
  options: IntegrationOptions | undefined,
  port: SessionPort<Req, Res>,
): (request: Req) => Promise<OpenedSession<Data, Req, Res> | Reply> {
  if (typeof sessions?.load !== 'function' || typeof sessions.commit !== 'function') {
    invalidOption('sessions', 'must be the manager returned by createSessions()');
  }
  const settings = resolveIntegrationOptions(options);
  const onError = options?.onError;
  const pipeline: Pipeline<Data, Req, Res> = {
    sessions,
    port,
    sessionCacheControl: settings.sessionCacheControl,
    report(request, error) {
      if (onError) onError(error);
      else if (port.log) port.log(request, error);
      else console.error(error);
    },
  };
  const { originCheck } = settings;
  return async (request) => {
    if (
      originCheck &&
      // Only unsafe requests are checked, so a safe one never costs the port its own origin.
      isUnsafeMethod(port.method(request)) &&
      isCrossSiteRequest(originCheck, {
        ownOrigin: port.ownOrigin(request),
        origin: port.header(request, 'origin'),
        referer: port.header(request, 'referer'),
        secFetchSite: port.header(request, 'sec-fetch-site'),
      })
    ) {
      return REPLIES.crossSite;
    }
    let session: Session<Data>;
    try {
      session = await sessions.load({
        cookie: port.header(request, 'cookie'),
        ip: port.ip(request),
        userAgent: port.header(request, 'user-agent'),
      });
    } catch (error) {
      if (!isStoreError(error)) throw error;
      pipeline.report(request, error);
      return REPLIES.storeUnavailable;
    }
    return new OpenedSession(pipeline, request, session);
  };
}

/**
 * Reports an error of `session`'s request where the pipeline that opened it reports (the guards are handed
 * only the session); to the console for a session no pipeline opened (one from `sessions.load()` handed
 * to the Fetch guard).
 */
function reportFor(session: Session<SessionData>, error: unknown): void {
  const { reporter } = internalsOf(session);
  if (reporter) reporter.report(error);
  else console.error(error);
}

/** One request's session, from loading to commit. @internal */
export class OpenedSession<Data extends SessionData, Req, Res> {
  readonly session: Session<Data>;
  readonly #pipeline: Pipeline<Data, Req, Res>;
  readonly #request: Req;
  /** The request carried a live session, so its responses are personal. */
  readonly #carried: boolean;

  constructor(pipeline: Pipeline<Data, Req, Res>, request: Req, session: Session<Data>) {
    this.#pipeline = pipeline;
    this.#request = request;
    this.session = session;
    const state = internalsOf(session);
    this.#carried = state.record !== null;
    state.reporter = this;
  }

  /**
   * Saves the session if anything is due (changes, a touch, a cookie to set or clear), then writes its
   * headers to `response`. With nothing due it writes them at once and returns nothing: no promise, no
   * store call. Otherwise the promise settles once the headers are written, or rejects with the save's
   * error, for {@link OpenedSession.fail}.
   */
  commit(response: Res): Promise<void> | undefined {
    const { session } = this;
    if (!commitIsDue(session)) {
      this.#writeHeaders(response, []);
      return undefined;
    }
    return this.#pipeline.sessions
      .commit(session)
      .then(({ headers }) => this.#writeHeaders(response, headers));
  }

  /** `true` when committing has work to do: changes to save, a touch due, a cookie to set or clear. */
  isDue(): boolean {
    return commitIsDue(this.session);
  }

  /**
   * Calls `listener` whenever the session gets something to commit (a change, a login, a regenerate, a
   * destroy), for an integration that holds the response only once it has to.
   */
  onChange(listener: () => void): void {
    internalsOf(this.session).onChange = listener;
  }

  /**
   * Reports a failed commit and returns the response that replaces the app's: 503 when the store is down
   * (or writers kept racing), 500 otherwise.
   */
  fail(error: unknown): Reply {
    this.report(error);
    const code = (error as { code?: unknown } | null)?.code;
    return isStoreError(error) || code === 'CONFLICT_RETRIES_EXHAUSTED'
      ? REPLIES.storeUnavailable
      : REPLIES.saveFailed;
  }

  /** Reports an error to `onError` (or the framework's log). */
  report(error: unknown): void {
    this.#pipeline.report(this.#request, error);
  }

  #writeHeaders(response: Res, committed: CommitResult['headers']): void {
    const { port, sessionCacheControl } = this.#pipeline;
    writeSessionHeaders(
      port,
      response,
      committed,
      {
        // Stored now though the request carried none (a first write, a login): the response carries the
        // user's session all the same, and `setCookieCacheControl: false` must not leave it cacheable.
        personal: this.#carried || sessionIsStored(this.session),
        read: sessionWasRead(this.session),
      },
      sessionCacheControl,
    );
  }
}

/** What a response's headers depend on, beyond what the commit returned. @internal */
export interface SessionUse {
  /** The request carried a live session, or the session is stored now: the response is personal. */
  personal: boolean;
  /** The app read the session. */
  read: boolean;
}

/**
 * Writes what a committed session adds to a response: the core's headers (`Set-Cookie` appended, the
 * `Cache-Control` of a cookie change overriding the app's); when the response is personal, the private
 * `Cache-Control` unless the app chose one; and `Vary: Cookie` whenever the response depends on the
 * session.
 * @internal
 */
export function writeSessionHeaders<Res>(
  port: ResponseHeaders<Res>,
  response: Res,
  committed: CommitResult['headers'],
  use: SessionUse,
  sessionCacheControl: string | false,
): void {
  let setsCookie = false;
  for (const [name, value] of committed) {
    if (name.toLowerCase() === 'set-cookie') {
      port.appendHeader(response, name, value);
      setsCookie = true;
    } else port.setHeader(response, name, value);
  }
  if (use.personal && sessionCacheControl && !port.getHeader(response, 'cache-control')) {
    port.setHeader(response, 'Cache-Control', sessionCacheControl);
  }
  // Caches must key every response built from the session on Cookie, the first one of a new session
  // included; otherwise one visitor's page, or the anonymous one, is served to a request with another cookie.
  if (use.personal || use.read || setsCookie) {
    const vary = port.getHeader(response, 'vary');
    if (!vary) port.setHeader(response, 'Vary', 'Cookie');
    else if (!/(^|,)\s*(\*|cookie)\s*(?=,|$)/i.test(vary))
      port.setHeader(response, 'Vary', `${vary}, Cookie`);
  }
}

// The integrations' only reads of a session's internals, kept here so a change to the session model has
// one place to follow.

/**
 * `true` when the session has a stored record. Read through the state: `session.isNew` would count as the
 * app reading the session.
 */
function sessionIsStored(session: Session<SessionData>): boolean {
  return internalsOf(session).record !== null;
}

/** `true` once the app read anything of the session: the response then depends on the cookie. @internal */
export function sessionWasRead(session: Session<SessionData>): boolean {
  return internalsOf(session).wasRead;
}

/**
 * `true` when committing has work to do: changes to save, a touch due, a cookie to set or clear. When it
 * has none, `sessions.commit()` would return no headers, so the pipeline skips it and its promise.
 */
function commitIsDue(session: Session<SessionData>): boolean {
  const state = internalsOf(session);
  return state.mutations.length > 0 || state.needsTouch || state.cookie !== 'none';
}

// ——— the Origin check ———

/** What the Origin check needs to know about an unsafe request. @internal */
export interface OriginFacts {
  /** The request's own origin, e.g. `https://example.com` (from the framework's protocol and host). */
  ownOrigin: string | null | undefined;
  origin: string | null | undefined;
  referer: string | null | undefined;
  secFetchSite: string | null | undefined;
}

/**
 * `true` when an unsafe request (see {@link isUnsafeMethod}) must be refused as cross-site. `Origin` is
 * authoritative; `Referer` stands in for it (some privacy settings strip `Origin` on same-origin
 * requests); `Sec-Fetch-Site` decides when a browser sent neither.
 * @internal
 */
export function isCrossSiteRequest(check: ResolvedOriginCheck, facts: OriginFacts): boolean {
  const claimed = facts.origin || facts.referer;
  if (claimed) {
    // `Origin: null` (sandboxed frames, privacy redirects) parses to no origin: refused.
    const origin = originOf(claimed);
    if (origin === null) return true;
    return (
      !check.trustedOrigins.has(origin) && origin !== (facts.ownOrigin ? originOf(facts.ownOrigin) : null)
    );
  }
  if (facts.secFetchSite) return facts.secFetchSite !== 'same-origin' && facts.secFetchSite !== 'none';
  return !check.allowMissingOrigin;
}

/** Computes a request's own origin from its protocol and `Host`. @internal */
export function ownOriginOf(protocol: string | undefined, host: string | undefined): string | null {
  if (!protocol || !host) return null;
  return originOf(`${protocol.replace(/:$/, '')}://${host}`);
}

function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** `true` for methods that may change state, the ones CSRF protection covers. @internal */
export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * `true` for the core's store-outage error. Matched by shape, not `instanceof`, so it holds even when an
 * app loads the core both as ESM and as CommonJS.
 * @internal
 */
export function isStoreError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'CoatcheckError' &&
    (error as { code?: unknown }).code === 'STORE_ERROR'
  );
}

// ——— guards ———

/** The error of a guard registered before the session middleware that it needs. @internal */
export function middlewareOrder(guard: string, middleware: string): CoatcheckError {
  return new CoatcheckError('MIDDLEWARE_ORDER', `${guard} runs after ${middleware}; register that first`);
}

/**
 * Runs `requireUser()`: `null` lets the request through; otherwise the refusal — 401 JSON, or a 303 to
 * `redirectTo` — or 503 when `verify` met a store outage, which is reported like the pipeline's own.
 * @param url the refused request's path and query, asked only for a `redirectTo` function.
 * @param middleware what has to run first, for the `MIDDLEWARE_ORDER` error when it did not.
 * @internal
 */
export async function requireUserReply<Data extends SessionData>(
  session: Session<Data> | null | undefined,
  url: () => string,
  options: GuardOptions<Data>,
  middleware: string,
): Promise<Reply | null> {
  if (!session) throw middlewareOrder('requireUser()', middleware);
  try {
    if (session.userId !== null && (!options.verify || (await options.verify(session)))) return null;
  } catch (error) {
    if (!isStoreError(error)) throw error;
    reportFor(session, error);
    return REPLIES.storeUnavailable;
  }
  const { redirectTo } = options;
  if (redirectTo === undefined) return REPLIES.unauthenticated;
  const chosen = typeof redirectTo === 'function' ? redirectTo(url()) : redirectTo;
  const location = locationOf(chosen);
  if (location === null) {
    // Only a function gets here (a bad string is refused at creation), and its input is the request's URL:
    // anyone can make that decode to a CR LF. Refusing as without `redirectTo` keeps it a refusal, not a 500.
    reportFor(
      session,
      new CoatcheckError(
        'INVALID_ARGUMENT',
        `requireUser(): redirectTo returned ${typeof chosen === 'string' ? JSON.stringify(chosen.slice(0, 200)) : `a ${typeof chosen}`}, which cannot be a Location (empty, or with control characters); answered 401 instead`,
      ),
    );
    return REPLIES.unauthenticated;
  }
  return { status: 303, headers: { location }, body: null };
}

/**
 * `value` as a `Location` header every framework sends alike: non-ASCII characters percent-encoded as
 * UTF-8 (`encodeURI` on them alone, so the `%` escapes already there stay as they are); `null` when it
 * cannot be one — not a string, empty, a control character (CR and LF would split the header) or a lone
 * surrogate. Node would throw on non-Latin-1, Fetch `Headers` on CR and LF, and Latin-1 would go out as
 * bytes that are not UTF-8.
 */
function locationOf(value: unknown): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (typeof value !== 'string' || value === '' || /[\x00-\x1f\x7f]/.test(value)) return null;
  try {
    return value.replace(/[\u0080-\uffff]+/g, (run) => encodeURI(run));
  } catch {
    // URIError: a lone surrogate has no UTF-8 encoding.
    return null;
  }
}

/** Checks guard options when the guard is created. @internal */
export function checkGuardOptions(options: GuardOptions<never>): void {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  if (options.verify !== undefined && typeof options.verify !== 'function') {
    invalidOption('verify', 'must be a function of the session');
  }
  const { redirectTo } = options;
  if (
    redirectTo !== undefined &&
    typeof redirectTo !== 'function' &&
    (typeof redirectTo !== 'string' || locationOf(redirectTo) === null)
  ) {
    invalidOption(
      'redirectTo',
      'must be a path or a URL without control characters, or a function returning one',
    );
  }
}

/** What `requireCsrfToken()` reads of a request, each framework its own way. @internal */
export interface CsrfTokenSource {
  method: string;
  /** A request header, by lower-case name. */
  header(name: string): string | null | undefined;
  /** A field of the request's parsed body; asked only when the header carries no token. */
  bodyField(field: string): unknown | Promise<unknown>;
}

/**
 * Runs `requireCsrfToken()`: `null` lets the request through — a safe method, or the session's token in
 * the header, else in the body field — otherwise the 403 reply.
 * @param middleware what has to run first, for the `MIDDLEWARE_ORDER` error when it did not.
 * @internal
 */
export async function requireCsrfTokenReply(
  session: Session<SessionData> | null | undefined,
  request: CsrfTokenSource,
  options: Required<CsrfTokenOptions>,
  middleware: string,
): Promise<Reply | null> {
  if (!isUnsafeMethod(request.method)) return null;
  if (!session) throw middlewareOrder('requireCsrfToken()', middleware);
  const submitted = request.header(options.header) ?? (await request.bodyField(options.field));
  return verifyCsrfToken(session, submitted) ? null : REPLIES.invalidCsrfToken;
}

/** Resolves `requireCsrfToken` options. @internal */
export function resolveCsrfTokenOptions(options: CsrfTokenOptions = {}): Required<CsrfTokenOptions> {
  const { field = '_csrf', header = 'x-csrf-token' } = options;
  if (typeof field !== 'string' || field.length === 0) invalidOption('field', 'must be a non-empty string');
  if (typeof header !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header)) {
    invalidOption('header', 'must be a header name');
  }
  return { field, header: header.toLowerCase() };
}

/** The submitted token in a parsed body, if there is one. @internal */
export function tokenInBody(body: unknown, field: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** `true` for the content types of HTML form posts. @internal */
export function isFormContentType(contentType: string | null | undefined): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType ?? '');
}
