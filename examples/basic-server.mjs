// The smallest useful Coatcheck server: node:http, the in-memory store, a visit counter and login/logout.
// Run it with `pnpm example`, then open http://localhost:3000.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createSessions, MemoryStore } from '@coatcheck/core';

const sessions = createSessions({
  store: new MemoryStore(),
  secrets: [process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url')],
  // Plain http on localhost for the example; production keeps the default Secure cookie.
  cookie: { secure: false },
});

const server = createServer(async (req, res) => {
  const session = await sessions.load({
    cookie: req.headers.cookie,
    ip: req.socket.remoteAddress,
    userAgent: req.headers['user-agent'],
  });
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/login') await session.login(url.searchParams.get('user') || 'alice');
  if (url.pathname === '/logout') await session.logout();
  if (url.pathname === '/') session.update((data) => ({ ...data, visits: (data.visits ?? 0) + 1 }));

  const { headers } = await sessions.commit(session);
  for (const [name, value] of headers) res.appendHeader(name, value);
  if (url.pathname !== '/') {
    res.writeHead(303, { location: '/' }).end();
    return;
  }
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Coatcheck</title>
<h1>Coatcheck example</h1>
<p>Visits in this session: ${session.get('visits')}</p>
<p>${session.userId ? `Logged in as <b>${session.userId}</b> — <a href="/logout">log out</a>` : '<a href="/login?user=alice">Log in as alice</a>'}</p>`);
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => console.log(`Coatcheck example on http://localhost:${port}`));
