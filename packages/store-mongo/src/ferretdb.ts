import type { MongoClientLike, MongoDocument } from './mongo-client.js';

/** Anything that can run a database command: a `Db` of driver 6 or 7. */
export interface MongoCommandTarget {
  command(command: MongoDocument): Promise<MongoDocument>;
}

/**
 * The FerretDB version of the server behind `db` (`buildInfo` answers a `ferretdbVersion` there, e.g.
 * `'v1.24.2'`), or `null` for any other server. One command. Use it to give a FerretDB v1 client
 * `maxPoolSize: 1` (see the README's FerretDB caveats).
 * @throws what the driver throws when the server cannot be reached.
 */
export async function ferretDbVersion(db: MongoCommandTarget): Promise<string | null> {
  const info = await db.command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? info.ferretdbVersion : null;
}

/** FerretDB v1 updates by reading and writing back (FerretDB#3040): see {@link warnAboutFerretDbOnce}. */
export function isFerretDbV1(version: string): boolean {
  return /^v?1\./.test(version);
}

/**
 * Whether `client` sends every operation on one connection (`maxPoolSize: 1`), which makes FerretDB v1
 * apply them in order. `false` when the pool size cannot be read (not a driver `MongoClient`) or is
 * `0` (no limit).
 */
export function hasOneConnection(client: MongoClientLike | undefined): boolean {
  return client?.options?.maxPoolSize === 1;
}

let warned = false;

/**
 * Says once per process what goes wrong on FerretDB v1 and how to run it safely. The store calls it only
 * for a client whose pool can hold more than one connection (see {@link hasOneConnection}).
 */
export function warnAboutFerretDbOnce(version: string, client: MongoClientLike | undefined): void {
  if (warned) return;
  warned = true;
  const poolSize = client?.options?.maxPoolSize;
  const current =
    typeof poolSize === 'number'
      ? `this store's client has \`maxPoolSize: ${poolSize}\`${poolSize === 0 ? ' (no limit)' : ''}`
      : "the store could not read its client's pool size";
  console.warn(
    `[coatcheck] The Mongo session store is running on FerretDB ${version}. FerretDB v1 applies a filtered update by ` +
      'reading the document and writing it back, so two writes to one session that arrive on two ' +
      'connections at once can undo each other: a touch can undo a save, and two saves can both pass the ' +
      `version check. Safe only with one app process and a MongoClient with \`maxPoolSize: 1\` (${current}); ` +
      'use it for development and demos, and MongoDB in production.',
  );
}
