import { CoatcheckError, invalidOption } from './errors.js';

/** Options of the session cookie. Every attribute is validated when the sessions are created. */
export interface CookieOptions {
  /**
   * Cookie name. `__Host-…` names make the browser guarantee Secure, `Path=/` and no `Domain`, so a
   * subdomain cannot plant or shadow the cookie.
   * @default '__Host-coatcheck' when `secure`, `path: '/'` and no `domain` (the defaults); otherwise 'coatcheck'
   */
  name?: string;
  /** @default '/' */
  path?: string;
  /** Only set it to share the session with subdomains. @default undefined (host-only) */
  domain?: string;
  /** @default 'lax' */
  sameSite?: 'lax' | 'strict' | 'none';
  /**
   * Send the cookie over HTTPS only. Setting `false` is the explicit opt-in to plain-http development
   * (browsers already accept Secure cookies from `http://localhost`).
   * @default true
   */
  secure?: boolean;
  /** Hide the cookie from page scripts. @default true */
  httpOnly?: boolean;
  /**
   * `true`: the cookie lives until the session's absolute deadline (capped at 400 days), so it
   * survives a browser restart. `false`: a browser-session cookie, gone when the browser closes.
   * Either way the server enforces both timeouts on every read.
   * @default true
   */
  persistent?: boolean;
  /** CHIPS partitioned cookie (requires `secure`). @default false */
  partitioned?: boolean;
  /** Chromium's `Priority` attribute. @default undefined */
  priority?: 'low' | 'medium' | 'high';
}

/** Cookie options after defaults and validation. */
export type ResolvedCookieOptions = Required<Omit<CookieOptions, 'domain' | 'priority'>> &
  Pick<CookieOptions, 'domain' | 'priority'>;

/** Browsers drop a cookie whose name plus value exceeds this many bytes (RFC 6265bis). */
export const MAX_COOKIE_BYTES = 4096;
/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis). */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// Any CHAR but CTLs and ';' (RFC 6265 path-value).
const PATH_VALUE = /^[\x20-\x3A\x3C-\x7E]+$/;
const DOMAIN_VALUE = /^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Applies defaults and validates every attribute; throws `INVALID_OPTION` naming the bad one. */
export function resolveCookieOptions(options: CookieOptions = {}): ResolvedCookieOptions {
  const resolved: ResolvedCookieOptions = {
    name: options.name ?? defaultName(options),
    path: options.path ?? '/',
    domain: options.domain,
    sameSite: options.sameSite ?? 'lax',
    secure: options.secure ?? true,
    httpOnly: options.httpOnly ?? true,
    persistent: options.persistent ?? true,
    partitioned: options.partitioned ?? false,
    priority: options.priority,
  };
  const { name, path, domain, sameSite, secure } = resolved;
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    invalidOption('cookie.name', `must be a non-empty RFC 6265 token (got ${JSON.stringify(name)})`);
  }
  if (typeof path !== 'string' || !PATH_VALUE.test(path) || !path.startsWith('/')) {
    invalidOption('cookie.path', `must start with "/" and hold no ";" or control characters`);
  }
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN_VALUE.test(domain))) {
    invalidOption('cookie.domain', `must be a plain host name (got ${JSON.stringify(domain)})`);
  }
  if (!['lax', 'strict', 'none'].includes(sameSite)) {
    invalidOption('cookie.sameSite', `must be 'lax', 'strict' or 'none' (got ${JSON.stringify(sameSite)})`);
  }
  if (resolved.priority !== undefined && !['low', 'medium', 'high'].includes(resolved.priority)) {
    invalidOption('cookie.priority', `must be 'low', 'medium' or 'high'`);
  }
  for (const flag of ['secure', 'httpOnly', 'persistent', 'partitioned'] as const) {
    if (typeof resolved[flag] !== 'boolean') invalidOption(`cookie.${flag}`, 'must be a boolean');
  }
  if (sameSite === 'none' && !secure) invalidOption('cookie.sameSite', `'none' requires \`secure: true\``);
  if (resolved.partitioned && !secure) invalidOption('cookie.partitioned', 'requires `secure: true`');
  // Browsers match the prefixes case-insensitively.
  const lowerName = name.toLowerCase();
  if (lowerName.startsWith('__host-') && (!secure || path !== '/' || domain !== undefined)) {
    invalidOption('cookie.name', '`__Host-` cookies need `secure: true`, `path: "/"` and no `domain`');
  }
  if (lowerName.startsWith('__secure-') && !secure) {
    invalidOption('cookie.name', '`__Secure-` cookies need `secure: true`');
  }
  return resolved;
}

