// startSweeper: one periodic deleteExpired() for every store without native expiry. Fake timers drive the
// schedule, so no case depends on the machine's speed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCoatcheckError, MemoryStore } from '../src/index.js';
import { type CoatcheckError, startSweeper } from '../src/store-kit.js';

/** A store whose sweeps stay in progress until the test releases them. */
function blockingStore() {
  const releases: Array<() => void> = [];
  let inProgress = 0;
  let mostAtOnce = 0;
  const store = {
    calls: 0,
    deleteExpired: () => {
      store.calls++;
      inProgress++;
      mostAtOnce = Math.max(mostAtOnce, inProgress);
      return new Promise<number>((resolve) =>
        releases.push(() => {
          inProgress--;
          resolve(0);
        }),
      );
    },
    releaseAll: () => {
      for (const release of releases.splice(0)) release();
    },
    mostAtOnce: () => mostAtOnce,
  };
  return store;
}

function invalidOptionOf(start: () => unknown): string {
  try {
    start();
  } catch (error) {
    if (isCoatcheckError(error, 'INVALID_OPTION')) return error.message;
    throw error;
  }
  throw new Error('did not throw');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('startSweeper', () => {
  it('deletes expired records every interval, starting one interval after the start', async () => {
    vi.useFakeTimers();
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const record = (expiresInMs: number) => ({
      data: {},
      userId: null,
      createdAt: now,
      lastSeenAt: now,
      authenticatedAt: null,
      idleExpiresAt: now + expiresInMs,
      absoluteExpiresAt: now + 60_000,
      version: 1,
      ip: null,
      userAgent: null,
    });
    await store.create('soon', record(1_000));
    await store.create('later', record(50_000));
    const deleteExpired = vi.spyOn(store, 'deleteExpired');
    const sweeper = startSweeper(store, { intervalSeconds: 10 });

    now += 5_000;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(deleteExpired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(deleteExpired).toHaveBeenCalledTimes(1);
    expect(await deleteExpired.mock.results[0]?.value).toBe(1);

    now += 50_000;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(deleteExpired).toHaveBeenCalledTimes(2);
    expect(await deleteExpired.mock.results[1]?.value).toBe(1);
    await sweeper.stop();
  });

  it('defaults to one sweep every 300 seconds', async () => {
    vi.useFakeTimers();
    const store = blockingStore();
    const sweeper = startSweeper(store);
    await vi.advanceTimersByTimeAsync(299_999);
    expect(store.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.calls).toBe(1);
    store.releaseAll();
    await sweeper.stop();
  });

  it('never overlaps sweeps: the next interval starts when a slow sweep ends', async () => {
    vi.useFakeTimers();
    const store = blockingStore();
    const sweeper = startSweeper(store, { intervalSeconds: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.calls).toBe(1);
    store.releaseAll();
    await vi.advanceTimersByTimeAsync(999);
    expect(store.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.calls).toBe(2);
    expect(store.mostAtOnce()).toBe(1);
    store.releaseAll();
    await sweeper.stop();
  });

  it('stop() waits for a sweep in progress, and no sweep starts after it', async () => {
    vi.useFakeTimers();
    const store = blockingStore();
    const sweeper = startSweeper(store, { intervalSeconds: 1 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.calls).toBe(1);

    let stopped = false;
    const stopping = sweeper.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    store.releaseAll();
    await stopping;
    expect(stopped).toBe(true);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.calls).toBe(1);
    await sweeper.stop(); // a second stop is harmless
  });

  it('hands a failed sweep to onError as STORE_ERROR with the cause, and keeps sweeping', async () => {
    vi.useFakeTimers();
    const outage = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const store = { deleteExpired: vi.fn(() => Promise.reject(outage)) };
    const errors: CoatcheckError[] = [];
    const sweeper = startSweeper(store, { intervalSeconds: 1, onError: (error) => errors.push(error) });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(store.deleteExpired).toHaveBeenCalledTimes(2);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'STORE_ERROR', cause: outage });
    expect(errors[0]?.message).toMatch(/sweeping expired sessions failed: connect ECONNREFUSED/);
    await sweeper.stop();
  });

  it('logs failures with console.error by default, and survives an onError that throws', async () => {
    vi.useFakeTimers();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const store = { deleteExpired: () => Promise.reject(new Error('down')) };
    const byDefault = startSweeper(store, { intervalSeconds: 1 });
    const throwing = startSweeper(store, {
      intervalSeconds: 1,
      onError: () => {
        throw new Error('the handler broke');
      },
    });
    await vi.advanceTimersByTimeAsync(2_000);
    await byDefault.stop();
    await throwing.stop();
    const messages = logged.mock.calls.map(([error]) => (error as Error).message);
    expect(messages.filter((m) => /sweeping expired sessions failed: down/.test(m))).toHaveLength(2);
    expect(messages.filter((m) => m === 'the handler broke')).toHaveLength(2);
    logged.mockRestore();
  });

  it('does not keep the process alive', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const sweeper = startSweeper(blockingStore(), { intervalSeconds: 60 });
    const timer = setTimeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
    setTimeoutSpy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    await sweeper.stop();
  });

  it('refuses a store without deleteExpired() and bad options, naming the option', () => {
    expect(invalidOptionOf(() => startSweeper({} as never))).toMatch(/`store` has no deleteExpired\(\)/);
    // 30 days: longer than a Node timer can wait, so it would fire after 1 ms and sweep without pause.
    for (const intervalSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60' as never, 30 * 86_400]) {
      expect(invalidOptionOf(() => startSweeper(new MemoryStore(), { intervalSeconds }))).toMatch(
        /`intervalSeconds` must be a number of seconds above 0 and at most 2147483/,
      );
    }
    expect(invalidOptionOf(() => startSweeper(new MemoryStore(), { onError: 'log' as never }))).toMatch(
      /`onError` must be a function/,
    );
  });
});
