import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Instrument } from '../../instruments.js';
import { decodeCursor, encodeCursor, filterFingerprint, listFingerprintFields } from '../cursor.js';
import { CatalogClosedError, InvalidArgumentError, StemNotFoundError } from '../errors.js';
import { decodeFloat32 } from '../float16.js';
import type {
  CatalogStats,
  CatalogStore,
  ChunkRecord,
  InstrumentStats,
  JobStore,
  ListStemsOptions,
  SearchHit,
  SearchOptions,
  StemPage,
  StemRecord,
  UpsertStemInput,
} from '../types.js';
import { validatePageLimit, validateQuery, validateStem } from '../validation.js';
import { PostgresJobStore } from './job-store.js';
import { assertSchemaName, migrate } from './schema.js';
import {
  type ChunkRow,
  chunkColumns,
  filterFacts,
  type StemRow,
  toChunkRecord,
  toStemRecord,
  vectorLiteral,
} from './stem-rows.js';
import { inTransaction, quoteIdentifier } from './transaction.js';

export interface PostgresCatalogOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style URL node-postgres accepts). */
  connectionString: string;
  /** Schema holding the catalog's tables; several catalogs can share a database. */
  schema?: string;
  dim: number;
  modelId: string;
  /**
   * Names this replica for the job queue: uploads it staged are only claimed by it. Stable across
   * restarts of the same replica (e.g. host name + data directory).
   */
  replicaId: string;
  /** Connections this replica opens at most. */
  poolSize?: number;
  /** A replica silent this long is presumed crashed and its running job items are requeued. */
  replicaLeaseMs?: number;
  /** HNSW search breadth (`hnsw.ef_search`); raised per query to the candidates asked for. */
  efSearch?: number;
}

const DEFAULT_SCHEMA = 'stemdex';
const DEFAULT_POOL_SIZE = 10;
const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_EF_SEARCH = 64;
/** pgvector caps hnsw.ef_search at 1000. */
const MAX_EF_SEARCH = 1000;
/** Chunks fetched per wanted stem in the first pass; widened when stems have many matching chunks. */
const OVERFETCH = 4;
/** Chunk rows per INSERT: bounds one statement's size (a chunk carries ~90 KB at dim 128). */
const CHUNKS_PER_INSERT = 64;

/**
 * Opens (creating or migrating if needed) a catalog in PostgreSQL ≥ 15 with the pgvector
 * extension (≥ 0.8 for iterative index scans). Any number of replicas may open the same schema:
 * PostgreSQL is the only state, so every replica sees every other's writes at once.
 */
export async function openPostgresCatalog(options: PostgresCatalogOptions): Promise<CatalogStore> {
  if (!Number.isInteger(options.dim) || options.dim <= 0) {
    throw new InvalidArgumentError(`dim must be a positive integer, got ${options.dim}`);
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
  });
  // An idle pooled connection the server dropped must not crash the process.
  pool.on('error', () => {});
  try {
    await inTransaction(pool, (client) =>
      migrate(client, schema, { modelId: options.modelId, dim: options.dim }),
    );
    const catalog = new PostgresCatalog(options, schema, pool);
    await catalog.join();
    catalog.startHeartbeat();
    return catalog;
  } catch (error) {
    await pool.end();
    throw error;
  }
}