/** `__Host-coatcheck` wherever the prefix's rules hold, so the safe name is the default. */
function defaultName(options: CookieOptions): string {
  const hostOnly = (options.secure ?? true) && (options.path ?? '/') === '/' && options.domain === undefined;
  return hostOnly ? '__Host-coatcheck' : 'coatcheck';
}

/**
 * Serialises a `Set-Cookie` value. `expiresAt` (epoch ms) makes it persistent, capped at 400 days;
 * `null` makes a browser-session cookie; `0` clears it.
 */
export function serializeCookie(
  options: ResolvedCookieOptions,
  value: string,
  expiresAt: number | null,
  nowMs: number = Date.now(),
): string {
  if (!COOKIE_VALUE.test(value)) {
    throw new CoatcheckError('INVALID_ARGUMENT', 'cookie value holds characters a cookie cannot carry');
  }
  const bytes = options.name.length + 1 + value.length;
  if (bytes > MAX_COOKIE_BYTES) {
    throw new CoatcheckError(
      'COOKIE_TOO_LARGE',
      `cookie "${options.name}" would be ${bytes} bytes; browsers drop cookies over ${MAX_COOKIE_BYTES} ` +
        'bytes. Keep less data in the session, or use a server-side store.',
    );
  }
  const parts = [`${options.name}=${value}`, `Path=${options.path}`];
  if (options.domain) parts.push(`Domain=${options.domain}`);
  if (expiresAt !== null) {
    // Rounded up: the server ends the session at its deadline anyway, while rounding down would have the
    // browser drop the cookie up to a second early (a 7 s session would last 6 s).
    const maxAgeSeconds = Math.max(
      0,
      Math.min(MAX_COOKIE_AGE_SECONDS, Math.ceil((expiresAt - nowMs) / 1000)),
    );
    const expires = maxAgeSeconds === 0 ? 0 : nowMs + maxAgeSeconds * 1000;
    parts.push(`Max-Age=${maxAgeSeconds}`, `Expires=${new Date(expires).toUTCString()}`);
  }
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite[0]?.toUpperCase()}${options.sameSite.slice(1)}`);
  if (options.partitioned) parts.push('Partitioned');
  if (options.priority)
    parts.push(`Priority=${options.priority[0]?.toUpperCase()}${options.priority.slice(1)}`);
  return parts.join('; ');
}

/**
 * How many distinct values of the session cookie one request may have tried: a browser sends more than
 * one only when cookies of other paths or a parent domain linger, and each costs a store read, so a
 * header repeating one signed cookie hundreds of times must not cost hundreds of reads.
 */
export const MAX_COOKIE_CANDIDATES = 4;

/**
 * The distinct values sent under exactly `name` in a `Cookie` header, in order, at most
 * {@link MAX_COOKIE_CANDIDATES}. Only ASCII spaces and tabs are trimmed: trimming other whitespace
 * (U+00A0) would let a look-alike name shadow the real cookie.
 */
export function readCookieValues(header: string | null | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    if (values.length === MAX_COOKIE_CANDIDATES) break;
    const equals = pair.indexOf('=');
    if (equals === -1) continue;
    if (trimAscii(pair.slice(0, equals)) !== name) continue;
    let value = trimAscii(pair.slice(equals + 1));
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!values.includes(value)) values.push(value);
  }
  return values;
}

function trimAscii(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(start, end);
}
