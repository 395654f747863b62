// The HTML pages. Forms post back here and redirect (303) to a page that shows a flash message.
import type { Sessions } from '@coatcheck/core';
import { csrfToken, requireCsrfToken, requireUser } from '@coatcheck/core/express';
import express, { type Request, type Response, Router } from 'express';
import { addToCart, CATALOG, cartSummary, type ItemId } from './cart.js';
import type { DemoSessionData, DemoStore } from './sessions.js';
import { authenticate, findUser } from './users.js';
import {
  devicesPage,
  type Html,
  layout,
  loginPage,
  notFoundPage,
  type PageContext,
  profilePage,
  shopPage,
} from './views.js';

export function pages(sessions: Sessions<DemoSessionData>, { label, auditLog }: DemoStore): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '10kb' }));
  // Every form carries the session's CSRF token (on top of the Origin check of sessionMiddleware).
  router.use(requireCsrfToken());
  const loggedIn = requireUser({ redirectTo: (url) => `/login?next=${encodeURIComponent(url)}` });

  /** Renders a page; reading the flash messages removes them from the session. */
  const show = (req: Request, res: Response, title: string, content: (context: PageContext) => Html) => {
    const context: PageContext = {
      user: findUser(req.session.userId),
      csrfToken: csrfToken(req.session),
      notices: req.session.consumeFlash<string>('notice'),
      errors: req.session.consumeFlash<string>('error'),
      cartCount: req.session.get('cart')?.length ?? 0,
      storeLabel: label,
      path: req.path,
    };
    res.type('html').send(layout(context, title, content(context)));
  };

  router.get('/', (req, res) =>
    show(req, res, 'Shop', (context) => shopPage(cartSummary(req.session.get('cart')), context)),
  );

  router.post('/cart', (req, res) => {
    const item = req.body.item;
    const error = addToCart(req.session, item);
    req.session.flash(
      error ? 'error' : 'notice',
      error ?? `Added ${CATALOG[item as ItemId].name} to your cart.`,
    );
    res.redirect(303, '/');
  });

  router.post('/cart/clear', (req, res) => {
    req.session.unset('cart');
    req.session.flash('notice', 'Your cart is empty again.');
    res.redirect(303, '/');
  });

  router.get('/login', (req, res) => {
    if (req.session.userId) return res.redirect(303, '/profile');
    show(req, res, 'Log in', (context) => loginPage(safeNext(req.query.next), context));
  });

  router.post('/login', async (req, res) => {
    const user = await authenticate(req.body.username, req.body.password);
    if (!user) {
      req.session.flash('error', 'Wrong username or password.');
      return res.redirect(303, `/login?next=${encodeURIComponent(safeNext(req.body.next))}`);
    }
    // A new token for the logged-in session (the old one is deleted); the cart comes along.
    await req.session.login(user.id);
    req.session.flash('notice', `Welcome back, ${user.name}.`);
    res.redirect(303, safeNext(req.body.next));
  });

  router.post('/logout', async (req, res) => {
    await req.session.destroy();
    // The session is new and empty now; this flash starts a fresh anonymous one.
    req.session.flash('notice', 'You are logged out. See you soon!');
    res.redirect(303, '/login');
  });

  router.get('/profile', loggedIn, (req, res) => {
    const { session } = req;
    const user = findUser(session.userId);
    if (!user) return res.redirect(303, '/login');
    const times = {
      createdAt: session.createdAt as number,
      lastSeenAt: session.lastSeenAt as number,
      authenticatedAt: session.authenticatedAt,
      expiresAt: session.expiresAt as number,
      absoluteExpiresAt: session.absoluteExpiresAt as number,
      fresh: session.isFresh(),
      ...session.client,
    };
    show(req, res, 'Profile', () => profilePage(user, times));
  });

  router.get('/sessions', loggedIn, async (req, res) => {
    const userId = req.session.userId as string;
    // Cookie-only sessions cannot be listed: the server keeps nothing.
    const devices = sessions.mode === 'server' ? await sessions.listForUser(userId, req.session) : null;
    const activity = auditLog ? await auditLog.listForUser(userId, { limit: 8 }) : null;
    show(req, res, 'Your devices', (context) => devicesPage(devices, activity, context));
  });

  router.post('/sessions/revoke-others', loggedIn, async (req, res) => {
    if (sessions.mode === 'server') {
      const count = await sessions.revokeAll(req.session.userId as string, { except: req.session });
      req.session.flash('notice', `Logged out ${count} other ${count === 1 ? 'device' : 'devices'}.`);
    }
    res.redirect(303, '/sessions');
  });

  router.post('/sessions/:handle/revoke', loggedIn, async (req, res) => {
    const revoked =
      sessions.mode === 'server' && (await sessions.revoke(req.session.userId as string, req.params.handle));
    req.session.flash(
      revoked ? 'notice' : 'error',
      revoked ? 'That device is logged out.' : 'That session had already ended.',
    );
    res.redirect(303, '/sessions');
  });

  router.use((req, res) => {
    res.status(404);
    show(req, res, 'Not found', () => notFoundPage());
  });

  return router;
}

/** Only a path on this site: never `//evil.example` or `https://…` (an open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/profile';
}