class PostgresCatalog implements CatalogStore {
  readonly dim: number;
  readonly modelId: string;
  readonly jobs: JobStore;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly replicaId: string;
  private readonly session = randomUUID();
  private readonly leaseMs: number;
  private readonly efSearch: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: PostgresCatalogOptions, schema: string, pool: pg.Pool) {
    this.dim = options.dim;
    this.modelId = options.modelId;
    this.schema = schema;
    this.pool = pool;
    this.replicaId = options.replicaId;
    this.leaseMs = options.replicaLeaseMs ?? DEFAULT_LEASE_MS;
    this.efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
    this.jobs = new PostgresJobStore({
      pool,
      table: (name) => this.table(name),
      replicaId: this.replicaId,
      session: this.session,
      replicaLeaseMs: this.leaseMs,
      assertOpen: () => this.assertOpen(),
    });
  }

  async upsertStem(input: UpsertStemInput): Promise<StemRecord> {
    this.assertOpen();
    validateStem(input, this.dim);
    const t = (name: string) => this.table(name);
    const now = new Date();
    const facts = filterFacts(input.metadata);
    return inTransaction(this.pool, async (client) => {
      // One statement for insert-or-replace: the row lock it takes serialises replicas that
      // upsert the same (catalog, external id) at once, and the id and created_at survive.
      const { rows } = await client.query<StemRow>(
        `INSERT INTO ${t('stems')} (id, catalog, external_id, instrument, metadata, tags, key_lower, bpm,
           duration_seconds, chunk_count, indexed_count, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $11, $11)
         ON CONFLICT (catalog, external_id) WHERE external_id IS NOT NULL DO UPDATE SET
           instrument = excluded.instrument, metadata = excluded.metadata, tags = excluded.tags,
           key_lower = excluded.key_lower, bpm = excluded.bpm, duration_seconds = excluded.duration_seconds,
           chunk_count = excluded.chunk_count, indexed_count = excluded.indexed_count,
           updated_at = excluded.updated_at
         RETURNING *`,
        [
          randomUUID(),
          input.catalog,
          input.externalId ?? null,
          input.instrument,
          JSON.stringify(input.metadata),
          facts.tags,
          facts.keyLower,
          facts.bpm,
          input.durationSeconds,
          input.chunks.length,
          now,
          input.chunks.filter((chunk) => !chunk.silent).length,
        ],
      );
      const stem = rows[0];
      await client.query(`DELETE FROM ${t('chunks')} WHERE stem_pk = $1`, [stem.pk]);
      for (let start = 0; start < input.chunks.length; start += CHUNKS_PER_INSERT) {
        const columns = chunkColumns(input.chunks.slice(start, start + CHUNKS_PER_INSERT));
        await client.query(
          `INSERT INTO ${t('chunks')} (stem_pk, instrument, idx, offset_seconds, silent, vector, embedding, timeline, patches)
           SELECT $1, $2, * FROM unnest($3::int[], $4::float8[], $5::bool[], $6::bytea[], $7::vector[], $8::bytea[], $9::bytea[])`,
          [
            stem.pk,
            input.instrument,
            columns.idx,
            columns.offsetSeconds,
            columns.silent,
            columns.vector,
            columns.embedding,
            columns.timeline,
            columns.patches,
          ],
        );
      }
      await client.query(`SELECT nextval('${t('change_sequence')}')`);
      return toStemRecord(stem);
    });
  }

  async getStem(id: string): Promise<StemRecord | null> {
    this.assertOpen();
    return this.stemWhere('id = $1', [id]);
  }

  async getStemByExternalId(catalog: string, externalId: string): Promise<StemRecord | null> {
    this.assertOpen();
    return this.stemWhere('catalog = $1 AND external_id = $2', [catalog, externalId]);
  }

  async listStems(options: ListStemsOptions): Promise<StemPage> {
    this.assertOpen();
    validatePageLimit(options.limit);
    const fingerprint = filterFingerprint(listFingerprintFields(options));
    const after = options.cursor ? decodeCursor(options.cursor, fingerprint) : 0;
    const rows = await this.read(async (client) => {
      const result = await client.query<StemRow>(
        `SELECT * FROM ${this.table('stems')}
         WHERE pk > $1 AND ($2::text IS NULL OR catalog = $2) AND ($3::text IS NULL OR instrument = $3)
           AND ($5::text[] IS NULL OR catalog = ANY($5::text[]))
         ORDER BY pk LIMIT $4`,
        [
          after,
          options.catalog ?? null,
          options.instrument ?? null,
          options.limit + 1,
          options.catalogs ?? null,
        ],
      );
      return result.rows;
    });
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(toStemRecord),
      nextCursor: rows.length > options.limit && last ? encodeCursor(Number(last.pk), fingerprint) : null,
    };
  }

  async deleteStem(id: string): Promise<boolean> {
    this.assertOpen();
    return inTransaction(this.pool, async (client) => {
      const result = await client.query(`DELETE FROM ${this.table('stems')} WHERE id = $1`, [id]);
      if (!result.rowCount) return false;
      await client.query(`SELECT nextval('${this.table('change_sequence')}')`);
      return true;
    });
  }

  async getChunks(stemId: string): Promise<ChunkRecord[]> {
    this.assertOpen();
    return this.read(async (client) => {
      const stem = await client.query<{ pk: string }>(`SELECT pk FROM ${this.table('stems')} WHERE id = $1`, [
        stemId,
      ]);
      if (stem.rows.length === 0) throw new StemNotFoundError(stemId);
      const { rows } = await client.query<ChunkRow>(
        `SELECT idx, offset_seconds, silent, vector, timeline, patches FROM ${this.table('chunks')}
         WHERE stem_pk = $1 ORDER BY idx`,
        [stem.rows[0].pk],
      );
      return rows.map(toChunkRecord);
    });
  }

  async search(vector: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    this.assertOpen();
    validateQuery(vector, options, this.dim);
    const { where, params } = this.searchFilter(vectorLiteral(vector), options);
    return this.read(async (client) => {
      const best = new Map<string, { chunkId: string; distance: number }>();
      for (let fetch = options.k * OVERFETCH; ; fetch *= OVERFETCH) {
        // Iterative scans keep walking the graph until enough rows pass the filters (pgvector
        // ≥ 0.8); relaxed order is fine because the best chunk per stem is re-ranked below.
        await client.query(
          `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true)`,
          [String(Math.min(MAX_EF_SEARCH, Math.max(this.efSearch, fetch)))],
        );
        const { rows } = await client.query<{ id: string; stem_pk: string; distance: number }>(
          `SELECT c.id, c.stem_pk, c.embedding <=> $1::vector AS distance
           FROM ${this.table('chunks')} c JOIN ${this.table('stems')} s ON s.pk = c.stem_pk
           WHERE ${where.join(' AND ')}
           ORDER BY c.embedding <=> $1::vector LIMIT ${fetch}`,
          params,
        );
        best.clear();
        for (const row of rows) {
          const current = best.get(row.stem_pk);
          if (!current || row.distance < current.distance)
            best.set(row.stem_pk, { chunkId: row.id, distance: row.distance });
        }
        // Fewer rows than asked means the filtered population is exhausted.
        if (best.size >= options.k || rows.length < fetch) break;
      }
      const ranked = [...best.entries()].sort((a, b) => a[1].distance - b[1].distance).slice(0, options.k);
      if (ranked.length === 0) return [];
      const { rows } = await client.query<
        StemRow & { chunk_id: string; chunk_idx: number; chunk_offset: number; chunk_timeline: Buffer }
      >(
        `SELECT s.*, c.id AS chunk_id, c.idx AS chunk_idx, c.offset_seconds AS chunk_offset, c.timeline AS chunk_timeline
         FROM ${this.table('chunks')} c JOIN ${this.table('stems')} s ON s.pk = c.stem_pk
         WHERE c.id = ANY($1::bigint[])`,
        [ranked.map(([, match]) => match.chunkId)],
      );
      const byChunk = new Map(rows.map((row) => [row.chunk_id, row]));
      const hits: SearchHit[] = [];
      for (const [, match] of ranked) {
        const row = byChunk.get(match.chunkId);
        if (!row) continue;
        hits.push({
          stem: toStemRecord(row),
          score: 1 - match.distance,
          chunk: {
            index: row.chunk_idx,
            offsetSeconds: row.chunk_offset,
            timeline: decodeFloat32(row.chunk_timeline),
          },
        });
      }
      return hits;
    });
  }

  async stats(): Promise<CatalogStats> {
    this.assertOpen();
    return this.read(async (client) => {
      const stems = await client.query<{
        instrument: Instrument;
        stems: string;
        chunks: string;
        indexed: string;
      }>(
        `SELECT instrument, count(*) AS stems, coalesce(sum(chunk_count), 0) AS chunks,
           coalesce(sum(indexed_count), 0) AS indexed
         FROM ${this.table('stems')} GROUP BY instrument`,
      );
      const sequence = await client.query<{ value: string }>(
        `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS value FROM ${this.table('change_sequence')}`,
      );
      const size = await client.query<{ bytes: string | null }>(
        `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [this.schema],
      );
      const byInstrument: Partial<Record<Instrument, InstrumentStats>> = {};
      let stemCount = 0;
      let chunkCount = 0;
      let indexSize = 0;
      for (const row of stems.rows) {
        // PostgreSQL reclaims deleted HNSW entries itself (VACUUM): none are ever pending here.
        byInstrument[row.instrument] = {
          stems: Number(row.stems),
          chunks: Number(row.chunks),
          indexed: Number(row.indexed),
          deletedInIndex: 0,
        };
        stemCount += Number(row.stems);
        chunkCount += Number(row.chunks);
        indexSize += Number(row.indexed);
      }
      return {
        stems: stemCount,
        chunks: chunkCount,
        byInstrument,
        indexSize,
        sequence: Number(sequence.rows[0].value),
        // The index lives in PostgreSQL, always current: there is no snapshot to lag behind.
        snapshotSequence: null,
        storeBytes: Number(size.rows[0].bytes ?? 0),
      };
    });
  }

  /** Nothing to persist: PostgreSQL's HNSW indexes are durable with the rows. */
  async snapshot(): Promise<void> {
    this.assertOpen();
  }

  /** Reclaims dead rows and index entries and refreshes planner statistics. */
  async compact(): Promise<void> {
    this.assertOpen();
    // VACUUM cannot run inside a transaction block; each is one parameterless statement.
    for (const name of ['stems', 'chunks', 'job_items', 'jobs']) {
      await this.pool.query(`VACUUM (ANALYZE) ${this.table(name)}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      // Leaving cleanly: any item this replica left running may be requeued by the others at once.
      await inTransaction(this.pool, (client) =>
        client.query(`DELETE FROM ${this.table('replicas')} WHERE session = $1`, [this.session]),
      );
    } finally {
      await this.pool.end();
    }
  }

  /**
   * Registers this session. A replica that opens again has restarted, so its earlier sessions
   * are gone even if their lease has not run out yet: their running items become requeueable.
   */
  async join(): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(`DELETE FROM ${this.table('replicas')} WHERE replica_id = $1`, [this.replicaId]);
      await client.query(
        `INSERT INTO ${this.table('replicas')} (session, replica_id, last_seen) VALUES ($1, $2, now())`,
        [this.session, this.replicaId],
      );
    });
  }

  /** Records that this session is alive (see `requeueInterrupted`); an update only, so a beat
   * racing `close()` cannot resurrect the session. */
  async heartbeat(): Promise<void> {
    await inTransaction(this.pool, (client) =>
      client.query(`UPDATE ${this.table('replicas')} SET last_seen = now() WHERE session = $1`, [
        this.session,
      ]),
    );
  }

  startHeartbeat(): void {
    this.timer = setInterval(() => {
      // A missed beat only risks an early requeue after the lease; never throw into the event loop.
      this.heartbeat().catch(() => {});
    }, this.leaseMs / 4);
    this.timer.unref();
  }

  // --- helpers ----------------------------------------------------------------------------

  private searchFilter(query: string, options: SearchOptions): { where: string[]; params: unknown[] } {
    // The instrument is a validated vocabulary word, inlined so the planner can match the
    // instrument's partial HNSW index (a parameter would hide it from the planner).
    const where = [`c.instrument = '${options.instrument}'`, 'c.embedding IS NOT NULL'];
    const params: unknown[] = [query];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      where.push(condition(`$${params.length}`));
    };
    if (options.catalog !== undefined) add((p) => `s.catalog = ${p}`, options.catalog);
    if (options.catalogs !== undefined) add((p) => `s.catalog = ANY(${p}::text[])`, options.catalogs);
    const filter = options.filter;
    if (filter?.tags && filter.tags.length > 0) add((p) => `s.tags @> ${p}::text[]`, filter.tags);
    if (filter?.key !== undefined) add((p) => `s.key_lower = ${p}`, filter.key.toLowerCase());
    if (filter?.bpmMin !== undefined) add((p) => `s.bpm >= ${p}`, filter.bpmMin);
    if (filter?.bpmMax !== undefined) add((p) => `s.bpm <= ${p}`, filter.bpmMax);
    if (options.excludeStemIds && options.excludeStemIds.length > 0) {
      add((p) => `s.id <> ALL(${p}::text[])`, options.excludeStemIds);
    }
    return { where, params };
  }

  private async stemWhere(condition: string, params: unknown[]): Promise<StemRecord | null> {
    const rows = await this.read(
      async (client) =>
        (await client.query<StemRow>(`SELECT * FROM ${this.table('stems')} WHERE ${condition}`, params)).rows,
    );
    return rows[0] ? toStemRecord(rows[0]) : null;
  }

  private read<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work, 'read only');
  }

  private table(name: string): string {
    return `${quoteIdentifier(this.schema)}.${quoteIdentifier(name)}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new CatalogClosedError();
  }
}
