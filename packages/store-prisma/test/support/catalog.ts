import type { TestDatabase } from './test-database.js';

/** A column as the database describes it: type normalised to lower case, e.g. `varchar(64)`, `bigint`. */
export interface CatalogColumn {
  column: string;
  type: string;
  nullable: boolean;
}

/** What the database says a table looks like: its columns and the columns of each secondary index. */
export async function describeTable(
  database: TestDatabase,
  table: string,
): Promise<{ columns: CatalogColumn[]; indexes: Map<string, string[]>; primaryKey: string[] }> {
  const { prisma, provider, location } = database;
  if (provider === 'postgresql') {
    const columns = await prisma.$queryRawUnsafe<Array<{ column: string; type: string; nullable: string }>>(
      `SELECT column_name AS "column", data_type AS "type", is_nullable AS "nullable"
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
      location,
      table,
    );
    const indexes = await prisma.$queryRawUnsafe<
      Array<{ name: string; definition: string; primary: boolean }>
    >(
      `SELECT i.relname AS "name", pg_get_indexdef(x.indexrelid) AS "definition", x.indisprimary AS "primary"
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = $2`,
      location,
      table,
    );
    const columnsOf = (definition: string) =>
      (definition.match(/\(([^)]*)\)\s*$/)?.[1] ?? '').split(/,\s*/).map((c) => c.replace(/"/g, ''));
    return {
      columns: columns.map((c) => ({ column: c.column, type: c.type, nullable: c.nullable === 'YES' })),
      indexes: new Map(indexes.filter((i) => !i.primary).map((i) => [i.name, columnsOf(i.definition)])),
      primaryKey: columnsOf(indexes.find((i) => i.primary)?.definition ?? ''),
    };
  }
  if (provider === 'mysql') {
    const columns = await prisma.$queryRawUnsafe<
      Array<{ column: string; type: string; length: bigint | number | null; nullable: string }>
    >(
      `SELECT COLUMN_NAME AS \`column\`, DATA_TYPE AS \`type\`, CHARACTER_MAXIMUM_LENGTH AS \`length\`,
       IS_NULLABLE AS \`nullable\` FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      location,
      table,
    );
    const indexed = await prisma.$queryRawUnsafe<Array<{ name: string; column: string }>>(
      `SELECT INDEX_NAME AS \`name\`, COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      location,
      table,
    );
    const indexes = new Map<string, string[]>();
    for (const { name, column } of indexed) indexes.set(name, [...(indexes.get(name) ?? []), column]);
    const primaryKey = indexes.get('PRIMARY') ?? [];
    indexes.delete('PRIMARY');
    return {
      columns: columns.map((c) => ({
        column: c.column,
        type: c.type === 'varchar' ? `varchar(${Number(c.length)})` : c.type,
        nullable: c.nullable === 'YES',
      })),
      indexes,
      primaryKey,
    };
  }
  const columns = await prisma.$queryRawUnsafe<
    Array<{ name: string; type: string; notnull: bigint | number; pk: bigint | number }>
  >(`SELECT name, type, "notnull", pk FROM pragma_table_info('${table}')`);
  const indexed = await prisma.$queryRawUnsafe<Array<{ name: string; column: string }>>(
    `SELECT l.name AS name, i.name AS "column" FROM pragma_index_list('${table}') l, pragma_index_info(l.name) i
     WHERE l.origin = 'c' ORDER BY l.name, i.seqno`,
  );
  const indexes = new Map<string, string[]>();
  for (const { name, column } of indexed) indexes.set(name, [...(indexes.get(name) ?? []), column]);
  return {
    columns: columns.map((c) => ({
      column: c.name,
      type: c.type.toLowerCase(),
      nullable: Number(c.notnull) === 0,
    })),
    indexes,
    primaryKey: columns.filter((c) => Number(c.pk) > 0).map((c) => c.name),
  };
}
