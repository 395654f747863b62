// The benchmark harness, end to end on its smallest group: Express + memory stores, 1 round × 1 s, into
// a temporary folder (never bench/RESULTS.md). Checks outcomes, not speed: every contender served every
// workload without a failure, Coatcheck kept every concurrent change, the ratios are the measured ones.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const runScript = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'coatcheck-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  workload: string;
  contender: string;
  requestsPerSecond: number;
  requests: number;
  failures: number;
  ratioToIncumbent: number;
  ratioToBare: number | null;
}
interface Group {
  key: string;
  error?: string;
  rows: Row[];
  correctness: { contender: string; survived: number; requests: number; failures: number }[];
}

test('pnpm bench --group memory measures every contender and writes the results', () => {
  const out = join(dir, 'RESULTS.md');
  const json = join(dir, 'results.json');
  const run = spawnSync(
    process.execPath,
    [runScript, '--group', 'memory', '--rounds', '1', '--seconds', '1', '--out', out, '--json', json],
    { encoding: 'utf8', timeout: 80_000 },
  );
  expect(run.status, run.stderr).toBe(0);

  const [group] = (JSON.parse(readFileSync(json, 'utf8')) as { groups: Group[] }).groups;
  expect(group?.error).toBeUndefined();
  const rows = group?.rows ?? [];
  const contenders = ['bare Express', 'express-session + MemoryStore', 'coatcheck + MemoryStore'];
  const workloads = ['read', 'write-hot', 'write-per-connection', 'login'];
  expect(rows.map((row) => `${row.workload}/${row.contender}`)).toEqual(
    workloads.flatMap((workload) => contenders.map((contender) => `${workload}/${contender}`)),
  );
  for (const row of rows) {
    expect(row.requests, `${row.workload}/${row.contender}`).toBeGreaterThan(0);
    expect(row.failures, `${row.workload}/${row.contender}`).toBe(0);
    const of = (contender: string) =>
      rows.find((other) => other.workload === row.workload && other.contender === contender)
        ?.requestsPerSecond ?? Number.NaN;
    expect(row.ratioToIncumbent).toBeCloseTo(row.requestsPerSecond / of('express-session + MemoryStore'), 10);
    expect(row.ratioToBare).toBeCloseTo(row.requestsPerSecond / of('bare Express'), 10);
  }

  const coatcheck = group?.correctness.find((result) => result.contender === 'coatcheck + MemoryStore');
  expect(coatcheck).toMatchObject({ survived: 50, requests: 50, failures: 0 });

  const markdown = readFileSync(out, 'utf8');
  expect(markdown).toContain('## Express + memory store');
  expect(markdown).toContain('| coatcheck + MemoryStore | **50 of 50** |');
});
