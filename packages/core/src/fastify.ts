/**
 * Fastify 5 integration: `app.register(sessionPlugin, { sessions })`, then `request.session`.
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { verifyCsrfToken } from './csrf.js';
import { invalidOption } from './errors.js';
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
export type FastifySessionData = keyof SessionData extends never
  ? CoreSessionData
  : { [Key in keyof SessionData]: SessionData[Key] };

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

const plugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, options) => {
  const { sessions } = options ?? {};
  if (typeof sessions?.load !== 'function' || typeof sessions.commit !== 'function') {
    invalidOption('sessions', 'must be the manager returned by createSessions()');
  }
  const settings = resolveIntegrationOptions({
    csrf: options.csrf,
    cacheControl: options.cacheControl,
    onError: options.onError,
  });
  const report = (request: FastifyRequest, error: unknown) =>
    options.onError ? options.onError(error) : request.log.error({ err: error }, 'coatcheck session failure');
  // Sessions that arrived with the request (not created by it): their responses are private.
  const carried = new WeakSet<Session<CoreSessionData>>();

  fastify.decorateRequest('session', null as unknown as Session<FastifySessionData>);

  fastify.addHook('onRequest', async (request, reply) => {
    const crossSite = isCrossSiteRequest(settings, {
      method: request.method,
      ownOrigin: ownOriginOf(request.protocol, request.host),
      origin: request.headers.origin,
      referer: request.headers.referer,
      secFetchSite: stringHeader(request, 'sec-fetch-site'),
    });
    if (crossSite) return reply.code(403).send(ERROR_BODIES.crossSite);
    try {
      const session = await sessions.load({
        cookie: request.headers.cookie,
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
      if (!session.isNew) carried.add(session);
      request.session = session;
    } catch (error) {
      if (!isStoreError(error)) throw error;
      report(request, error);
      return reply.code(503).send(ERROR_BODIES.storeUnavailable);
    }
  });

  // onSend runs before Fastify writes the headers, so the save always lands before the response leaves.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const session = request.session as Session<CoreSessionData> | null;
    if (!session) return payload;
    try {
      const { headers } = await sessions.commit(session);
      const use = { carried: carried.has(session), read: internalsOf(session).wasRead };
      writeSessionHeaders(fastifyHeaderTarget(reply), headers, use, settings.cacheControl);
      return payload;
    } catch (error) {
      report(request, error);
      (payload as { destroy?: () => void } | null)?.destroy?.();
      for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
      const { status, body } = failureResponse(error);
      reply
        .code(status)
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store');
      return JSON.stringify(body);
    }
  });
};

/**
 * Fastify plugin that loads `request.session` and saves it in `onSend`, before the headers go out.
 * Registered without encapsulation, so every route of the instance that registers it gets sessions.
 *
 * - Unsafe cross-site requests get 403 before anything is loaded (see `csrf`).
 * - A store outage gets 503 `{ error }`, never an anonymous session; so does a failed save.
 */
export const sessionPlugin = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@coatcheck/core/fastify',
  [Symbol.for('plugin-meta')]: { name: '@coatcheck/core/fastify', fastify: '5.x' },
});

/**
 * Guard (`preHandler`): refuses requests without a valid session (by default: a logged-in one) with
 * 401 JSON, or a 303 redirect when `redirectTo` is set.
 *
 * ```ts
 * app.get('/account', { preHandler: requireSession({ redirectTo: '/login' }) }, handler);
 * ```
 */
export function requireSession(
  options: GuardOptions<FastifySessionData> = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  checkGuardOptions(options);
  return async function coatcheckRequireSession(request, reply) {
    let refusal: Awaited<ReturnType<typeof guardRefusal>>;
    try {
      refusal = await guardRefusal(request.session ?? undefined, request.url, options);
    } catch (error) {
      if (!isStoreError(error)) throw error;
      return reply.code(503).send(ERROR_BODIES.storeUnavailable);
    }
    if (!refusal) return;
    if (refusal.status === 401) return reply.code(401).send(refusal.body);
    return reply.redirect(refusal.location, 303);
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
  const { field, header } = resolveCsrfTokenOptions(options);
  return async function coatcheckRequireCsrfToken(request, reply) {
    if (!isUnsafeMethod(request.method)) return;
    if (!request.session)
      throw new Error('[coatcheck] requireCsrfToken() needs sessionPlugin registered first');
    const submitted = stringHeader(request, header) ?? tokenInBody(request.body, field);
    if (verifyCsrfToken(request.session, submitted)) return;
    return reply.code(403).send(ERROR_BODIES.invalidCsrfToken);
  };
}

function fastifyHeaderTarget(reply: FastifyReply): HeaderTarget {
  return {
    get: (name) => {
      const value = reply.getHeader(name);
      return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
    },
    set: (name, value) => reply.header(name, value),
    // Fastify appends when the header is `set-cookie`, the only one appended.
    append: (name, value) => reply.header(name, value),
  };
}

function stringHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
