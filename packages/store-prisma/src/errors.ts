import { CoatcheckError } from '@coatcheck/core';

/** Throws `INVALID_OPTION` naming the option, in the words core uses for its own options. */
export function invalidOption(option: string, problem: string): never {
  throw new CoatcheckError('INVALID_OPTION', `option \`${option}\` ${problem}`);
}

/**
 * Runs a database call that core does not wrap (the audit log, the sweeper) and reports a failure as
 * `STORE_ERROR` with the Prisma error as `cause`, like core does for store calls.
 */
export async function callDatabase<T>(operation: string, call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CoatcheckError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CoatcheckError('STORE_ERROR', `${operation} failed: ${reason}`, { cause: error });
  }
}
