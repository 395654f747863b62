import { createSessions, MemoryStore, type SessionStore } from '@coatcheck/core';
import { requireUser, sessionPlugin } from '@coatcheck/core/fastify';
import Fastify from 'fastify';

declare module '@coatcheck/core/fastify' {
  interface SessionData {
    cart: string[];
  }
}

// (await createApp(process.env.SESSION_SECRET)).listen({ port: 3000 })
export async function createApp(secret: string, store: SessionStore = new MemoryStore()) {
  const app = Fastify();
  await app.register(sessionPlugin, { sessions: createSessions({ store, secrets: [secret] }) });

  app.post<{ Body: { userId: string } }>('/login', async (request) => {
    // Check the password first, then:
    await request.session.login(request.body.userId);
    return { userId: request.session.userId };
  });
  app.post<{ Body: { item: string } }>('/cart', async (request) => {
    request.session.update((data) => ({ ...data, cart: [...(data.cart ?? []), request.body.item] }));
    return { cart: request.session.get('cart') };
  });
  app.get('/me', { preHandler: requireUser() }, async (request) => {
    return { userId: request.session.userId, cart: request.session.get('cart') ?? [] };
  });
  app.post('/logout', async (request, reply) => {
    await request.session.destroy();
    return reply.code(204).send();
  });
  return app;
}
