import { assertMethods, invalidOption } from '@coatcheck/core/store';

/**
 * Finds `prisma[model]` and checks it has the methods a store calls, so a misspelt model or a client
 * generated without the model fails at start-up rather than on the first request.
 */
export function modelDelegate<Delegate>(
  prisma: unknown,
  model: unknown,
  methods: readonly string[],
): Delegate {
  if (typeof prisma !== 'object' || prisma === null) invalidOption('prisma', 'must be a PrismaClient');
  if (typeof model !== 'string' || model.length === 0) {
    invalidOption('model', 'must name a model delegate of your PrismaClient, e.g. "session"');
  }
  const delegate = (prisma as Record<string, unknown>)[model];
  assertMethods<Delegate>(delegate, 'model', methods, {
    expected: 'the name of a model delegate of your PrismaClient',
    subject: `prisma.${model}`,
    hint:
      'paste the model into your Prisma schema, run `prisma generate`, and pass the delegate name ' +
      '(the model name in camelCase)',
  });
  return delegate;
}
