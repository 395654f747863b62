/**
 * Header access shared by the integrations over Node's HTTP messages, Express and Fastify.
 * @internal
 * @module
 */
import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http';

/**
 * A request header as one string, or `undefined`. Node joins repeated headers into one string, except the
 * few it keeps as a list (`set-cookie`), none of which is read here.
 */
export function requestHeader(request: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** A response header as Node and Fastify hold it (a number, a string or a list), as one string. */
export function responseHeader(value: OutgoingHttpHeader | undefined): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
}
