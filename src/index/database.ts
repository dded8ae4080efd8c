import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLockedError } from './errors.js';

/**
 * The durable store: one SQLite file, opened through better-sqlite3.
 *
 * Why SQLite (better-sqlite3) rather than the alternatives:
 * - Durability is the requirement ("nothing acknowledged is lost" across kill -9). SQLite in WAL
 *   mode with `synchronous=FULL` fsyncs the WAL on every commit, so a resolved upsert survives a
 *   crash, and a transaction interrupted mid-way is rolled back on the next open: exactly the
 *   "no half-written stem" guarantee, without writing our own journal.
 * - Embedded: no server to run beside the service; the data directory is the whole state.
 * - better-sqlite3 is synchronous and fast (no per-query thread hop), mature, widely used, and
 *   ships prebuilt binaries. Its blocking calls are short here (one transaction per stem).
 * - LevelDB/LMDB-style key-value stores would need hand-written secondary indexes for catalog,
 *   external-id and job queries that SQL gives for free; DuckDB is built for analytics, not many
 *   small durable transactions; node:sqlite is still experimental on Node 20.
 * The HNSW index is only a cache over the `chunks` table (see `ann-index.ts`).
 */

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE stems (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    catalog TEXT NOT NULL,
    external_id TEXT,
    instrument TEXT NOT NULL,
    metadata TEXT NOT NULL,
    duration_seconds REAL NOT NULL,
    chunk_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX stems_external_id ON stems (catalog, external_id) WHERE external_id IS NOT NULL;
  CREATE INDEX stems_catalog_instrument ON stems (catalog, instrument, pk);
  CREATE INDEX stems_instrument ON stems (instrument, pk);

  -- AUTOINCREMENT: chunk ids are the ANN labels, and a label must never be reused after a delete.
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stem_pk INTEGER NOT NULL REFERENCES stems (pk) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    offset_seconds REAL NOT NULL,
    silent INTEGER NOT NULL,
    vector BLOB NOT NULL
  );
  CREATE UNIQUE INDEX chunks_stem ON chunks (stem_pk, idx);

  -- Large per-chunk arrays live apart so index rebuilds scan only the small vector rows.
  CREATE TABLE chunk_payloads (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
    timeline BLOB NOT NULL,
    patches BLOB NOT NULL
  );

  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE TABLE job_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    instrument TEXT NOT NULL,
    catalog TEXT NOT NULL,
    external_id TEXT,
    metadata TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    stem_id TEXT,
    error_code TEXT,
    error_message TEXT
  );
  CREATE INDEX job_items_job ON job_items (job_id, position);
  CREATE INDEX job_items_state ON job_items (state, id);
  `,
  // Non-silent chunks per stem (its entries in the ANN index), kept beside chunk_count so a stem
  // record can say how much of it is searchable without counting chunk rows on every read.
  `
  ALTER TABLE stems ADD COLUMN indexed_count INTEGER NOT NULL DEFAULT 0;
  UPDATE stems SET indexed_count = (SELECT count(*) FROM chunks c WHERE c.stem_pk = stems.pk AND c.silent = 0);
  `,
];

/**
 * Opens the store for this process alone. The ANN cache lives in process memory, so a second
 * process writing the same store (say `stemdex ingest` in-process beside a running server) would
 * leave one of them searching a stale cache: exclusive locking mode makes the second open fail
 * instead. The lock is an OS file lock, released by the kernel when the holder dies, so it never
 * goes stale after kill -9.
 */
export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 0');
    // Must precede the first WAL access: the WAL index then lives in heap memory, not shared memory.
    db.pragma('locking_mode = EXCLUSIVE');
    // Set before any table exists so the file can later be shrunk in place by `compact()`.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new DataDirLockedError(dirname(path));
    throw error;
  }
  // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss or kill -9.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

export function readMeta(db: Db, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function writeMeta(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}
