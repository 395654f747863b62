import { createSessions, MemoryStore, type SessionStore } from '@coatcheck/core';
import { csrfToken, requireCsrfToken, sessionMiddleware } from '@coatcheck/core/express';
import express from 'express';

// A classic HTML form: the Origin check is on already; the token adds the synchronizer-token defence.
export function createFormApp(secret: string, store: SessionStore = new MemoryStore()) {
  const app = express();
  app.use(sessionMiddleware(createSessions({ store, secrets: [secret] })));
  app.use(express.urlencoded({ extended: false }));

  app.get('/profile', (req, res) => {
    const notices = req.session.consumeFlash<string>('notice');
    res.send(`<p>${notices.join(' ')}</p>
<form method="post" action="/profile">
  <input type="hidden" name="_csrf" value="${csrfToken(req.session)}">
  <input name="nickname"> <button>Save</button>
</form>`);
  });
  app.post('/profile', requireCsrfToken(), (req, res) => {
    // Save req.body.nickname to your database, then:
    req.session.flash('notice', 'Profile saved');
    res.redirect(303, '/profile');
  });
  return app;
}
