import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { callStore, invalidOption } from '@coatcheck/core/store';

/** The databases this package ships a model and SQL for. */
export type SqlProvider = 'postgresql' | 'mysql' | 'sqlite';

/** The one PrismaClient method {@link applySchema} calls. */
export interface RawSqlExecutor {
  $executeRawUnsafe(query: string): PromiseLike<number>;
}

const PROVIDERS: readonly SqlProvider[] = ['postgresql', 'mysql', 'sqlite'];

/**
 * Creates the tables of the shipped models by running the SQL this package ships beside them
 * (`schema/<provider>/session.sql`, and `session-event.sql` with `auditLog`), for where `prisma migrate`
 * cannot run. Every statement is `CREATE … IF NOT EXISTS`, so it is safe to run at every start-up; it
 * never alters or drops an existing table. Statements run one at a time (drivers prepare single
 * statements), each in its own implicit transaction.
 *
 * ```ts
 * await applySchema(prisma, 'postgresql', { auditLog: true });
 * ```
 *
 * @param prisma your PrismaClient, connected to the database (and schema) the store will use.
 * @param options.auditLog also create the audit trail's table. @default false
 * @throws `INVALID_OPTION` for an unknown provider; `STORE_ERROR` (the database's error as `cause`) when
 *   a statement fails.
 */
export async function applySchema(
  prisma: RawSqlExecutor,
  provider: SqlProvider,
  options: { auditLog?: boolean } = {},
): Promise<void> {
  if (!PROVIDERS.includes(provider)) {
    invalidOption('provider', `must be one of ${PROVIDERS.join(', ')} (got ${JSON.stringify(provider)})`);
  }
  if (typeof prisma?.$executeRawUnsafe !== 'function') {
    invalidOption('prisma', 'must be a PrismaClient (it has no $executeRawUnsafe() method)');
  }
  const files = options.auditLog ? ['session.sql', 'session-event.sql'] : ['session.sql'];
  for (const file of files) {
    const path = `schema/${provider}/${file}`;
    const sql = await readFile(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');
    for (const statement of statementsOf(sql)) {
      await callStore(`applying ${path}`, () => prisma.$executeRawUnsafe(statement));
    }
  }
}

/** The statements of a shipped SQL file: split at a `;` that ends a line, comment-only parts dropped. */
function statementsOf(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.replace(/--.*$/gm, '').trim() !== '');
}
