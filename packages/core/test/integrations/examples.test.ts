import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessions, MemoryStore } from '../../src/index.js';
import { serveExpress } from './express-app.js';
import {
  cookieFrom,
  type Harness,
  replyFromNode,
  replyFromResponse,
  SECRET,
  type SendInit,
  webRequest,
} from './harness.js';

// The examples import the built package (`@coatcheck/core/express`, …) exactly as users do, so run
// `pnpm --filter @coatcheck/core build` after changing src. They are loaded by path, not by a static
// import, to keep them out of this package's type-check (there, `src` and `dist` would declare
// `req.session` twice); examples/tsconfig.json type-checks them as a user's project would.
const root = fileURLToPath(new URL('../../', import.meta.url));
// biome-ignore lint/suspicious/noExplicitAny: each example's module is typed by its own tsconfig
const example = (name: string): Promise<any> => import(/* @vite-ignore */ `${root}examples/${name}.ts`);
type ExpressApp = Parameters<typeof serveExpress>[0];

const fetchHarness = (handle: (request: Request) => Response | Promise<Response>): Harness => ({
  origin: 'http://localhost',
  send: async (path: string, init?: SendInit) =>
    replyFromResponse(await handle(webRequest('http://localhost', path, init))),
  close: async () => {},
});

const examples: Array<[name: string, file: string, start: () => Promise<Harness>]> = [
  [
    'Express',
    'express.ts',
    async () => serveExpress((await example('express')).createApp(SECRET) as ExpressApp),
  ],
  [
    'Fastify',
    'fastify.ts',
    async () => {
      const app: FastifyInstance = await (await example('fastify')).createApp(SECRET);
      return {
        origin: 'http://localhost',
        async send(path: string, init: SendInit = {}) {
          const response = await app.inject({
            method: (init.method ?? 'GET') as 'GET' | 'POST',
            url: path,
            headers: { ...init.headers, ...(init.cookie ? { cookie: init.cookie } : {}) },
            ...(init.json !== undefined ? { payload: init.json as object } : {}),
          });
          return replyFromNode(response.statusCode, response.headers, response.body);
        },
        close: () => app.close(),
      };
    },
  ],
  [
    'Hono',
    'hono.ts',
    async () => {
      const app = (await example('hono')).createApp(SECRET);
      return fetchHarness((request) => app.request(request));
    },
  ],
  ['Fetch', 'fetch.ts', async () => fetchHarness((await example('fetch')).createHandler(SECRET))],
];

describe.each(examples)('the %s example', (_name, _file, start) => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('logs in, keeps a cart, guards /me and logs out', async () => {
    harness = await start();
    expect((await harness.send('/me')).status).toBe(401);

    const login = await harness.send('/login', { method: 'POST', json: { userId: 'ada' } });
    expect(login.json()).toEqual({ userId: 'ada' });
    const cookie = cookieFrom(login);

    expect((await harness.send('/cart', { method: 'POST', cookie, json: { item: 'apple' } })).json()).toEqual(
      {
        cart: ['apple'],
      },
    );
    expect((await harness.send('/me', { cookie })).json()).toEqual({ userId: 'ada', cart: ['apple'] });

    const crossSite = await harness.send('/cart', {
      method: 'POST',
      cookie,
      headers: { origin: 'https://evil.example' },
      json: { item: 'forged' },
    });
    expect(crossSite.status).toBe(403);

    const logout = await harness.send('/logout', { method: 'POST', cookie });
    expect(logout.status).toBe(204);
    expect(logout.setCookies[0]).toMatch(/Max-Age=0/);
    expect((await harness.send('/me', { cookie })).status).toBe(401);
  });
});

describe('the Express form example', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('accepts the form with its token, and refuses it without', async () => {
    harness = await serveExpress((await example('express-form')).createFormApp(SECRET) as ExpressApp);
    const page = await harness.send('/profile');
    const cookie = cookieFrom(page);
    const token = /name="_csrf" value="([\w-]+)"/.exec(page.text)?.[1] as string;

    const forged = await harness.send('/profile', { method: 'POST', cookie, form: { nickname: 'mallory' } });
    expect(forged.status).toBe(403);

    const saved = await harness.send('/profile', {
      method: 'POST',
      cookie,
      form: { _csrf: token, nickname: 'ada' },
    });
    expect(saved.status).toBe(303);
    expect((await harness.send('/profile', { cookie })).text).toContain('<p>Profile saved</p>');
  });
});

describe('the README', () => {
  it('shows every example exactly as tested', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    for (const file of [...examples.map(([, example]) => example), 'express-form.ts']) {
      const source = readFileSync(`${root}examples/${file}`, 'utf8');
      expect(readme, `examples/${file} is not in the README as is`).toContain(source);
    }
  });
});

describe('the README on plain-http development', () => {
  it('shows the cookie option, and the cookie it gives in development and in production', async () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme).toContain("cookie: { secure: process.env.NODE_ENV === 'production' }");
    expect(readme).toContain('renamed from `__Host-coatcheck` to `coatcheck`');
    for (const [secure, name] of [
      [false, 'coatcheck'],
      [true, '__Host-coatcheck'],
    ] as const) {
      const sessions = createSessions({ store: new MemoryStore(), secrets: [SECRET], cookie: { secure } });
      const session = await sessions.load({});
      session.set('n', 1);
      const setCookie = (await sessions.commit(session)).headers.find(([header]) => header === 'Set-Cookie');
      expect(setCookie?.[1].startsWith(`${name}=`), setCookie?.[1]).toBe(true);
      expect(setCookie?.[1].includes('; Secure')).toBe(secure);
    }
  });
});

describe('the examples', () => {
  it('type-check against the built package, as in a user’s project', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', `${root}examples`], { cwd: root });
    await expect(run).resolves.toMatchObject({ stdout: '' });
  }, 120_000);
});
