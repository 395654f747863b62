// The HTML of every page: a tagged template that escapes what it interpolates, a layout, and one
// function per page. Nothing here touches the session; the routes in pages.ts pass in what to show.
import type { SessionEvent, SessionInfo } from '@coatcheck/core';
import { CATALOG, type cartSummary, formatPrice, type ItemId } from './cart.js';
import type { User } from './users.js';

/** Markup that is already safe: interpolated as is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Builds markup; interpolated strings are escaped, `Html` and arrays of it are not. */
function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, text, index) => out + render(values[index - 1]) + text));
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** What every page shows around its content. */
export interface PageContext {
  user: User | undefined;
  csrfToken: string;
  notices: string[];
  errors: string[];
  cartCount: number;
  storeLabel: string;
  /** The path of the page, to mark its link in the navigation. */
  path: string;
}

export function layout(context: PageContext, title: string, content: Html): string {
  const { user, csrfToken } = context;
  const link = (href: string, label: string, extra: unknown = '') =>
    html`<a href="${href}" ${context.path === href ? html`aria-current="page"` : ''}>${label}${extra}</a>`;
  return `<!doctype html>${html`<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · Coatcheck demo</title>
  <link rel="stylesheet" href="/style.css">
  <link rel="icon" href="/favicon.svg">
</head>
<body>
  <header class="topbar">
    <div class="topbar-inner">
      <a class="brand" href="/">${icon('hanger', 'brand-mark')} Coatcheck <span class="brand-tag">demo</span></a>
      <nav class="nav">
        ${link('/', 'Shop', context.cartCount ? html` <span class="badge" data-testid="cart-count">${context.cartCount}</span>` : '')}
        ${user ? [link('/profile', 'Profile'), link('/sessions', 'Devices')] : ''}
      </nav>
      <div class="account">
        ${
          user
            ? html`<span class="avatar" title="${user.name}">${user.name[0]}</span>
        <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrfToken}"><button class="button ghost small" data-testid="logout">Log out</button></form>`
            : html`<a class="button small" href="/login">Log in</a>`
        }
      </div>
    </div>
  </header>
  <main class="page">
    ${context.notices.map((text) => html`<p class="flash notice" role="status">${text}</p>`)}
    ${context.errors.map((text) => html`<p class="flash error" role="alert">${text}</p>`)}
    ${content}
  </main>
  <footer class="footer">
    Sessions are kept in <strong data-testid="store-label">${context.storeLabel}</strong>.
    The cookie holds a signed random token; the server stores only its SHA-256.
  </footer>
</body>
</html>`}`;
}

export function shopPage(cart: ReturnType<typeof cartSummary>, context: PageContext): Html {
  const items = (Object.keys(CATALOG) as ItemId[]).map((id) => {
    const item = CATALOG[id];
    return html`<li class="product">
      <span class="product-image tint-${id}">${icon(id)}</span>
      <span class="product-name">${item.name}</span>
      <span class="product-price">${formatPrice(item.priceCents)}</span>
      <form method="post" action="/cart">
        <input type="hidden" name="_csrf" value="${context.csrfToken}">
        <button class="button small" name="item" value="${id}" data-testid="add-${id}">Add to cart</button>
      </form>
    </li>`;
  });
  return html`
    <section class="hero">
      <h1>The cloakroom shop</h1>
      <p>Your cart lives in your session: it works before you log in and comes with you when you do.</p>
    </section>
    <div class="shop">
      <ul class="products">${items}</ul>
      <aside class="card cart" data-testid="cart">
        <h2>Your cart</h2>
        ${
          cart.lines.length === 0
            ? html`<p class="muted">Nothing yet. Pick something warm.</p>`
            : html`<ul class="cart-lines">
                ${cart.lines.map(
                  (
                    line,
                  ) => html`<li><span class="cart-item">${icon(line.id)} ${line.name} <span class="muted">× ${line.quantity}</span></span>
                    <span>${formatPrice(line.priceCents * line.quantity)}</span></li>`,
                )}
              </ul>
              <p class="cart-total"><span>Total</span><strong data-testid="cart-total">${formatPrice(cart.totalCents)}</strong></p>
              <form method="post" action="/cart/clear">
                <input type="hidden" name="_csrf" value="${context.csrfToken}">
                <button class="button ghost small wide">Empty the cart</button>
              </form>`
        }
        ${context.user ? '' : html`<p class="hint"><a href="/login">Log in</a> to keep it on your account.</p>`}
      </aside>
    </div>`;
}

