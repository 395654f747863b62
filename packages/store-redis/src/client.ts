import { assertMethods } from '@coatcheck/core/store';

/**
 * The few commands the store sends, typed structurally so any ioredis `Redis` or `Cluster` (5.x, 6.x)
 * fits without tying you to the exact ioredis version this package was built against.
 *
 * The store never creates, configures, connects or closes the client: you own its lifecycle. Every ioredis
 * client also has what the store uses, when present, to load its scripts on each connection as it opens
 * (`status`, `on`/`once`/`removeListener`, `script('LOAD', …)`, and a Cluster's `nodes('master')`); a
 * client without them still works, and the first call of each script on a server then costs two round trips.
 */
export interface RedisClientLike {
  /** Runs a cached Lua script by its SHA-1 (`EVALSHA`). */
  evalsha(sha1: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** Runs a Lua script (`EVAL`); used only when `EVALSHA` answers `NOSCRIPT`. */
  eval(script: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** Reads a whole hash (`HGETALL`); a missing key reads as `{}`. */
  hgetall(key: string): Promise<Record<string, string>>;
  /** Removes members from a sorted set (`ZREM`). */
  zrem(key: string, ...members: string[]): Promise<number>;
  /**
   * Server information (`INFO server`), optional: asked once, to tell a standalone server, where a script
   * may touch two keys, from a proxy or a sharded database, where it may not.
   */
  info?(section: 'server'): Promise<string>;
}

const REQUIRED_METHODS = ['evalsha', 'eval', 'hgetall', 'zrem'] as const;

/** Checks at construction that `client` can run every command the store sends. */
export function assertRedisClient(client: unknown): asserts client is RedisClientLike {
  assertMethods<RedisClientLike>(client, 'client', REQUIRED_METHODS, {
    expected: 'an ioredis Redis or Cluster client',
  });
}
