// Per-request cost of Coatcheck with its MemoryStore vs express-session with its MemoryStore, on plain
// node:http (express-session is connect middleware and runs there too), same handler, same run.
// Scenarios: a request that loads the session and changes nothing; one that loads, modifies and saves.
// Usage: pnpm bench   (from the repository root, after pnpm build)
import { createSessions, MemoryStore } from '@coatcheck/core';
import expressSession from 'express-session';
import { compare, cookieFrom, describeMachine, serve } from './harness.mjs';

const secret = 'bench-secret-0123456789-abcdefghijklmnop';

const sessions = createSessions({
  store: new MemoryStore({ maxSessions: 1e6 }),
  secrets: [secret],
  cookie: { secure: false },
});
const coatcheck = await serve(async (req, res) => {
  const session = await sessions.load({ cookie: req.headers.cookie });
  if (req.url === '/write') session.update((data) => ({ ...data, count: (data.count ?? 0) + 1 }));
  else if (req.url === '/start') session.set('count', 0);
  const { headers } = await sessions.commit(session);
  for (const [name, value] of headers) res.appendHeader(name, value);
  res.end(String(session.get('count')));
});

const middleware = expressSession({
  secret,
  resave: false,
  saveUninitialized: false,
  store: new expressSession.MemoryStore(),
  cookie: { secure: false },
});
const incumbent = await serve((req, res) => {
  middleware(req, res, () => {
    if (req.url === '/write') req.session.count = (req.session.count ?? 0) + 1;
    else if (req.url === '/start') req.session.count = 0;
    res.end(String(req.session.count));
  });
});

await describeMachine();
const contenders = async (path) => [
  {
    name: 'coatcheck + MemoryStore',
    url: `${coatcheck.url}${path}`,
    cookie: await cookieFrom(`${coatcheck.url}/start`),
  },
  {
    name: 'express-session + MemoryStore',
    url: `${incumbent.url}${path}`,
    cookie: await cookieFrom(`${incumbent.url}/start`),
  },
];
await compare('load, change nothing (GET /read)', await contenders('/read'));
await compare('load, modify, save (GET /write)', await contenders('/write'));

coatcheck.server.close();
incumbent.server.close();
