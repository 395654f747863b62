// The JSON API beside the pages, for scripts and tests. Errors are `{ "error": "…" }`.
import type { Sessions } from '@coatcheck/core';
import { requireUser } from '@coatcheck/core/express';
import express, { type Response, Router } from 'express';
import { addToCart } from './cart.js';
import type { DemoSessionData } from './sessions.js';
import { authenticate, findUser } from './users.js';

export function api(sessions: Sessions<DemoSessionData>): Router {
  const router = Router();
  router.use(express.json({ limit: '10kb' }));
  const loggedIn = requireUser();

  // Cookie-only sessions live in the browser alone: there is nothing on the server to list or revoke.
  const serverStoreOnly = (res: Response) => {
    if (sessions.mode === 'server') return false;
    res.status(501).json({
      error:
        'Listing and revoking sessions needs a server store; SESSION_STORE=cookie keeps each session in its cookie',
    });
    return true;
  };

  router.post('/login', async (req, res) => {
    const user = await authenticate(req.body?.username, req.body?.password);
    if (!user) return res.status(401).json({ error: 'Wrong username or password' });
    await req.session.login(user.id);
    res.json({ user });
  });

  router.post('/logout', async (req, res) => {
    await req.session.destroy();
    res.status(204).end();
  });

  router.get('/me', loggedIn, (req, res) => {
    const { session } = req;
    res.json({
      user: findUser(session.userId),
      session: {
        createdAt: iso(session.createdAt),
        lastSeenAt: iso(session.lastSeenAt),
        expiresAt: iso(session.expiresAt),
      },
    });
  });

  router.get('/sessions', loggedIn, async (req, res) => {
    if (serverStoreOnly(res)) return;
    const list = await sessions.listForUser(req.session.userId as string, req.session);
    res.json(
      list.map(({ handle, current, createdAt, lastSeenAt, ip, userAgent }) => ({
        id: handle,
        current,
        createdAt: iso(createdAt),
        lastSeenAt: iso(lastSeenAt),
        ip,
        userAgent,
      })),
    );
  });

  router.delete('/sessions/:id', loggedIn, async (req, res) => {
    if (serverStoreOnly(res)) return;
    const userId = req.session.userId as string;
    const target = (await sessions.listForUser(userId, req.session)).find(
      ({ handle }) => handle === req.params.id,
    );
    if (!target) return res.status(404).json({ error: 'No such session' });
    // Ending this very session is a logout, so the response also clears its cookie.
    if (target.current) await req.session.destroy();
    else await sessions.revoke(userId, target.handle);
    res.status(204).end();
  });

  router.delete('/sessions', loggedIn, async (req, res) => {
    if (serverStoreOnly(res)) return;
    if (req.query.others !== '1') {
      return res
        .status(400)
        .json({ error: 'Add ?others=1 to log out everywhere else (POST /api/logout ends this one)' });
    }
    await sessions.revokeAll(req.session.userId as string, { except: req.session });
    res.status(204).end();
  });

  router.get('/cart', (req, res) => {
    res.json({ cart: req.session.get('cart') ?? [] });
  });

  router.post('/cart', (req, res) => {
    const error = addToCart(req.session, req.body?.item);
    if (error) return res.status(400).json({ error });
    res.json({ cart: req.session.get('cart') });
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'Not found' });
  });

  return router;
}

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
