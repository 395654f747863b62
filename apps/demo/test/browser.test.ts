// The demo in a real browser (Debian's Chromium through playwright-core): log in, the profile, a second
// device, revoking it, the cart, logging out. Screenshots of every page go to apps/demo/artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteUnavailableReason } from '@coatcheck/test-utils';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { TEST_SECRET } from './support.js';

// Debian's Chromium, or the browser CHROMIUM_PATH names (`pnpm test`'s preflight checks it is there).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
};

let demo: RunningDemo;
let browser: Browser;
let dataFolder: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser test drives Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
    );
  }
  // The default store, as `pnpm demo` runs it; where better-sqlite3 cannot load (Node 24 here), memory.
  const sqliteProblem = sqliteUnavailableReason(import.meta.url);
  if (sqliteProblem) console.log(`browser test on SESSION_STORE=memory, not sqlite: ${sqliteProblem}`);
  dataFolder = await mkdtemp(join(tmpdir(), 'coatcheck-demo-browser-'));
  const env = {
    SESSION_STORE: sqliteProblem ? 'memory' : 'sqlite',
    SQLITE_FILE: join(dataFolder, 'sessions.db'),
    PORT: '0',
    SESSION_SECRETS: TEST_SECRET,
  };
  demo = await startDemo(readConfig(env));
  // Only this test writes there: start empty, so the folder holds exactly this run's screenshots.
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dataFolder) await rm(dataFolder, { recursive: true, force: true });
});

/** Saves a full-page screenshot as a test artifact. */
const snap = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Clicks something that submits a form and waits for the page the redirect lands on. */
async function submit(page: Page, selector: string, landsOn: RegExp): Promise<void> {
  await Promise.all([page.waitForURL(landsOn), page.click(selector)]);
}

async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('[data-testid=login]');
}

it('logs in, shows the profile and the devices, revokes the other device, fills the cart, logs out', async () => {
  const laptop: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await laptop.newPage();
  const url = (path: string) => new URL(path, demo.url).href;

  // The shop, before logging in: the cart already works.
  await page.goto(url('/'));
  await snap(page, '01-shop-anonymous');
  await submit(page, '[data-testid=add-umbrella]', /\/$/);
  await page.getByText('Added Umbrella to your cart.').waitFor();
  await submit(page, '[data-testid=add-scarf]', /\/$/);
  await page.getByText('Added Wool scarf to your cart.').waitFor();
  expect(await page.getByTestId('cart-count').textContent()).toBe('2');
  await snap(page, '02-shop-cart-before-login');

  // The profile needs a login; a wrong password says so.
  await page.goto(url('/profile'));
  await page.waitForURL(/\/login\?next=%2Fprofile$/);
  await snap(page, '03-login');
  await logIn(page, 'alice', 'looking-glass');
  await page.getByText('Wrong username or password.').waitFor();
  await snap(page, '04-login-wrong-password');
  await logIn(page, 'alice', 'wonderland');
  await page.waitForURL(/\/profile$/);
  await page.getByText('Welcome back, Alice Liddell.').waitFor();
  expect(await page.getByTestId('user-name').textContent()).toBe('Alice Liddell');
  for (const field of [
    'created-at',
    'last-seen-at',
    'authenticated-at',
    'expires-at',
    'absolute-expires-at',
  ]) {
    expect(await page.getByTestId(field).locator('time').getAttribute('datetime')).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    );
  }
  // The cart came along through the login.
  expect(await page.getByTestId('cart-count').textContent()).toBe('2');
  await snap(page, '05-profile');

  // A second device: a phone logs in as alice too.
  const phone = await browser.newContext(PHONE);
  const phonePage = await phone.newPage();
  await phonePage.goto(url('/login'));
  await logIn(phonePage, 'alice', 'wonderland');
  await phonePage.waitForURL(/\/profile$/);
  await snap(phonePage, '06-phone-profile');
  await phonePage.goto(url('/sessions'));
  await expectDevices(phonePage, 2);
  await snap(phonePage, '07-phone-devices');

  // The laptop sees both devices and logs the phone out.
  await page.goto(url('/sessions'));
  await expectDevices(page, 2);
  expect(await page.locator('[data-testid=device][data-current=true]').count()).toBe(1);
  expect(await page.getByTestId('this-device').count()).toBe(1);
  await page.getByTestId('devices').getByText('Safari on iOS').waitFor();
  await snap(page, '08-devices');
  await submit(page, '[data-testid=device][data-current=false] [data-testid=revoke]', /\/sessions$/);
  await page.getByText('That device is logged out.').waitFor();
  await expectDevices(page, 1);
  await snap(page, '09-devices-after-revoke');

  // On the phone, the next page needs a login again.
  await phonePage.goto(url('/profile'));
  await phonePage.waitForURL(/\/login\?next=%2Fprofile$/);
  expect(await phonePage.getByTestId('logout').count()).toBe(0);
  await snap(phonePage, '10-phone-logged-out');

  // "Log out everywhere else" from the laptop ends the phone's new session too.
  await logIn(phonePage, 'alice', 'wonderland');
  await phonePage.waitForURL(/\/profile$/);
  await page.goto(url('/sessions'));
  await expectDevices(page, 2);
  await submit(page, '[data-testid=revoke-others]', /\/sessions$/);
  await page.getByText('Logged out 1 other device.').waitFor();
  await expectDevices(page, 1);
  await phonePage.goto(url('/sessions'));
  await phonePage.waitForURL(/\/login\?next=%2Fsessions$/);

  // Back on the laptop: more in the cart, then log out.
  await page.goto(url('/'));
  await submit(page, '[data-testid=add-coat]', /\/$/);
  await page.getByText('Added Trench coat to your cart.').waitFor();
  expect(await page.getByTestId('cart-count').textContent()).toBe('3');
  expect(await page.getByTestId('cart-total').textContent()).toBe('€205.00');
  await snap(page, '11-shop-cart-logged-in');
  await submit(page, '[data-testid=logout]', /\/login$/);
  await page.getByText('You are logged out. See you soon!').waitFor();
  await snap(page, '12-logged-out');
  await page.goto(url('/profile'));
  await page.waitForURL(/\/login\?next=%2Fprofile$/);

  await phone.close();
  await laptop.close();
});

async function expectDevices(page: Page, count: number): Promise<void> {
  await page.getByTestId('devices').waitFor();
  expect(await page.getByTestId('device').count()).toBe(count);
}
