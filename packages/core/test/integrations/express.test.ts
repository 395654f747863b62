import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import express5 from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { requireUser, sessionMiddleware } from '../../src/express.js';
import { createSessions, MemoryStore, type SessionRecord } from '../../src/index.js';
import { buildExpressApp, serveExpress } from './express-app.js';
import { cookieFrom, createCartSessions, FlakyStore, type Harness, SECRET } from './harness.js';
import { runIntegrationScenarios } from './scenarios.js';

const versions = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
] as const;

for (const [name, createApp] of versions) {
  runIntegrationScenarios(name, async (setup) => serveExpress(buildExpressApp(createApp, setup)));

  describe(`${name}: nothing reaches the client before the session is saved`, () => {
    let harness: Harness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    function appWith(store = new FlakyStore()) {
      const sessions = createCartSessions(store);
      const app = createApp();
      app.use(sessionMiddleware(sessions, { onError: () => {} }));
      app.get('/stream', (req, res) => {
        req.session.set('flag', true);
        res.setHeader('Content-Type', 'text/plain');
        res.write('a');
        res.write('b');
        res.end('c');
      });
      app.get('/pipe', (req, res) => {
        req.session.set('flag', true);
        Readable.from(['x'.repeat(256 * 1024), 'y'.repeat(256 * 1024)]).pipe(res);
      });
      app.get('/write-head', (req, res) => {
        req.session.set('flag', true);
        res.writeHead(201, 'Made', { 'Set-Cookie': 'theme=dark; Path=/', 'Content-Type': 'text/plain' });
        res.end('ok');
      });
      app.get('/flag', (req, res) => {
        res.json({ flag: req.session.get('flag') ?? false });
      });
      return app;
    }

    it('holds back a redirect until the store has the change', async () => {
      let saveStarted!: () => void;
      const started = new Promise<void>((resolve) => {
        saveStarted = resolve;
      });
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      class SlowStore extends MemoryStore {
        override async create(id: string, record: SessionRecord): Promise<boolean> {
          saveStarted();
          await gate;
          return super.create(id, record);
        }
      }
      const store = new SlowStore();
      const app = createApp();
      app.use(sessionMiddleware(createSessions({ store, secrets: [SECRET] })));
      app.post('/go', (req, res) => {
        req.session.set('flag', true);
        res.redirect(303, '/next');
      });
      harness = await serveExpress(app);

      const events: string[] = [];
      const response = new Promise<{ status?: number; cookie?: string }>((resolve, reject) => {
        const request = httpRequest(`${harness?.origin}/go`, { method: 'POST' }, (res) => {
          events.push('response');
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, cookie: res.headers['set-cookie']?.[0] }));
        });
        request.on('error', reject);
        request.end();
      });
      await started;
      // However long the store takes, not a byte of the response may leave before it answers.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(events).toEqual([]);
      events.push('saved');
      openGate();
      const { status, cookie } = await response;
      expect(events).toEqual(['saved', 'response']);
      expect(status).toBe(303);
      expect(cookie).toMatch(/^__Host-coatcheck=/);
      expect(store.size).toBe(1);
    });

    it('holds streamed writes, then sends them in order with the cookie', async () => {
      harness = await serveExpress(appWith());
      const reply = await harness.send('/stream');
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('abc');
      const cookie = cookieFrom(reply);
      expect((await harness.send('/flag', { cookie })).json()).toEqual({ flag: true });
    });

    it('keeps a piped stream flowing through the hold (backpressure and drain)', async () => {
      harness = await serveExpress(appWith());
      const reply = await harness.send('/pipe');
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('x'.repeat(256 * 1024) + 'y'.repeat(256 * 1024));
      expect(reply.setCookies).toHaveLength(1);
    });

    it('adds the session cookie to headers passed to writeHead instead of losing it', async () => {
      harness = await serveExpress(appWith());
      const reply = await harness.send('/write-head');
      expect(reply.status).toBe(201);
      expect(reply.text).toBe('ok');
      expect(reply.setCookies).toHaveLength(2);
      expect(reply.setCookies[0]).toBe('theme=dark; Path=/');
      expect(reply.setCookies[1]).toMatch(/^__Host-coatcheck=/);
      expect(reply.headers.get('cache-control')).toBe('no-store');
    });

    it('sends only a 503 when the save of a streamed or piped response fails', async () => {
      const store = new FlakyStore();
      harness = await serveExpress(appWith(store));
      const cookie = cookieFrom(await harness.send('/stream'));
      store.mode = 'writes-down';
      for (const path of ['/stream', '/pipe']) {
        const reply = await harness.send(path, { cookie });
        expect(reply.status).toBe(503);
        expect(reply.json()).toEqual({ error: 'Session store unavailable, try again later' });
      }
    });
  });

  describe(`${name}: integration details`, () => {
    let harness: Harness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('uses Express’ trust proxy setting for the request’s own origin', async () => {
      for (const trusted of [true, false]) {
        const app = createApp();
        if (trusted) app.set('trust proxy', 'loopback');
        app.use(sessionMiddleware(createCartSessions()));
        app.post('/', (_req, res) => {
          res.send('ok');
        });
        harness = await serveExpress(app);
        const reply = await harness.send('/', {
          method: 'POST',
          headers: {
            origin: 'https://shop.example',
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'shop.example',
          },
        });
        expect(reply.status).toBe(trusted ? 200 : 403);
        await harness.close();
        harness = undefined;
      }
    });

    it('loads one session when the middleware is mounted twice', async () => {
      const sessions = createCartSessions();
      const app = createApp();
      const router = createApp.Router();
      app.use(sessionMiddleware(sessions));
      router.use(sessionMiddleware(sessions));
      router.post('/twice', (req, res) => {
        req.session.set('flag', true);
        res.send('ok');
      });
      app.use('/nested', router);
      harness = await serveExpress(app);
      const reply = await harness.send('/nested/twice', { method: 'POST' });
      expect(reply.status).toBe(200);
      expect(reply.setCookies).toHaveLength(1);
    });

    it('throws an invalid header given to writeHead into the handler, as Node does', async () => {
      const errors: unknown[] = [];
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions(), { onError: (error) => errors.push(error) }));
      app.get('/bad', (req, res) => {
        req.session.set('flag', true);
        res.writeHead(200, { 'X-Bad': 'line\nbreak' });
        res.end('never sent');
      });
      app.use((error: { code?: string }, _req: unknown, res: express5.Response, _next: unknown) => {
        res.status(500).send(error.code);
      });
      harness = await serveExpress(app);
      const reply = await harness.send('/bad');
      expect(reply.status).toBe(500);
      expect(reply.text).toBe('ERR_INVALID_CHAR');
      expect(reply.headers.get('x-bad')).toBeNull();
      // The session change still went out with the error page.
      expect(reply.setCookies).toHaveLength(1);
      expect(errors).toEqual([]);
    });

    it('ends the connection, without crashing, when a held call throws on replay', async () => {
      const errors: unknown[] = [];
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions(), { onError: (error) => errors.push(error) }));
      app.get('/bad', (req, res) => {
        req.session.set('flag', true);
        res.write('a');
        // Node refuses a second writeHead once the first write sent the headers; held, it throws on replay.
        res.writeHead(200);
        res.end();
      });
      harness = await serveExpress(app);
      await expect(harness.send('/bad')).rejects.toThrow();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'ERR_HTTP_HEADERS_SENT' });
    });

    it('hands an error from sending the guard’s refusal to next(), which Express 4 would leave unhandled', async () => {
      const errors: unknown[] = [];
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions()));
      // A middleware that sent the headers and still called next(): the refusal can no longer be sent.
      app.get(
        '/me',
        (_req, res, next) => {
          res.flushHeaders();
          next();
        },
        requireUser(),
        (_req, res) => {
          res.end('never');
        },
      );
      app.use((error: unknown, _req: unknown, res: express5.Response, _next: unknown) => {
        errors.push(error);
        res.end();
      });
      harness = await serveExpress(app);
      await harness.send('/me');
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' })]);
    });

    it('reports, once, a session change made after the response was written, which it cannot save', async () => {
      const errors: unknown[] = [];
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions(), { onError: (error) => errors.push(error) }));
      app.get('/early', (req, res) => {
        req.session.set('flag', true);
        res.write('a');
        res.end('b');
      });
      app.get('/late', (req, res) => {
        res.write('a');
        req.session.set('flag', true);
        res.end('b');
      });
      app.get('/after-send', (req, res) => {
        res.send('sent');
        req.session.set('flag', true);
      });
      app.get('/flag', (req, res) => {
        res.json({ flag: req.session.get('flag') ?? false });
      });
      harness = await serveExpress(app);

      const early = await harness.send('/early');
      expect((await harness.send('/flag', { cookie: cookieFrom(early) })).json()).toEqual({ flag: true });
      expect(errors).toEqual([]);

      const late = await harness.send('/late');
      expect(late.text).toBe('ab');
      expect(late.setCookies).toEqual([]);
      await harness.send('/after-send');
      await harness.send('/late');
      // 'finish' may come a tick after the client has the response.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors).toEqual([
        expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('not saved') }),
      ]);
    });

    it('lets writes straight through when there is nothing to save', async () => {
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions()));
      app.get('/write', (req, res) => {
        const change = req.query.change === '1';
        if (change) req.session.set('flag', true);
        // A held write reports backpressure (false) until the save is done; a real one has room (true).
        const flowing = res.write('written ');
        res.end(String(flowing));
      });
      harness = await serveExpress(app);
      const unchanged = await harness.send('/write');
      expect(unchanged.text).toBe('written true');
      expect(unchanged.setCookies).toEqual([]);
      const changed = await harness.send('/write?change=1');
      expect(changed.text).toBe('written false');
      expect(changed.setCookies).toHaveLength(1);
    });

    it('works under middleware that wraps the response after it (compression-style), changed or not', async () => {
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions()));
      // What compression does: later middleware that wraps writeHead, write and end to transform the body.
      app.use((_req, res, next) => {
        const { writeHead, write, end } = res;
        const upper = (chunk: unknown) => (typeof chunk === 'string' ? chunk.toUpperCase() : chunk);
        res.writeHead = function (this: typeof res, ...args: unknown[]) {
          this.setHeader('x-wrapped', 'yes');
          return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
        } as typeof res.writeHead;
        res.write = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
          return (write as (...a: unknown[]) => boolean).call(this, upper(chunk), ...rest);
        } as typeof res.write;
        res.end = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
          return (end as (...a: unknown[]) => typeof res).call(this, upper(chunk), ...rest);
        } as typeof res.end;
        next();
      });
      app.get('/page', (req, res) => {
        if (req.query.change === '1') req.session.update((data) => ({ ...data, cart: ['pear'] }));
        res.setHeader('Content-Type', 'text/plain');
        res.write('cart: ');
        res.end(JSON.stringify(req.session.get('cart') ?? []));
      });
      harness = await serveExpress(app);

      const first = await harness.send('/page?change=1');
      expect(first.text).toBe('CART: ["PEAR"]');
      expect(first.headers.get('x-wrapped')).toBe('yes');
      expect(first.setCookies).toHaveLength(1);
      const cookie = cookieFrom(first);
      const unchanged = await harness.send('/page', { cookie });
      expect(unchanged.text).toBe('CART: ["PEAR"]');
      expect(unchanged.headers.get('x-wrapped')).toBe('yes');
      expect(unchanged.headers.get('vary')).toBe('Cookie');
      expect(unchanged.setCookies).toEqual([]);
    });

    it('sends a whole response when a writeHead listener mounted after it changes the session (on-headers style)', async () => {
      const errors: unknown[] = [];
      const app = createApp();
      app.use(sessionMiddleware(createCartSessions(), { onError: (error) => errors.push(error) }));
      app.use((req, res, next) => {
        const { writeHead } = res;
        res.writeHead = function (this: typeof res, ...args: unknown[]) {
          req.session.set('flag', true);
          return (writeHead as (...a: unknown[]) => typeof res).apply(this, args);
        } as typeof res.writeHead;
        next();
      });
      app.get('/plain', (_req, res) => {
        res.end('whole');
      });
      harness = await serveExpress(app);
      const reply = await harness.send('/plain');
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('whole');
      // The change came with the headers already on their way: too late to save, and said so.
      expect(reply.setCookies).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors).toEqual([expect.objectContaining({ code: 'UNSUPPORTED' })]);
    });

    it('records the client ip and user agent from Express', async () => {
      const store = new MemoryStore();
      const sessions = createSessions({ store, secrets: [SECRET] });
      const app = createApp();
      app.use(sessionMiddleware(sessions));
      app.post('/login', async (req, res) => {
        await req.session.login('ada');
        res.json(req.session.client);
      });
      harness = await serveExpress(app);
      const reply = await harness.send('/login', {
        method: 'POST',
        headers: { 'user-agent': 'TestBrowser/1' },
      });
      expect(reply.json()).toEqual({ ip: '127.0.0.1', userAgent: 'TestBrowser/1' });
    });
  });
}
