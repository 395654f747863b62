import { createSessions, MemoryStore, type SessionStore } from '@coatcheck/core';
import { requireUser, sessionMiddleware } from '@coatcheck/core/express';
import express from 'express';

declare module '@coatcheck/core/express' {
  interface SessionData {
    cart: string[];
  }
}

// createApp(process.env.SESSION_SECRET).listen(3000)
export function createApp(secret: string, store: SessionStore = new MemoryStore()) {
  const sessions = createSessions({ store, secrets: [secret] });
  const app = express();
  app.use(sessionMiddleware(sessions));
  app.use(express.json());

  app.post('/login', async (req, res) => {
    // Check the password first, then:
    await req.session.login(req.body.userId);
    res.json({ userId: req.session.userId });
  });
  app.post('/cart', (req, res) => {
    req.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), req.body.item] }));
    res.json({ cart: req.session.get('cart') });
  });
  app.get('/me', requireUser(), (req, res) => {
    res.json({ userId: req.session.userId, cart: req.session.get('cart') ?? [] });
  });
  app.post('/logout', async (req, res) => {
    await req.session.destroy();
    res.status(204).end();
  });
  return app;
}
