import { readFile } from 'node:fs/promises';
import type { Provider } from './test-database.js';

/** A field of a shipped Prisma model, as far as the table is concerned. */
export interface ModelField {
  name: string;
  column: string;
  /** Prisma scalar type: String, BigInt, Int. */
  type: string;
  optional: boolean;
  /** The `@db.…` attribute without `@db.`, e.g. `VarChar(64)`, or null. */
  nativeType: string | null;
  id: boolean;
}

export interface Model {
  name: string;
  table: string;
  fields: ModelField[];
  /** Columns of each `@@index`, in order. */
  indexes: string[][];
}

export const MODEL_FILES = ['session', 'session-event'] as const;

export async function readModel(provider: Provider, file: (typeof MODEL_FILES)[number]): Promise<Model> {
  return parseModel(
    await readFile(new URL(`../../schema/${provider}/${file}.prisma`, import.meta.url), 'utf8'),
  );
}

/** Reads the one model of a shipped file: enough Prisma syntax for these files, not a general parser. */
export function parseModel(text: string): Model {
  const lines = text.split('\n').map((line) => line.trim());
  const name = lines.find((line) => line.startsWith('model '))?.split(/\s+/)[1];
  if (!name) throw new Error('no model in file');
  const fields: ModelField[] = [];
  const fieldNames: string[][] = [];
  let table = name;
  for (const line of lines) {
    if (line.startsWith('@@map(')) table = quoted(line) as string;
    else if (line.startsWith('@@index('))
      fieldNames.push(line.slice(line.indexOf('[') + 1, line.indexOf(']')).split(/,\s*/));
    else if (/^\w+\s+\w+\??(\s|$)/.test(line) && !line.startsWith('model ')) {
      const [fieldName = '', typeWithMark = ''] = line.split(/\s+/);
      fields.push({
        name: fieldName,
        column: quoted(line.match(/@map\("[^"]+"\)/)?.[0]) ?? fieldName,
        type: typeWithMark.replace('?', ''),
        optional: typeWithMark.endsWith('?'),
        nativeType: line.match(/@db\.(\w+(\(\d+\))?)/)?.[1] ?? null,
        id: /(^|\s)@id(\s|$)/.test(line),
      });
    }
  }
  const columnOf = (field: string) => fields.find((f) => f.name === field)?.column ?? `<unknown ${field}>`;
  return { name, table, fields, indexes: fieldNames.map((names) => names.map(columnOf)) };
}

function quoted(text: string | undefined): string | undefined {
  return text?.match(/"([^"]+)"/)?.[1];
}
