/**
 * Fastify 5 integration: `app.register(sessionPlugin, { sessions })`, then `request.session`.
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
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
 * The shape of `request.session`'s data. Declare yours by merging into it:
 *
 * ```ts
 * declare module '@coatcheck/core/fastify' {
 *   interface SessionData { cart: string[] }
 * }
 * ```
 * Left empty, `request.session` holds any JSON values.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging
export interface SessionData {}

/** The data type of `request.session`: your {@link SessionData}, or any JSON values when you declared none. */
export type FastifySessionData = DeclaredSessionData<SessionData>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, loaded by `sessionPlugin`. */
    session: Session<FastifySessionData>;
  }
}

/** Options of {@link sessionPlugin}. */
export interface FastifySessionOptions extends IntegrationOptions {
  /** The session manager, from `createSessions()`. */
  // biome-ignore lint/suspicious/noExplicitAny: any data shape; `request.session` is typed by SessionData
  sessions: Sessions<any>;
}

type Opened = OpenedSession<CoreSessionData, FastifyRequest, FastifyReply>;

/** Where `onRequest` leaves the opened session for `onSend`. */
const OPENED = Symbol('coatcheck.opened');

const port: SessionPort<FastifyRequest, FastifyReply> = {
  method: (request) => request.method,
  header: requestHeader,
  ownOrigin: (request) => ownOriginOf(request.protocol, request.host),
  ip: (request) => request.ip,
  getHeader: (reply, name) => responseHeader(reply.getHeader(name)),
  setHeader(reply, name, value) {
    reply.header(name, value);
  },
  // Fastify appends when the header is `set-cookie`, the only one appended.
  appendHeader(reply, name, value) {
    reply.header(name, value);
  },
  log: (request, error) => request.log.error({ err: error }, 'coatcheck session failure'),
};

const plugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, options) => {
  const { sessions, originCheck, sessionCacheControl, onError } = options ?? {};
  // Only the integration's own options, and their old names to be refused: Fastify's (`prefix`,
  // `logLevel`, …) arrive in the same object.
  const { csrf, cacheControl } = (options ?? {}) as { csrf?: unknown; cacheControl?: unknown };
  const own = { originCheck, sessionCacheControl, onError, csrf, cacheControl } as IntegrationOptions;
  const open = sessionPipeline(sessions, own, port);

  fastify.decorateRequest('session', null as unknown as Session<FastifySessionData>);
  fastify.decorateRequest(OPENED, null);

  fastify.addHook('onRequest', async (request, reply) => {
    const opened = await open(request);
    if ('status' in opened) return sendReply(reply, opened);
    request.session = opened.session;
    (request as { [OPENED]?: Opened })[OPENED] = opened;
  });

  // onSend runs before Fastify writes the headers, so the save always lands before the response leaves.
  // Callback style, so a request with nothing to save goes on without a promise.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const opened = (request as { [OPENED]?: Opened | null })[OPENED];
    const pending = opened?.commit(reply);
    if (!opened || !pending) return done(null, payload);
    pending.then(
      () => done(null, payload),
      (error: unknown) => {
        const failure = opened.fail(error);
        (payload as { destroy?: () => void } | null)?.destroy?.();
        for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
        reply.code(failure.status).headers(failure.headers);
        done(null, failure.body);
      },
    );
  });
};

/**
 * Fastify plugin that loads `request.session` and saves it in `onSend`, before the headers go out.
 * Registered without encapsulation, so every route of the instance that registers it gets sessions.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `originCheck`).
 * - A store outage gets 503 `{ error }`, never an anonymous session; so does a failed save.
 */
export const sessionPlugin = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@coatcheck/core/fastify',
  [Symbol.for('plugin-meta')]: { name: '@coatcheck/core/fastify', fastify: '5.x' },
});

/**
 * Guard (`preHandler`): refuses requests without a logged-in user with 401 JSON, or a 303 redirect when
 * `redirectTo` is set.
 *
 * ```ts
 * app.get('/account', { preHandler: requireUser({ redirectTo: '/login' }) }, handler);
 * ```
 */
export function requireUser(
  options: GuardOptions<FastifySessionData> = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  checkGuardOptions(options);
  return async function coatcheckRequireUser(request, reply) {
    const refusal = await requireUserReply(request.session, () => request.url, options, 'sessionPlugin');
    if (refusal) return sendReply(reply, refusal);
  };
}

/**
 * Guard (`preHandler`): refuses unsafe requests whose CSRF token (from `csrfToken()`) is missing or wrong,
 * with 403. Reads the `x-csrf-token` header, else the `_csrf` field of the parsed body (register a
 * parser for `application/x-www-form-urlencoded`, such as `@fastify/formbody`, for HTML forms).
 */
export function requireCsrfToken(
  options: CsrfTokenOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const settings = resolveCsrfTokenOptions(options);
  return async function coatcheckRequireCsrfToken(request, reply) {
    const source = {
      method: request.method,
      header: (name: string) => requestHeader(request, name),
      bodyField: (field: string) => tokenInBody(request.body, field),
    };
    const refusal = await requireCsrfTokenReply(request.session, source, settings, 'sessionPlugin');
    if (refusal) return sendReply(reply, refusal);
  };
}

function sendReply(reply: FastifyReply, { status, headers, body }: Reply): FastifyReply {
  return reply
    .code(status)
    .headers(headers)
    .send(body ?? undefined);
}
