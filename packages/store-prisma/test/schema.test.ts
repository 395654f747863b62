// The shipped files agree with each other. That the SQL creates what the model describes is checked
// against each real database in the provider suites.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MODEL_FILES, type Model, readModel } from './support/model.js';

const PROVIDERS = ['postgresql', 'mysql', 'sqlite'] as const;

describe('shipped models', () => {
  for (const file of MODEL_FILES) {
    it(`${file}.prisma has the same fields, table and indexes for every database`, async () => {
      const [postgresql, ...others] = await Promise.all(
        PROVIDERS.map((provider) => readModel(provider, file)),
      );
      const portable = (model: Model | undefined) => ({
        ...model,
        fields: model?.fields.map(({ nativeType: _, ...field }) => field),
      });
      for (const other of others) expect(portable(other)).toEqual(portable(postgresql));
    });
  }
});

describe('README', () => {
  it('shows every shipped model and SQL file exactly as shipped', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const provider of PROVIDERS) {
      for (const file of MODEL_FILES) {
        for (const extension of ['prisma', 'sql']) {
          const text = await readFile(
            new URL(`../schema/${provider}/${file}.${extension}`, import.meta.url),
            'utf8',
          );
          expect(readme, `schema/${provider}/${file}.${extension}`).toContain(text.trim());
        }
      }
    }
  });
});
