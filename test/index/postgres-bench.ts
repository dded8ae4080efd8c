/**
 * PostgreSQL catalog benchmark: ingest, bytes per chunk, search latency and recall against exact
 * search, and whether the planner uses the instrument's HNSW index.
 *
 *   npx tsx test/index/postgres-bench.ts [--url postgres://…] [--dim 128] [--payload-stems 30]
 *                                        [--search-chunks 10000] [--queries 200]
 *
 * Without `--url` it runs against PGlite (PostgreSQL compiled to WASM, one single-threaded
 * backend, in memory) served on loopback: that checks the wire-protocol path and the query
 * plans, but its timings are NOT representative of a real PostgreSQL server. Pass `--url` to
 * measure a real one (the schema `bench_<pid>` is created and dropped).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { CatalogStore, ChunkInput } from '../../src/index/index.js';
import { openPostgresCatalog } from '../../src/index/postgres/index.js';
import { startPgliteServer } from '../helpers/pglite-server.js';
import { measureSearch } from './bench/measure-search.js';
import { randomArray, randomUnitVector, seededRandom } from './fixtures.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    dim: { type: 'string', default: '128' },
    'payload-stems': { type: 'string', default: '30' },
    'chunks-per-stem': { type: 'string', default: '10' },
    'search-chunks': { type: 'string', default: '10000' },
    queries: { type: 'string', default: '200' },
  },
});
const DIM = Number(args.dim);
const GRID_TIME = 50;
const NUM_PATCHES = 250;
const HOP_SECONDS = 4;
const CHUNKS_PER_STEM = Number(args['chunks-per-stem']);
const STYLES = 64;
const styleRandom = seededRandom(3);
const styles = Array.from({ length: STYLES }, () => randomUnitVector(styleRandom, DIM));

/** Clustered like real embeddings (stems around shared styles, chunks around their stem), as in catalog-bench. */
function mix(base: Float32Array, random: () => number, noise: number): Float32Array {
  const jitter = randomUnitVector(random, DIM);
  const out = base.map((value, i) => value + noise * jitter[i]);
  const norm = Math.hypot(...out);
  return out.map((value) => value / norm);
}

function chunks(random: () => number, count: number, full: boolean): ChunkInput[] {
  const stemDirection = mix(styles[Math.floor(random() * STYLES)], random, 0.6);
  return Array.from({ length: count }, (_, index) => ({
    index,
    offsetSeconds: index * HOP_SECONDS,
    silent: false,
    vector: mix(stemDirection, random, 0.4),
    timeline: randomArray(random, (full ? GRID_TIME : 1) * DIM),
    patches: randomArray(random, (full ? NUM_PATCHES : 1) * DIM),
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const server = args.url ? null : await startPgliteServer();
const url = args.url ?? server!.url;
const target = args.url ? 'postgres' : 'pglite (WASM, not representative)';

async function withCatalog<T>(schema: string, work: (catalog: CatalogStore) => Promise<T>): Promise<T> {
  const catalog = await openPostgresCatalog({
    connectionString: url,
    schema,
    dim: DIM,
    modelId: 'bench@1',
    replicaId: 'bench',
  });
  try {
    return await work(catalog);
  } finally {
    await catalog.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

async function storageAndIngest(): Promise<void> {
  const random = seededRandom(1);
  const stems = Number(args['payload-stems']);
  await withCatalog(`bench_payload_${process.pid}`, async (catalog) => {
    const start = performance.now();
    for (let stem = 0; stem < stems; stem++) {
      await catalog.upsertStem({
        catalog: 'bench',
        instrument: 'bass',
        metadata: {},
        durationSeconds: CHUNKS_PER_STEM * HOP_SECONDS,
        chunks: chunks(random, CHUNKS_PER_STEM, true),
      });
    }
    const seconds = (performance.now() - start) / 1000;
    await catalog.compact();
    const { storeBytes, chunks: chunkCount } = await catalog.stats();
    console.log(
      JSON.stringify({
        bench: 'ingest+storage',
        target,
        dim: DIM,
        stems,
        chunksPerStem: CHUNKS_PER_STEM,
        msPerUpsert: +((seconds * 1000) / stems).toFixed(1),
        bytesPerChunk: Math.round(storeBytes / chunkCount),
        mbPerAudioHourAtHop4s: +(((storeBytes / chunkCount) * (3600 / HOP_SECONDS)) / 1e6).toFixed(1),
      }),
    );
  });
}

async function searchAtScale(): Promise<void> {
  const random = seededRandom(2);
  const wanted = Number(args['search-chunks']);
  const schema = `bench_search_${process.pid}`;
  await withCatalog(schema, async (catalog) => {
    const vectors: Float32Array[] = [];
    const owners: string[] = [];
    const buildStart = performance.now();
    for (let stem = 0; vectors.length < wanted; stem++) {
      const stemChunks = chunks(random, CHUNKS_PER_STEM, false);
      const record = await catalog.upsertStem({
        catalog: stem % 4 === 0 ? 'small' : 'main',
        instrument: 'bass',
        metadata: {},
        durationSeconds: CHUNKS_PER_STEM * HOP_SECONDS,
        chunks: stemChunks,
      });
      for (const chunk of stemChunks) {
        vectors.push(chunk.vector);
        owners.push(record.id);
      }
    }
    const buildSeconds = (performance.now() - buildStart) / 1000;
    await catalog.compact(); // ANALYZE, so the planner sees the real table sizes

    const queries = Array.from({ length: Number(args.queries) }, () => chunks(random, 1, false)[0].vector);
    const { latencies, filteredLatencies, stemRecallAt10 } = await measureSearch(
      catalog,
      queries,
      vectors,
      owners,
    );
    console.log(
      JSON.stringify({
        bench: 'search',
        target,
        dim: DIM,
        vectors: vectors.length,
        ingestVectorsPerSecond: Math.round(vectors.length / buildSeconds),
        k: 10,
        p50Ms: +percentile(latencies, 0.5).toFixed(2),
        p99Ms: +percentile(latencies, 0.99).toFixed(2),
        catalogFilteredP50Ms: +percentile(filteredLatencies, 0.5).toFixed(2),
        catalogFilteredP99Ms: +percentile(filteredLatencies, 0.99).toFixed(2),
        stemRecallAt10,
        plan: await searchPlan(schema, queries[0]),
      }),
    );
  });
}

/** The plan of the search's candidate query, to confirm it walks the instrument's HNSW index. */
async function searchPlan(schema: string, query: Float32Array): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL hnsw.iterative_scan = relaxed_order');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT c.id, c.stem_pk, c.embedding <=> $1::vector AS distance
       FROM ${schema}.chunks c JOIN ${schema}.stems s ON s.pk = c.stem_pk
       WHERE c.instrument = 'bass' AND c.embedding IS NOT NULL AND s.catalog = $2
       ORDER BY c.embedding <=> $1::vector LIMIT 40`,
      [`[${Array.from(query).join(',')}]`, 'small'],
    );
    await client.query('COMMIT');
    return rows
      .map((row) => row['QUERY PLAN'].trim())
      .filter((line) => /Scan|Join|Loop/.test(line))
      .join(' | ');
  } finally {
    await client.end();
  }
}

try {
  await storageAndIngest();
  await searchAtScale();
} finally {
  await server?.stop();
}
