// Configuration from the environment: defaults, and refusals with a message that says what to do.
import { describe, expect, it, vi } from 'vitest';
import { startDemo } from '../src/app.js';
import { ConfigError, readConfig } from '../src/config.js';

const SECRET = 'x'.repeat(32);

describe('readConfig', () => {
  it('defaults to the embedded SQLite store on port 3000', () => {
    const config = readConfig({ SESSION_SECRETS: SECRET });
    expect(config).toMatchObject({ store: 'sqlite', port: 3000, secrets: [SECRET], production: false });
    expect(config.sqliteFile).toMatch(/apps\/demo\/\.data\/sessions\.db$/);
    expect(config.idleTimeoutSeconds).toBeUndefined();
  });

  it('reads the key ring, the timeouts and the store URLs', () => {
    const config = readConfig({
      SESSION_STORE: 'redis-cluster',
      SESSION_SECRETS: ` ${SECRET}, ${'y'.repeat(40)} `,
      SESSION_IDLE_TIMEOUT_SECONDS: '600',
      SESSION_ABSOLUTE_TIMEOUT_SECONDS: '3600',
      REDIS_URL: 'redis://127.0.0.1:7200,redis://127.0.0.1:7201',
      PORT: '8080',
    });
    expect(config).toMatchObject({
      store: 'redis-cluster',
      port: 8080,
      secrets: [SECRET, 'y'.repeat(40)],
      idleTimeoutSeconds: 600,
      absoluteTimeoutSeconds: 3600,
      redisUrl: 'redis://127.0.0.1:7200,redis://127.0.0.1:7201',
    });
  });

  it('generates a secret in development, with a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const config = readConfig({});
    expect(config.secrets).toHaveLength(1);
    expect(Buffer.byteLength(config.secrets[0] as string)).toBeGreaterThanOrEqual(32);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('SESSION_SECRETS is not set'));
    warn.mockRestore();
  });

  it('refuses to start in production without a secret, or with a short one', () => {
    expect(() => readConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => readConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRETS is required in production/);
    expect(() => readConfig({ NODE_ENV: 'production', SESSION_SECRETS: 'hunter2' })).toThrow(
      /secret #1 is 7 bytes; each needs at least 32/,
    );
    expect(() => readConfig({ SESSION_SECRETS: `${SECRET},short` })).toThrow(/secret #2 is 5 bytes/);
    expect(readConfig({ NODE_ENV: 'production', SESSION_SECRETS: SECRET }).production).toBe(true);
  });

  it('names the variable when a value is wrong', () => {
    expect(() => readConfig({ SESSION_STORE: 'dynamo', SESSION_SECRETS: SECRET })).toThrow(
      /SESSION_STORE must be one of sqlite, memory, cookie, redis, redis-cluster, postgres, mysql, mongo/,
    );
    expect(() => readConfig({ PORT: 'eighty', SESSION_SECRETS: SECRET })).toThrow(
      /PORT must be a whole number/,
    );
    expect(() => readConfig({ SESSION_IDLE_TIMEOUT_SECONDS: '1.5', SESSION_SECRETS: SECRET })).toThrow(
      /SESSION_IDLE_TIMEOUT_SECONDS must be a whole number/,
    );
  });

  it('takes the PostgreSQL schema from ?schema= only when it is a plain name', () => {
    const postgres = (DATABASE_URL: string) =>
      readConfig({ SESSION_STORE: 'postgres', SESSION_SECRETS: SECRET, DATABASE_URL });
    expect(postgres('postgresql://db/app').postgresSchema).toBe('public');
    expect(postgres('postgresql://db/app?schema=shop_2').postgresSchema).toBe('shop_2');
    for (const schema of ['a"; DROP SCHEMA public CASCADE; --', 'shop-eu', 'a b', '']) {
      expect(() => postgres(`postgresql://db/app?schema=${encodeURIComponent(schema)}`)).toThrow(
        /DATABASE_URL: \?schema= must be a plain schema name of letters, digits and _/,
      );
    }
    expect(() => postgres('not a url')).toThrow(/DATABASE_URL is not a URL/);
    // Other stores do not read it.
    expect(
      readConfig({ SESSION_STORE: 'mysql', SESSION_SECRETS: SECRET, DATABASE_URL: 'mysql://db/x?schema=-' }),
    ).toMatchObject({ postgresSchema: 'public' });
  });
});

describe('startDemo', () => {
  it('stops with a message naming the store it cannot reach', async () => {
    const config = readConfig({
      SESSION_STORE: 'redis',
      REDIS_URL: 'redis://127.0.0.1:1',
      SESSION_SECRETS: SECRET,
    });
    await expect(startDemo({ ...config, port: 0 })).rejects.toThrow(
      /Could not open the session store \(Redis at 127\.0\.0\.1:1\).*ECONNREFUSED/,
    );
  });
});
