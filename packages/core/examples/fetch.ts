import { createSessions, MemoryStore, type SessionStore } from '@coatcheck/core';
import { requireUser, withSession } from '@coatcheck/core/fetch';

// Bun.serve({ fetch: handler }) · Deno.serve(handler) · export default { fetch: handler } (Workers)
// Next.js route handler: export const GET = withSession(sessions)(async (request, session) => …)
export function createHandler(secret: string, store: SessionStore = new MemoryStore()) {
  const sessions = createSessions<{ cart: string[] }>({ store, secrets: [secret] });

  return withSession(sessions)(async (request, session) => {
    const route = `${request.method} ${new URL(request.url).pathname}`;
    if (route === 'POST /login') {
      const { userId } = await request.json();
      // Check the password first, then:
      await session.login(userId);
      return Response.json({ userId });
    }
    if (route === 'POST /cart') {
      const { item } = await request.json();
      session.update((data) => ({ ...data, cart: [...(data.cart ?? []), item] }));
      return Response.json({ cart: session.get('cart') });
    }
    if (route === 'GET /me') {
      const refused = await requireUser(request, session);
      return refused ?? Response.json({ userId: session.userId, cart: session.get('cart') ?? [] });
    }
    if (route === 'POST /logout') {
      await session.destroy();
      return new Response(null, { status: 204 });
    }
    return new Response('Not found', { status: 404 });
  });
}
