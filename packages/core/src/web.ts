/**
 * The pipeline over Web `Request` and `Response`, shared by the Fetch and Hono integrations.
 * @internal
 * @module
 */
import { invalidOption } from './errors.js';
import { type OpenedSession, ownOriginOf, type Reply, type ResponseHeaders } from './integration.js';
import type { SessionData } from './session.js';

/**
 * A response being given the session's headers. When its headers are immutable (`Response.redirect()`,
 * `fetch()`), the first write carries `response` over to a copy; without a `response`, the error stands.
 */
export interface WebResponse {
  headers: Headers;
  response?: Response;
}

/** The response half of a port over {@link WebResponse}. */
export const webResponseHeaders: ResponseHeaders<WebResponse> = {
  getHeader: (target, name) => target.headers.get(name),
  setHeader(target, name, value) {
    try {
      target.headers.set(name, value);
    } catch (error) {
      writableCopy(target, error).set(name, value);
    }
  },
  appendHeader(target, name, value) {
    try {
      target.headers.append(name, value);
    } catch (error) {
      writableCopy(target, error).append(name, value);
    }
  },
};

function writableCopy(target: WebResponse, error: unknown): Headers {
  if (!target.response) throw error;
  target.response = new Response(target.response.body, target.response);
  target.headers = target.response.headers;
  return target.headers;
}

/**
 * Commits `opened` onto `response`: the response with the session's headers (a copy when its headers were
 * immutable), or the error response when the save failed. A plain `Response`, not a promise, when there
 * was nothing to save.
 */
export function respond<Data extends SessionData, Req>(
  opened: OpenedSession<Data, Req, WebResponse>,
  response: Response,
): Response | Promise<Response> {
  const target: WebResponse = { headers: response.headers, response };
  const pending = opened.commit(target);
  if (!pending) return target.response as Response;
  return pending.then(
    () => target.response as Response,
    async (error: unknown) => {
      const reply = opened.fail(error);
      await response.body?.cancel().catch(() => undefined);
      return replyResponse(reply);
    },
  );
}

/** A {@link Reply} as a Web `Response`. */
export function replyResponse(reply: Reply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}

/**
 * The own origin of a Web `Request`: its URL's, or with `trustProxy` the one `X-Forwarded-Proto` and
 * `X-Forwarded-Host` describe (first entry each: the client-facing proxy's).
 */
export function webRequestOrigin(request: Request, trustProxy: boolean): string | null {
  const url = new URL(request.url);
  if (!trustProxy) return url.origin;
  const first = (name: string) => request.headers.get(name)?.split(',')[0]?.trim() || undefined;
  return ownOriginOf(first('x-forwarded-proto') ?? url.protocol, first('x-forwarded-host') ?? url.host);
}

/** A URL's path and query, what a guard's `redirectTo` function is given. */
export function pathAndQuery(url: string): string {
  const { pathname, search } = new URL(url);
  return pathname + search;
}

/** Checks the options the Web integrations add, `ip` and `trustProxy`, and returns them. */
export function webOptions<Input>(options: {
  ip?: (input: Input) => string | undefined | null;
  trustProxy?: boolean;
}): {
  ip: ((input: Input) => string | undefined | null) | undefined;
  trustProxy: boolean;
} {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'must be an object');
  const { ip, trustProxy = false } = options;
  if (ip !== undefined && typeof ip !== 'function')
    invalidOption('ip', 'must be a function returning the client address');
  if (typeof trustProxy !== 'boolean') invalidOption('trustProxy', 'must be a boolean');
  return { ip, trustProxy };
}
