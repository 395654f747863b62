import type { Session, Sessions } from '@coatcheck/core';
import { expect } from 'vitest';
import type { CaseContext, CaseTable } from './case.js';
import { newUserId, sleep } from './fixtures.js';
import { raceSessions } from './peer.js';

/** A race case runs hundreds of trials of a few round trips each: minutes on a slow server, not seconds. */
const RACE_TIMEOUT_MS = 600_000;

/**
 * Revocation against a stolen session that keeps moving to new tokens, with the two sides on two
 * Coatcheck instances — in two processes when the store gives the suite a `peerProcess`. Each case runs
 * `raceTrials` trials and counts the stolen sessions that outlived the revocation: there must be none.
 * These check the store's compare-and-set and per-user index under the lifecycle's real call pattern:
 * a store whose `replace` is not atomic against a concurrent `delete` or `deleteByUser` fails them.
 */
export const raceCases = {
  'races/revoke-all-vs-regenerate': {
    title: ({ trials }) =>
      `revokeAll ends a stolen session that keeps regenerating in another instance (${trials} trials)`,
    needs: 'userIndex',
    timeoutMs: RACE_TIMEOUT_MS,
    async run(context) {
      await countSurvivors(context, 'revokeAll vs regenerate', async (local, peer) => {
        const user = newUserId();
        const stolen = await loggedIn(local, user);
        const last = await race(
          local,
          stolen,
          user,
          (s) => s.regenerate(),
          () => peer.revokeAll(user),
        );
        const reachable = (await local.load({ cookie: last })).userId === user;
        return reachable || (await local.listForUser(user)).length > 0;
      });
    },
  },

  'races/revoke-all-vs-login': {
    title: ({ trials }) =>
      `revokeAll leaves nothing of a stolen session that keeps logging in again in another instance (${trials} trials)`,
    needs: 'userIndex',
    timeoutMs: RACE_TIMEOUT_MS,
    async run(context) {
      // A login is a new authentication, so one that lands after the revocation may stand (the app must
      // change the credential first); what it must never do is carry the revoked session over.
      await countSurvivors(context, 'revokeAll vs login', async (local, peer) => {
        const user = newUserId();
        const stolen = await loggedIn(local, user, { stolen: true });
        const last = await race(
          local,
          stolen,
          user,
          (s) => s.login(user),
          () => peer.revokeAll(user),
        );
        const left = (await context.store.listByUser(user)).map(({ record }) => record.data);
        return (await local.load({ cookie: last })).get('stolen') === true || left.some((d) => d.stolen);
      });
    },
  },

  'races/destroy-vs-regenerate': {
    title: ({ trials }) =>
      `a logout loaded before a regenerate in another instance ends the regenerated session (${trials} trials)`,
    timeoutMs: RACE_TIMEOUT_MS,
    async run(context) {
      await countSurvivors(context, 'destroy vs regenerate', async (local, peer) => {
        const user = newUserId();
        const cookie = await loggedIn(local, user);
        // The logout's request has read the session; another request of the same browser regenerates it.
        await peer.load(cookie);
        const last = await race(
          local,
          cookie,
          user,
          (s) => s.regenerate(),
          () => peer.destroy(cookie),
        );
        return (await local.load({ cookie: last })).userId === user;
      });
    },
  },
} satisfies CaseTable;

/**
 * Runs `trial` `raceTrials` times with this process's manager and the peer; each returns `true` when the
 * revoked session survived. Prints the count, and expects none.
 */
async function countSurvivors(
  { store, trials, peer, suiteName }: CaseContext,
  what: string,
  trial: (local: Sessions, other: Awaited<ReturnType<CaseContext['peer']>>) => Promise<boolean>,
): Promise<void> {
  const local = raceSessions(store);
  const other = await peer();
  let survivors = 0;
  for (let i = 0; i < trials; i++) if (await trial(local, other)) survivors++;
  console.info(
    `[store-test-suite] ${suiteName}: ${what}: ${survivors}/${trials} survived (peer ${other.where})`,
  );
  expect(survivors, `${what}: revoked sessions that survived, of ${trials} trials`).toBe(0);
}

/** A session logged in as `userId` with `data`; its cookie. */
async function loggedIn(sessions: Sessions, userId: string, data: Record<string, unknown> = {}) {
  const session = await sessions.load({});
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  await session.login(userId);
  return cookieOf((await sessions.commit(session)).headers) as string;
}

/**
 * One trial: the attacker keeps moving the session of `cookie` (`move`) while, a random moment after it
 * starts, `end` runs on the other side; the attacker stops once `end` has returned. The attacker's last
 * cookie.
 */
async function race(
  sessions: Sessions,
  cookie: string,
  userId: string,
  move: (session: Session) => Promise<void>,
  end: () => Promise<void>,
): Promise<string> {
  let ended = false;
  const attack = keepMoving(sessions, cookie, userId, move, () => ended);
  try {
    await jitter();
    await end();
  } finally {
    ended = true;
    await attack;
  }
  return attack;
}

/**
 * The attacker: loads the stolen cookie and moves the session to a new token (`move`), again and again,
 * following each new cookie, until `stopped()` or the session is gone. Returns the last cookie it got.
 */
async function keepMoving(
  sessions: Sessions,
  cookie: string,
  userId: string,
  move: (session: Session) => Promise<void>,
  stopped: () => boolean,
): Promise<string> {
  let current = cookie;
  while (!stopped()) {
    // Each request arrives as its own I/O event, so an in-memory store's calls interleave too.
    await nextTick();
    const session = await sessions.load({ cookie: current });
    if (session.userId !== userId) break;
    await move(session);
    current = cookieOf((await sessions.commit(session)).headers) ?? current;
  }
  return current;
}

/** Lets the attacker run for a random moment — a few of its round trips, or none — before the revocation. */
async function jitter(): Promise<void> {
  await sleep(Math.random() * 2);
  for (let ticks = Math.floor(Math.random() * 8); ticks > 0; ticks--) await nextTick();
}

function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function cookieOf(headers: Array<[string, string]>): string | undefined {
  return headers.find(([name]) => name === 'Set-Cookie')?.[1].split(';')[0];
}
