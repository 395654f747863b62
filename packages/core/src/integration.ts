import { CoatcheckError, invalidOption } from './errors.js';
import type { Session, SessionData } from './session.js';
import type { CommitResult } from './sessions.js';

/** Options every framework integration takes. */
export interface IntegrationOptions {
  /**
   * Cross-site request protection: unsafe requests (anything but GET, HEAD and OPTIONS) whose `Origin`
   * (or, without one, `Referer`) is neither the request's own origin nor a trusted one get 403 before the
   * session is even loaded. `false` turns it off — only do that when something else checks.
   * @default {} (on, no extra trusted origins)
   */
  csrf?: CsrfOptions | false;
  /**
   * `Cache-Control` for responses to requests that carried a live session, when the app set none itself:
   * such responses are personal, so no shared cache may keep them. Responses that set or clear the
   * cookie get `no-store` from the core regardless. `false` leaves it to the app. Either way, every
   * response that depends on the session (it carried one, the app read it, or the response sets or
   * clears the cookie) gets `Vary: Cookie`.
   * @default 'private, no-store'
   */
  cacheControl?: string | false;
  /**
   * Called with the errors the integration answers itself (503 on a store outage, 500 otherwise), for
   * your logs.
   * @default console.error (Fastify: `request.log.error`)
   */
  onError?: (error: unknown) => void;
}

