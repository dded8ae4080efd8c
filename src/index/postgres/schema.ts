import type { PoolClient } from 'pg';
import { INSTRUMENTS } from '../../instruments.js';
import { InvalidArgumentError, ModelMismatchError } from '../errors.js';
import { quoteIdentifier } from './transaction.js';

/**
 * Schema migrations for the PostgreSQL catalog. Several replicas may start at once against an
 * empty database, so the whole migration (extension, tables, model binding) runs in the
 * caller's transaction behind one advisory lock: the first replica creates, the others wait
 * and then find everything in place.
 */

/** Same key for every schema: `CREATE EXTENSION` is database-wide, so it must be serialised too. */
const MIGRATION_LOCK = 'stemdex:migrate';

/** Schema names are interpolated into SQL (quoted); keep them plain. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ModelBinding {
  modelId: string;
  dim: number;
}

/** `q` qualifies a table with the schema; `n` quotes a bare name (indexes live in their table's schema). */
type Migration = (q: (name: string) => string, n: (name: string) => string, dim: number) => string;

const MIGRATIONS: Migration[] = [
  (q, n, dim) => `
  CREATE TABLE ${q('stems')} (
    pk bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    catalog text NOT NULL,
    external_id text,
    instrument text NOT NULL,
    -- The metadata as the client sent it (key order kept); the filterable facts are extracted
    -- into their own columns at write time, with the same rules as the local backend.
    metadata text NOT NULL,
    tags text[],
    key_lower text,
    bpm double precision,
    duration_seconds double precision NOT NULL,
    chunk_count integer NOT NULL,
    -- Non-silent chunks, i.e. the stem's entries in the HNSW index: stats() sums this column
    -- instead of counting the (much larger) chunks table on every readiness probe.
    indexed_count integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE UNIQUE INDEX ${n('stems_external_id')} ON ${q('stems')} (catalog, external_id) WHERE external_id IS NOT NULL;
  CREATE INDEX ${n('stems_catalog_instrument')} ON ${q('stems')} (catalog, instrument, pk);
  CREATE INDEX ${n('stems_instrument')} ON ${q('stems')} (instrument, pk);

  CREATE TABLE ${q('chunks')} (
    id bigserial PRIMARY KEY,
    stem_pk bigint NOT NULL REFERENCES ${q('stems')} (pk) ON DELETE CASCADE,
    idx integer NOT NULL,
    offset_seconds double precision NOT NULL,
    silent boolean NOT NULL,
    -- Copied from the stem so each instrument's HNSW graph is a partial index over this table.
    instrument text NOT NULL,
    -- Exact float32 bytes, returned by getChunks (silent chunks may hold any values).
    vector bytea NOT NULL,
    -- The searchable copy; NULL for silent chunks, which are never matched.
    embedding vector(${dim}),
    timeline bytea NOT NULL,
    patches bytea NOT NULL,
    UNIQUE (stem_pk, idx)
  );
  ${INSTRUMENTS.map(
    (instrument) =>
      `CREATE INDEX ${n(`chunks_hnsw_${instrument}`)} ON ${q('chunks')} USING hnsw (embedding vector_cosine_ops) WHERE instrument = '${instrument}';`,
  ).join('\n  ')}

  -- Bumped by every stem mutation: a cheap, contention-free change counter for stats().
  CREATE SEQUENCE ${q('change_sequence')};

  CREATE TABLE ${q('jobs')} (
    seq bigserial UNIQUE,
    id text PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz
  );
  CREATE TABLE ${q('job_items')} (
    id bigserial PRIMARY KEY,
    job_id text NOT NULL REFERENCES ${q('jobs')} (id) ON DELETE CASCADE,
    position integer NOT NULL,
    source text NOT NULL,
    source_type text NOT NULL,
    instrument text NOT NULL,
    catalog text NOT NULL,
    external_id text,
    metadata text NOT NULL,
    state text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    -- The replica that staged the upload (only it can read the file), and the session (one open
    -- catalog of a replica) running the item.
    origin text NOT NULL,
    claimed_by text,
    stem_id text,
    error_code text,
    error_message text
  );
  CREATE INDEX ${n('job_items_job')} ON ${q('job_items')} (job_id, position);
  CREATE INDEX ${n('job_items_state')} ON ${q('job_items')} (state, id);

  -- Live sessions, for handing a crashed replica's running items back to the queue.
  CREATE TABLE ${q('replicas')} (
    session text PRIMARY KEY,
    replica_id text NOT NULL,
    last_seen timestamptz NOT NULL
  );
  `,
];

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(`postgres schema name must match ${SCHEMA_NAME}, got ${schema}`);
  }
}

/** Creates or upgrades the schema and binds it to the model (`MODEL_MISMATCH` for another one). */
export async function migrate(client: PoolClient, schema: string, model: ModelBinding): Promise<void> {
  const q = (name: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [MIGRATION_LOCK]);
  await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${q('meta')} (key text PRIMARY KEY, value text NOT NULL)`);

  const meta = new Map<string, string>(
    (await client.query<{ key: string; value: string }>(`SELECT key, value FROM ${q('meta')}`)).rows.map(
      (row) => [row.key, row.value],
    ),
  );
  const storedModel = meta.get('model_id');
  const storedDim = meta.get('dim');
  if (storedModel !== undefined && storedDim !== undefined) {
    if (storedModel !== model.modelId || Number(storedDim) !== model.dim) {
      throw new ModelMismatchError({ modelId: storedModel, dim: Number(storedDim) }, model);
    }
  }
  const setMeta = (key: string, value: string) =>
    client.query(
      `INSERT INTO ${q('meta')} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  if (storedModel === undefined || storedDim === undefined) {
    await setMeta('model_id', model.modelId);
    await setMeta('dim', String(model.dim));
  }
  const version = Number(meta.get('schema_version') ?? 0);
  for (let next = version; next < MIGRATIONS.length; next++) {
    await client.query(MIGRATIONS[next](q, quoteIdentifier, model.dim));
  }
  if (version < MIGRATIONS.length) await setMeta('schema_version', String(MIGRATIONS.length));
}
