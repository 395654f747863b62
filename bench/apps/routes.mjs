// The one handler shape every contender serves, so the rows of a table differ only in the session
// library. Routes: GET /read (read the session, change nothing), POST /write (counter + a small list),
// POST /login (anonymous → authenticated through the library's regenerate/login call), POST /add?item=
// and GET /items (the correctness check: append one item, read the list back).
// Three styles: express-session-like (a plain object with regenerate(cb)), Coatcheck (get/update/login),
// and none (the bare framework ceiling, same responses without a session).

export const USER_ID = 'user-1';

const nextRecent = (recent, count) => [...(recent ?? []).slice(-4), count];

/** Express (and connect-style) routes on express-session's `req.session`. */
export function expressSessionRoutes(app) {
  app.get('/read', (req, res) => res.json({ user: req.session.user ?? null, count: req.session.count ?? 0 }));
  app.post('/write', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    req.session.recent = nextRecent(req.session.recent, req.session.count);
    res.json({ count: req.session.count });
  });
  // express-session's README: regenerate on login (against session fixation), then set the user.
  app.post('/login', (req, res, next) =>
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = USER_ID;
      res.json({ user: USER_ID });
    }),
  );
  app.post('/add', (req, res) => {
    req.session.items = [...(req.session.items ?? []), req.query.item];
    res.json({ added: req.query.item });
  });
  app.get('/items', (req, res) => res.json({ items: req.session.items ?? [] }));
}

/** Express routes on Coatcheck's `req.session` (after `sessionMiddleware`). */
export function coatcheckExpressRoutes(app) {
  app.get('/read', (req, res) =>
    res.json({ user: req.session.userId ?? null, count: req.session.get('count') ?? 0 }),
  );
  app.post('/write', (req, res) => {
    req.session.update(write);
    res.json({ count: req.session.get('count') });
  });
  app.post('/login', async (req, res) => {
    await req.session.login(USER_ID);
    res.json({ user: req.session.userId });
  });
  app.post('/add', (req, res) => {
    const item = req.query.item;
    req.session.update((data) => ({ ...data, items: [...(data.items ?? []), item] }));
    res.json({ added: item });
  });
  app.get('/items', (req, res) => res.json({ items: req.session.get('items') ?? [] }));
}

/** The same responses with no session at all: the framework's ceiling. */
export function bareExpressRoutes(app) {
  app.get('/read', (_req, res) => res.json({ user: null, count: 0 }));
  app.post('/write', (_req, res) => res.json({ count: 1 }));
  app.post('/login', (_req, res) => res.json({ user: USER_ID }));
  app.post('/add', (req, res) => res.json({ added: req.query.item }));
  app.get('/items', (_req, res) => res.json({ items: [] }));
}

// Coatcheck's update function re-runs on the latest data on a conflict, so it must be pure.
function write(data) {
  const count = (data.count ?? 0) + 1;
  return { ...data, count, recent: nextRecent(data.recent, count) };
}

/** Fastify routes on @fastify/session's `request.session`. */
export function fastifySessionRoutes(app) {
  app.get('/read', async (request) => ({
    user: request.session.get('user') ?? null,
    count: request.session.get('count') ?? 0,
  }));
  app.post('/write', async (request) => {
    const count = (request.session.get('count') ?? 0) + 1;
    request.session.set('count', count);
    request.session.set('recent', nextRecent(request.session.get('recent'), count));
    return { count };
  });
  // @fastify/session's README: `await request.session.regenerate()` on login, then set the user.
  app.post('/login', async (request) => {
    await request.session.regenerate();
    request.session.set('user', USER_ID);
    return { user: USER_ID };
  });
  app.post('/add', async (request) => {
    const { item } = request.query;
    request.session.set('items', [...(request.session.get('items') ?? []), item]);
    return { added: item };
  });
  app.get('/items', async (request) => ({ items: request.session.get('items') ?? [] }));
}

/** Fastify routes on Coatcheck's `request.session` (after `sessionPlugin`). */
export function coatcheckFastifyRoutes(app) {
  app.get('/read', async (request) => ({
    user: request.session.userId ?? null,
    count: request.session.get('count') ?? 0,
  }));
  app.post('/write', async (request) => {
    request.session.update(write);
    return { count: request.session.get('count') };
  });
  app.post('/login', async (request) => {
    await request.session.login(USER_ID);
    return { user: request.session.userId };
  });
  app.post('/add', async (request) => {
    const { item } = request.query;
    request.session.update((data) => ({ ...data, items: [...(data.items ?? []), item] }));
    return { added: item };
  });
  app.get('/items', async (request) => ({ items: request.session.get('items') ?? [] }));
}

export function bareFastifyRoutes(app) {
  app.get('/read', async () => ({ user: null, count: 0 }));
  app.post('/write', async () => ({ count: 1 }));
  app.post('/login', async () => ({ user: USER_ID }));
  app.post('/add', async (request) => ({ added: request.query.item }));
  app.get('/items', async () => ({ items: [] }));
}

/** Express routes on iron-session (its README: `getIronSession(req, res, options)`, then `save()`). */
export function ironSessionRoutes(app, options, getIronSession) {
  const load = (req, res) => getIronSession(req, res, options);
  app.get('/read', async (req, res) => {
    const session = await load(req, res);
    res.json({ user: session.user ?? null, count: session.count ?? 0 });
  });
  app.post('/write', async (req, res) => {
    const session = await load(req, res);
    session.count = (session.count ?? 0) + 1;
    session.recent = nextRecent(session.recent, session.count);
    await session.save();
    res.json({ count: session.count });
  });
  // iron-session has no regenerate: the sealed cookie is the session, so a login re-seals it.
  app.post('/login', async (req, res) => {
    const session = await load(req, res);
    session.user = USER_ID;
    await session.save();
    res.json({ user: USER_ID });
  });
  app.post('/add', async (req, res) => {
    const session = await load(req, res);
    session.items = [...(session.items ?? []), req.query.item];
    await session.save();
    res.json({ added: req.query.item });
  });
  app.get('/items', async (req, res) => {
    const session = await load(req, res);
    res.json({ items: session.items ?? [] });
  });
}
