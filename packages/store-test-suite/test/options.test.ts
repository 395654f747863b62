import { CoatcheckError, MemoryStore } from '@coatcheck/core';
import { describe, expect, it } from 'vitest';
import { runStoreConformance, type StoreConformanceOptions } from '../src/index.js';

const valid: StoreConformanceOptions = { name: 'Memory store', createStore: () => new MemoryStore() };

describe('runStoreConformance options', () => {
  // Each call throws before it registers anything, so it is safe inside a test.
  it.each([
    ['an empty name', { ...valid, name: '' }, /`name`/],
    ['no createStore', { name: 'x' }, /`createStore`/],
    ['a dispose that is not a function', { ...valid, dispose: 'close' }, /`dispose`/],
    ['one concurrent writer', { ...valid, concurrentWriters: 1 }, /`concurrentWriters`.*at least 2/],
    [
      'a skip without a reason',
      { ...valid, skip: { 'records/unknown-id': ' ' } },
      /`skip`.*reason.*records\/unknown-id/,
    ],
    ['additionalTests that are not a function', { ...valid, additionalTests: [] }, /`additionalTests`/],
  ])('refuses %s with INVALID_OPTION naming the option', (_, options, message) => {
    const register = () => runStoreConformance(options as StoreConformanceOptions);
    expect(register).toThrow(CoatcheckError);
    expect(register).toThrow(message);
  });

  it('refuses a skip naming no case, at compile time and at run time', () => {
    const register = () =>
      runStoreConformance({
        ...valid,
        // @ts-expect-error `skip` takes case names only, so a typo does not compile.
        skip: { 'records/unknown-ids': 'a typo' },
      });
    expect(register).toThrow(/option `skip` names no case "records\/unknown-ids"/);
  });
});
