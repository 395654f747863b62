// Shared by the benchmark scripts: run two HTTP servers side by side under the same load, interleaved
// (A, B, A, B…) so machine noise hits both alike, and report requests per second and the ratio.
import { createServer } from 'node:http';
import autocannon from 'autocannon';

/** Starts `handler` on a free loopback port. */
export function serve(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
    );
  });
}

/** Gets a session cookie from `url` (the first `Set-Cookie` pair). */
export async function cookieFrom(url) {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.headers.get('set-cookie')?.split(';')[0];
}

async function requestsPerSecond(url, cookie, seconds) {
  const result = await autocannon({
    url,
    connections: 16,
    duration: seconds,
    headers: cookie ? { cookie } : {},
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * Compares `contenders` ({ name, url, cookie }) on one scenario, interleaving `rounds` runs of
 * `seconds` each, and prints a table row per contender with the ratio to the first.
 */
export async function compare(scenario, contenders, { rounds = 3, seconds = 3 } = {}) {
  const totals = contenders.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [index, contender] of contenders.entries()) {
      totals[index] += await requestsPerSecond(contender.url, contender.cookie, seconds);
    }
  }
  const averages = totals.map((total) => total / rounds);
  console.log(`\n${scenario}`);
  for (const [index, contender] of contenders.entries()) {
    const ratio = (averages[index] / averages[0]).toFixed(2);
    console.log(
      `  ${contender.name.padEnd(36)} ${Math.round(averages[index]).toString().padStart(7)} req/s   ×${ratio}`,
    );
  }
  return averages;
}

/** Prints a one-line description of the machine, for the README record. */
export async function describeMachine() {
  const os = await import('node:os');
  console.log(
    `Node ${process.versions.node}, ${os.cpus().length} × ${os.cpus()[0]?.model}, ${new Date().toISOString().slice(0, 10)}`,
  );
}