export function loginPage(next: string, context: PageContext): Html {
  return html`
    <section class="card narrow">
      <h1>Log in</h1>
      <p class="muted">Pick up where you left off${context.cartCount ? html` — your cart (${context.cartCount}) comes along` : ''}.</p>
      <form method="post" action="/login" class="stack">
        <input type="hidden" name="_csrf" value="${context.csrfToken}">
        <input type="hidden" name="next" value="${next}">
        <label>Username <input name="username" autocomplete="username" required autofocus></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button class="button wide" data-testid="login">Log in</button>
      </form>
      <p class="hint">Demo accounts: <code>alice</code> / <code>wonderland</code> and <code>bob</code> / <code>builder</code>.</p>
    </section>`;
}

/** The current session as the profile page shows it (epoch ms). */
export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
  authenticatedAt: number | null;
  expiresAt: number;
  absoluteExpiresAt: number;
  fresh: boolean;
  ip: string | null;
  userAgent: string | null;
}

export function profilePage(user: User, session: SessionTimes): Html {
  const row = (label: string, at: number | null, testId: string) =>
    html`<div class="fact"><dt>${label}</dt><dd data-testid="${testId}">${at === null ? '—' : time(at)}</dd></div>`;
  return html`
    <section class="hero">
      <h1>Hello, <span data-testid="user-name">${user.name}</span></h1>
      <p>Signed in as <code>${user.username}</code> from ${describeDevice(session.userAgent)}${session.ip ? html` at ${displayIp(session.ip)}` : ''}.</p>
    </section>
    <div class="grid">
      <section class="card">
        <h2>This session</h2>
        <dl class="facts">
          ${row('Started', session.createdAt, 'created-at')}
          ${row('Last seen', session.lastSeenAt, 'last-seen-at')}
          ${row('Logged in', session.authenticatedAt, 'authenticated-at')}
          ${row('Ends if idle', session.expiresAt, 'expires-at')}
          ${row('Ends at the latest', session.absoluteExpiresAt, 'absolute-expires-at')}
        </dl>
        <p class="hint">Every visit moves “ends if idle” forward; nothing moves the latest end.</p>
      </section>
      <section class="card">
        <h2>Security</h2>
        <p>${
          session.fresh
            ? html`<span class="pill ok">Recent login</span> You logged in within the last 15 minutes, so sensitive actions go through.`
            : html`<span class="pill warn">Not recent</span> A real app would ask for your password again before sensitive actions.`
        }</p>
        <p>The token changed when you logged in, so a token planted before your login is worthless.</p>
        <p><a class="button ghost small" href="/sessions">See your devices →</a></p>
      </section>
    </div>`;
}

