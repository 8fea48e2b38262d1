// FerretDB 1.24 on PostgreSQL pushes a `{user_id: <string>}` filter down as
//   _jsonb -> 'user_id' @> '"<value>"'::jsonb
// (internal/backends/postgresql/query.go, filterEqual), while the indexes it creates are btree
// expression indexes, ((_jsonb -> 'user_id'), (_jsonb -> 'timestamp') DESC, ...), whose operator
// class (jsonb_ops for btree) has =, <, > but not @>: PostgreSQL cannot use them for that filter,
// even with enable_seqscan off. No query shape or FerretDB flag emits `=` instead, and only $natural
// sorts are pushed down. A GIN index on the same expression does serve @> (a Bitmap Index Scan), so
// this creates one in PostgreSQL directly, beside FerretDB's own (FerretDB does not list it; dropping
// the collection drops it with the table). Local stack only: MongoDB serves the read from
// user_history.
// The same holds for `{_id: <id>}` (_jsonb -> '_id' @> ...): FerretDB's unique `_id_` index is a
// btree too, so every findOne by id is a sequential scan (400 ms at 180k documents). purchase-persist
// settles each collided insert with one (batcher.ts, settleCollision), so a mass redelivery ran at
// 30-36 events/s; a GIN index on _jsonb -> '_id' serves those lookups (0.5 ms). jsonb_path_ops: the
// smaller, faster GIN operator class, and @> is the only operator wanted here.
//   node harness/ferretdb-index.ts [<mongodb-uri>]   (default: $MONGODB_URI)
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

export interface PgTarget {
  host: string;
  port: number;
}

/** PostgreSQL under the local stack's FerretDB: STACK_PG_PORT, else the mongo port - 10000. */
export function localPostgres(mongoUri: string, env = process.env): PgTarget | undefined {
  const url = new URL(mongoUri);
  if (!["127.0.0.1", "localhost"].includes(url.hostname)) return undefined;
  const port = Number(env.STACK_PG_PORT || Number(url.port || 27017) - 10_000);
  return { host: "127.0.0.1", port };
}

const psql = (pg: PgTarget, sql: string) => {
  const r = spawnSync(
    "psql",
    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", pg.host, "-p", String(pg.port), "-U", "postgres"],
    { input: sql, encoding: "utf8", timeout: 600_000 },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
  return r.stdout.trim();
};

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A GIN index this module adds: on _jsonb -> `path`, with its operator class. */
interface Gin {
  path: string;
  suffix: string;
  opclass: "jsonb_ops" | "jsonb_path_ops";
}

/** The history filter ({user_id}) and collision settling ({_id}). */
const USER_ID: Gin = { path: "user_id", suffix: "user_id_gin", opclass: "jsonb_ops" };
const ID: Gin = { path: "_id", suffix: "id_gin", opclass: "jsonb_path_ops" };

/**
 * Creates (if missing) a GIN index on _jsonb -> path of the collection's table; returns the table
 * and whether the index was new. Throws when psql or the table cannot be found.
 */
function ensureGin(pg: PgTarget, db: string, gin: Gin, collection: string) {
  // FerretDB keeps the collection -> table mapping in <db>._ferretdb_database_metadata.
  const table = psql(
    pg,
    `SELECT _jsonb->>'table' FROM ${ident(db)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = ${literal(collection)}`,
  );
  if (!table) throw new Error(`no table for ${db}.${collection} in FerretDB's metadata`);
  const index = `${table}_${gin.suffix}`;
  const existed = psql(
    pg,
    `SELECT 1 FROM pg_indexes WHERE schemaname = ${literal(db)} AND indexname = ${literal(index)}`,
  );
  if (!existed) {
    psql(
      pg,
      `CREATE INDEX IF NOT EXISTS ${ident(index)} ON ${ident(db)}.${ident(table)} USING gin ((_jsonb -> ${literal(gin.path)}) ${gin.opclass});
       ANALYZE ${ident(db)}.${ident(table)};`,
    );
  }
  return { table, index, created: !existed };
}

/** The GIN index that serves the history filter {user_id}. */
export const ensureUserIdGin = (pg: PgTarget, db: string, collection = "purchases") =>
  ensureGin(pg, db, USER_ID, collection);

/** The GIN index that serves findOne({_id}), collision settling in purchase-persist. */
export const ensureIdGin = (pg: PgTarget, db: string, collection = "purchases") =>
  ensureGin(pg, db, ID, collection);

/** Both: what the local stack's database gets (scripts/dev.ts). */
export const ensureLocalGins = (pg: PgTarget, db: string, collection = "purchases") => [
  ensureUserIdGin(pg, db, collection),
  ensureIdGin(pg, db, collection),
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const uri = process.argv[2] ?? process.env.MONGODB_URI ?? "mongodb://127.0.0.1:27017/purchases";
  const pg = localPostgres(uri);
  if (!pg) {
    console.error(`${uri} is not the local stack's FerretDB`);
    process.exit(2);
  }
  const db = new URL(uri).pathname.slice(1) || "purchases";
  for (const r of ensureLocalGins(pg, db))
    console.log(`${r.created ? "created" : "already there"}: ${db}.${r.index} on ${db}.${r.table}`);
}
