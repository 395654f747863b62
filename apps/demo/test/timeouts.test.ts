// Short timeouts from the environment, in real time: the demo started with
// SESSION_IDLE_TIMEOUT_SECONDS=3 SESSION_ABSOLUTE_TIMEOUT_SECONDS=7 must start, and enforce both to the
// second on every store. Each check leaves at least half a second between the request and the deadline
// it is about, so a slow request on a shared machine cannot turn one into the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { Device, STORE_VARIANTS, TEST_SECRET } from './support.js';

const ALICE = { username: 'alice', password: 'wonderland' };
const TIMEOUTS = { SESSION_IDLE_TIMEOUT_SECONDS: '3', SESSION_ABSOLUTE_TIMEOUT_SECONDS: '7' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// The stores are independent, and each case spends its time waiting: run them side by side.
describe.concurrent.each(STORE_VARIANTS)(
  'SESSION_STORE=$kind with a 3 s idle and a 7 s absolute timeout',
  ({ kind, unavailable, prepare }) => {
    let demo: RunningDemo;
    let cleanup = async () => {};

    beforeAll(async () => {
      if (unavailable) return;
      const prepared = await prepare();
      cleanup = prepared.cleanup;
      const env = {
        SESSION_STORE: kind,
        PORT: '0',
        SESSION_SECRETS: TEST_SECRET,
        ...TIMEOUTS,
        ...prepared.env,
      };
      demo = await startDemo(readConfig(env));
    });

    afterAll(async () => {
      await demo?.close();
      await cleanup();
    });

    /** A device logged in as alice, and when the login's response arrived (the server's clock started before). */
    async function loggedIn() {
      const device = new Device(demo.url, `timeouts test (${kind})`);
      const login = await device.post('/api/login', ALICE);
      expect(login.status).toBe(200);
      // The browser keeps the cookie for the whole 7 s, not a second less.
      expect(login.setCookie).toMatch(/; Max-Age=7;/);
      return { device, loggedInAt: Date.now(), me: async () => (await device.get('/api/me')).status };
    }

    it.skipIf(unavailable)('keeps a session used every second alive until the absolute timeout', async () => {
      const requestedAt = Date.now();
      const { me, loggedInAt } = await loggedIn();
      // A request every second, so the idle timeout never ends it; each one slides it.
      for (let at = 1000; at <= 5000; at += 1000) {
        await sleep(requestedAt + at - Date.now());
        expect(await me()).toBe(200);
      }
      // Alive at 5.75 s after login, more than a second before the absolute deadline…
      await sleep(requestedAt + 5750 - Date.now());
      expect(Date.now() - requestedAt, 'the machine stalled too long for this check').toBeLessThan(6500);
      expect(await me()).toBe(200);
      // …and refused just after 7 s, however active it was. The server started the clock before the
      // login's response arrived, so 7.1 s after that the deadline has passed whatever the delays.
      await sleep(loggedInAt + 7100 - Date.now());
      expect(await me()).toBe(401);
    });

    it.skipIf(unavailable)('ends a session idle for just over 3 s, but not one idle for 2 s', async () => {
      const [idle, resting] = await Promise.all([loggedIn(), loggedIn()]);
      await sleep(resting.loggedInAt + 2000 - Date.now());
      expect(await resting.me()).toBe(200);
      const restedAt = Date.now();
      await sleep(idle.loggedInAt + 3100 - Date.now());
      expect(await idle.me()).toBe(401);
      // Past its first idle deadline, alive: the request at 2 s slid it.
      await sleep(restedAt + 2000 - Date.now());
      expect(Date.now() - resting.loggedInAt).toBeLessThan(5000);
      expect(await resting.me()).toBe(200);
    });
  },
);