export function devicesPage(
  devices: SessionInfo[] | null,
  activity: SessionEvent[] | null,
  context: PageContext,
): Html {
  if (devices === null) {
    return html`
      <section class="hero"><h1>Your devices</h1></section>
      <section class="card">
        <p><span class="pill warn">Cookie-only mode</span></p>
        <p>This demo runs with <code>SESSION_STORE=cookie</code>: each session lives sealed in its own cookie and
        the server keeps nothing, so it cannot list your devices or log them out. Logging out clears this
        browser's cookie only.</p>
        <p>Run the demo with a server store (the default, <code>sqlite</code>, or <code>redis</code>, <code>postgres</code>…) to see this page.</p>
      </section>`;
  }
  const others = devices.filter((device) => !device.current).length;
  return html`
    <section class="hero">
      <h1>Your devices</h1>
      <p>Every browser where you are logged in. Log out the ones you don't recognise.</p>
    </section>
    <ul class="devices" data-testid="devices">
      ${[...devices]
        .sort((a, b) => Number(b.current) - Number(a.current))
        .map(
          (
            device,
          ) => html`<li class="card device${device.current ? ' current' : ''}" data-testid="device" data-current="${String(device.current)}">
          <div class="device-icon">${icon(/iPhone|Android|Mobile/.test(device.userAgent ?? '') ? 'phone' : 'laptop')}</div>
          <div class="device-body">
            <p class="device-name">${describeDevice(device.userAgent)}
              ${device.current ? html`<span class="pill ok" data-testid="this-device">This device</span>` : ''}</p>
            <p class="muted small">${device.ip ? displayIp(device.ip) : 'Unknown address'} · signed in ${time(device.createdAt)} · last seen ${time(device.lastSeenAt)}</p>
          </div>
          ${
            device.current
              ? ''
              : html`<form method="post" action="/sessions/${device.handle}/revoke">
            <input type="hidden" name="_csrf" value="${context.csrfToken}">
            <button class="button danger small" data-testid="revoke">Log out</button>
          </form>`
          }
        </li>`,
        )}
    </ul>
    ${
      others > 0
        ? html`<form method="post" action="/sessions/revoke-others" class="right">
      <input type="hidden" name="_csrf" value="${context.csrfToken}">
      <button class="button danger" data-testid="revoke-others">Log out everywhere else (${others})</button>
    </form>`
        : html`<p class="hint">You are logged in on this device only.</p>`
    }
    ${
      activity && activity.length > 0
        ? html`<section class="card">
      <h2>Recent activity</h2>
      <p class="muted small">From the audit trail @coatcheck/store-prisma writes for every session event.</p>
      <ul class="activity">${activity.map(
        (event) => html`<li><span>${describeEvent(event)}</span>
          <span class="muted small">${describeDevice(event.userAgent)} · ${time(event.at)}</span></li>`,
      )}</ul>
    </section>`
        : ''
    }`;
}

export function notFoundPage(): Html {
  return html`<section class="card narrow"><h1>Not found</h1><p>There is nothing here. <a href="/">Back to the shop</a></p></section>`;
}

/** An icon of public/icons.svg. */
function icon(name: string, className = 'icon'): Html {
  return html`<svg class="${className}" aria-hidden="true"><use href="/icons.svg#${name}"></use></svg>`;
}

/** A line of the audit trail in words. */
function describeEvent({ type, reason }: SessionEvent): string {
  if (reason === 'login') return 'Logged in';
  if (type === 'destroyed') return 'Logged out';
  if (type === 'expired')
    return reason === 'absolute-timeout'
      ? 'Session reached its time limit'
      : 'Session expired after inactivity';
  if (type === 'revoked')
    return reason === 'revoke-all' ? 'Logged out by “everywhere else”' : 'Logged out from another device';
  return 'New session token';
}

/** A timestamp as "3 minutes ago", with the exact time on hover. */
function time(epochMs: number): Html {
  const iso = new Date(epochMs).toISOString();
  return html`<time datetime="${iso}" title="${iso.replace('T', ' ').slice(0, 19)} UTC">${relative(epochMs)}</time>`;
}

function relative(epochMs: number): string {
  const seconds = Math.round((epochMs - Date.now()) / 1000);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? 'just now' : format.format(seconds, 'second');
}

/** "Chrome on Linux" from a user agent string. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'an unknown device';
  const browsers: Array<[RegExp, string]> = [
    [/Edg\//, 'Edge'],
    [/HeadlessChrome\//, 'Headless Chrome'],
    [/Chrome\//, 'Chrome'],
    [/Firefox\//, 'Firefox'],
    [/Safari\//, 'Safari'],
    [/^curl\//, 'curl'],
    [/^node$|undici/, 'Node.js'],
  ];
  const systems: Array<[RegExp, string]> = [
    [/Android/, 'Android'],
    [/iPhone|iPad/, 'iOS'],
    [/Mac OS X/, 'macOS'],
    [/Windows/, 'Windows'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1] ?? 'A browser';
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

/** IPv4 clients show up as `::ffff:1.2.3.4` on a dual-stack socket. */
function displayIp(ip: string): string {
  const plain = ip.replace(/^::ffff:/, '');
  return plain === '::1' || plain === '127.0.0.1' ? 'localhost' : plain;
}