/** Options of the Origin check. */
export interface CsrfOptions {
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

/** Options of the guard that refuses requests without a valid session (`requireSession`). */
export interface GuardOptions<Data extends SessionData = SessionData> {
  /**
   * Decides whether the session is valid for this route. Return `false` to refuse.
   * @default a logged-in session: `(session) => session.userId !== null`
   */
  verify?: (session: Session<Data>) => boolean | Promise<boolean>;
  /**
   * Where to send refused requests (a `303` redirect), e.g. `'/login'`, or a function of the refused
   * request's path and query, e.g. `(url) => '/login?next=' + encodeURIComponent(url)`.
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

/** Integration options after defaults and validation. @internal */
export interface ResolvedIntegrationOptions {
  /** Normalised trusted origins, or `null` when the Origin check is off. */
  trustedOrigins: ReadonlySet<string> | null;
  allowMissingOrigin: boolean;
  cacheControl: string | false;
}

/** JSON bodies of the responses the integrations send themselves. */
export const ERROR_BODIES = {
  crossSite: { error: 'Cross-site request refused' },
  unauthenticated: { error: 'Authentication required' },
  invalidCsrfToken: { error: 'Invalid or missing CSRF token' },
  storeUnavailable: { error: 'Session store unavailable, try again later' },
  saveFailed: { error: 'Session could not be saved' },
} as const;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Validates integration options once, when the middleware or plugin is created. @internal */
export function resolveIntegrationOptions(options: IntegrationOptions = {}): ResolvedIntegrationOptions {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const { csrf = {}, cacheControl = 'private, no-store', onError } = options;
  if (onError !== undefined && typeof onError !== 'function') invalidOption('onError', 'must be a function');
  if (cacheControl !== false && (typeof cacheControl !== 'string' || /[\r\n]/.test(cacheControl))) {
    invalidOption('cacheControl', 'must be a header value or false');
  }
  if (csrf === false) return { trustedOrigins: null, allowMissingOrigin: true, cacheControl };
  if (typeof csrf !== 'object' || csrf === null) invalidOption('csrf', 'must be an object or false');
  const { trustedOrigins = [], allowMissingOrigin = true } = csrf;
  if (!Array.isArray(trustedOrigins)) invalidOption('csrf.trustedOrigins', 'must be an array of origins');
  if (typeof allowMissingOrigin !== 'boolean') invalidOption('csrf.allowMissingOrigin', 'must be a boolean');
  const origins = trustedOrigins.map((origin, index) => {
    const normalised = typeof origin === 'string' ? originOf(origin) : null;
    if (!normalised || !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(origin)) {
      invalidOption(
        `csrf.trustedOrigins[${index}]`,
        `must be an origin like "https://app.example.com" (got ${JSON.stringify(origin)})`,
      );
    }
    return normalised;
  });
  return { trustedOrigins: new Set(origins), allowMissingOrigin, cacheControl };
}

/** What the Origin check needs to know about a request. @internal */
export interface OriginFacts {
  method: string;
  /** The request's own origin, e.g. `https://example.com` (from the framework's protocol and host). */
  ownOrigin: string | null;
  origin: string | null | undefined;
  referer: string | null | undefined;
  secFetchSite: string | null | undefined;
}

/**
 * `true` when an unsafe request must be refused as cross-site. `Origin` is authoritative; `Referer`
 * stands in for it (some privacy settings strip `Origin` on same-origin requests); `Sec-Fetch-Site`
 * decides when a browser sent neither.
 * @internal
 */
export function isCrossSiteRequest(settings: ResolvedIntegrationOptions, facts: OriginFacts): boolean {
  const trusted = settings.trustedOrigins;
  if (!trusted || SAFE_METHODS.has(facts.method.toUpperCase())) return false;
  const ownOrigin = facts.ownOrigin ? originOf(facts.ownOrigin) : null;
  const claimed = facts.origin || facts.referer;
  if (claimed) {
    // `Origin: null` (sandboxed frames, privacy redirects) parses to no origin: refused.
    const origin = originOf(claimed);
    return origin === null || (origin !== ownOrigin && !trusted.has(origin));
  }
  if (facts.secFetchSite) return facts.secFetchSite !== 'same-origin' && facts.secFetchSite !== 'none';
  return !settings.allowMissingOrigin;
}

/** Computes a request's own origin from its protocol and `Host`. @internal */
export function ownOriginOf(protocol: string | undefined, host: string | undefined): string | null {
  if (!protocol || !host) return null;
  return originOf(`${protocol.replace(/:$/, '')}://${host}`);
}

/**
 * The own origin of a Web `Request`: its URL's, or with `trustProxy` the one `X-Forwarded-Proto` and
 * `X-Forwarded-Host` describe (first entry each: the client-facing proxy's).
 * @internal
 */
export function webRequestOrigin(request: Request, trustProxy: boolean): string | null {
  const url = new URL(request.url);
  if (!trustProxy) return url.origin;
  const first = (name: string) => request.headers.get(name)?.split(',')[0]?.trim() || undefined;
  return ownOriginOf(first('x-forwarded-proto') ?? url.protocol, first('x-forwarded-host') ?? url.host);
}

/** `true` for the content types of HTML form posts. @internal */
export function isFormContentType(contentType: string | null | undefined): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType ?? '');
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

/**
 * The response for an error the integration answers itself: 503 when the store is down (or writers kept
 * racing), 500 otherwise.
 * @internal
 */
export function failureResponse(error: unknown): { status: 500 | 503; body: { error: string } } {
  const code = (error as { code?: unknown } | null)?.code;
  return isStoreError(error) || code === 'CONFLICT_RETRIES_EXHAUSTED'
    ? { status: 503, body: ERROR_BODIES.storeUnavailable }
    : { status: 500, body: ERROR_BODIES.saveFailed };
}

/** How a guard refuses a request: a JSON 401 or a 303 redirect. @internal */
export type Refusal =
  | { status: 401; body: typeof ERROR_BODIES.unauthenticated }
  | { status: 303; location: string };

/** Runs a guard: `null` lets the request through. @internal */
export async function guardRefusal<Data extends SessionData>(
  session: Session<Data> | undefined,
  url: string,
  options: GuardOptions<Data>,
): Promise<Refusal | null> {
  if (!session) {
    throw new CoatcheckError(
      'INVALID_ARGUMENT',
      'requireSession() runs after the session middleware; register that first',
    );
  }
  const verify = options.verify ?? ((candidate: Session<Data>) => candidate.userId !== null);
  if (await verify(session)) return null;
  const { redirectTo } = options;
  if (redirectTo === undefined) return { status: 401, body: ERROR_BODIES.unauthenticated };
  return { status: 303, location: typeof redirectTo === 'function' ? redirectTo(url) : redirectTo };
}

/** Checks guard options when the guard is created. @internal */
export function checkGuardOptions(options: GuardOptions<never>): void {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  if (options.verify !== undefined && typeof options.verify !== 'function') {
    invalidOption('verify', 'must be a function of the session');
  }
  const { redirectTo } = options;
  if (redirectTo !== undefined && typeof redirectTo !== 'function' && typeof redirectTo !== 'string') {
    invalidOption('redirectTo', 'must be a path, a URL or a function returning one');
  }
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

/** Header access over a framework's response, so one function writes the session headers everywhere. @internal */
export interface HeaderTarget {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
}

/** What a response's headers depend on, beyond what the commit returned. @internal */
export interface SessionUse {
  /** The request carried a live session. */
  carried: boolean;
  /** The app read the session (`Session.wasRead`). */
  read: boolean;
}

/**
 * Writes what a committed session adds to a response: the core's headers (`Set-Cookie` appended, the
 * `Cache-Control: no-store` of a cookie change overriding the app's); when the request carried a live
 * session, the private `Cache-Control` unless the app chose one; and `Vary: Cookie` whenever the response
 * depends on the session.
 * @internal
 */
export function writeSessionHeaders(
  target: HeaderTarget,
  committed: CommitResult['headers'],
  use: SessionUse,
  cacheControl: string | false,
): void {
  let setsCookie = false;
  for (const [name, value] of committed) {
    if (name.toLowerCase() === 'set-cookie') {
      target.append(name, value);
      setsCookie = true;
    } else target.set(name, value);
  }
  if (use.carried && cacheControl && !target.get('cache-control')) target.set('Cache-Control', cacheControl);
  // Caches must key every response built from the session on Cookie, the first one of a new session
  // included; otherwise one visitor's page, or the anonymous one, is served to a request with another cookie.
  if (use.carried || use.read || setsCookie) varyOnCookie(target);
}

function varyOnCookie(target: HeaderTarget): void {
  const vary = target.get('vary');
  if (!vary) target.set('Vary', 'Cookie');
  else if (!/(^|,)\s*(\*|cookie)\s*(?=,|$)/i.test(vary)) target.set('Vary', `${vary}, Cookie`);
}

/** {@link HeaderTarget} over Web `Headers`. @internal */
export function webHeaderTarget(headers: Headers): HeaderTarget {
  return {
    get: (name) => headers.get(name) ?? undefined,
    set: (name, value) => headers.set(name, value),
    append: (name, value) => headers.append(name, value),
  };
}
