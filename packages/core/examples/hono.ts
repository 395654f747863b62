import { createSessions, MemoryStore, type SessionStore } from '@coatcheck/core';
import { requireUser, sessionMiddleware } from '@coatcheck/core/hono';
import { Hono } from 'hono';

// serve({ fetch: createApp(process.env.SESSION_SECRET).fetch, port: 3000 }) — or export it on Bun, Deno, Workers
export function createApp(secret: string, store: SessionStore = new MemoryStore()) {
  const sessions = createSessions<{ cart: string[] }>({ store, secrets: [secret] });
  const app = new Hono().use(sessionMiddleware(sessions));

  app.post('/login', async (c) => {
    const { userId } = await c.req.json<{ userId: string }>();
    // Check the password first, then:
    await c.get('session').login(userId);
    return c.json({ userId });
  });
  app.post('/cart', async (c) => {
    const { item } = await c.req.json<{ item: string }>();
    const session = c.get('session');
    session.update((data) => ({ ...data, cart: [...(data.cart ?? []), item] }));
    return c.json({ cart: session.get('cart') });
  });
  app.get('/me', requireUser(), (c) => {
    const session = c.get('session');
    return c.json({ userId: session.userId, cart: session.get('cart') ?? [] });
  });
  app.post('/logout', async (c) => {
    await c.get('session').destroy();
    return c.body(null, 204);
  });
  return app;
}
