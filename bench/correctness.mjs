// The correctness column: N requests, `inFlight` at a time, each adding one distinct item to ONE
// session, then one read of the list. A store that saves whole sessions without compare-and-set keeps
// only some of them (each request saves the list it loaded plus its own item).
import { loginCookie } from './harness.mjs';

export async function concurrentAdds(contender, { requests = 50, inFlight = 32 } = {}) {
  let cookie = await loginCookie(contender);
  const sent = cookie;
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < requests) {
      const item = `item-${next++}`;
      // Every request carries the cookie the session started with, as parallel tabs of one browser do.
      const response = await fetch(`${contender.url}/add?item=${item}`, {
        method: 'POST',
        headers: { cookie: sent },
      });
      await response.arrayBuffer();
      if (!response.ok) failures++;
      // A browser keeps the cookie of the response that arrives last (cookie-only sessions re-seal it).
      const setCookie = response.headers.getSetCookie()[0]?.split(';')[0];
      if (setCookie) cookie = setCookie;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const response = await fetch(`${contender.url}/items`, { headers: { cookie } });
  const { items } = await response.json();
  const expected = new Set(Array.from({ length: requests }, (_, i) => `item-${i}`));
  const survived = new Set(items.filter((item) => expected.has(item))).size;
  return { survived, requests, failures };
}
