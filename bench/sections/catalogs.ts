import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CatalogStore, ChunkInput } from '../../src/index/index.js';
import { openLocalCatalog } from '../../src/index/index.js';
import { openPostgresCatalog } from '../../src/index/postgres/index.js';
import { startPgliteServer } from '../../test/helpers/pglite-server.js';
import { type Cell, percentile, round, type Table } from '../report.js';
import { CLUSTERS, makeVectors, unitVector } from './search.js';
import { seededRandom } from './timing.js';

const CHUNKS_PER_STEM = 10;
const QUERIES = 200;
const K = 10;

interface Backend {
  name: string;
  open: () => Promise<{ catalog: CatalogStore; close: () => Promise<void> }>;
}

/** Exact stem ranking: each stem scores its best chunk (what the catalog's search returns). */
function exactStems(data: Float32Array, dim: number, query: Float32Array): Set<number> {
  const stems = data.length / dim / CHUNKS_PER_STEM;
  const best = new Float64Array(stems).fill(-Infinity);
  for (let n = 0; n < data.length / dim; n++) {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += (data[n * dim + i] as number) * (query[i] as number);
    const stem = Math.floor(n / CHUNKS_PER_STEM);
    if (dot > (best[stem] as number)) best[stem] = dot;
  }
  return new Set([...best.keys()].sort((a, b) => (best[b] as number) - (best[a] as number)).slice(0, K));
}

async function measure(
  backend: Backend,
  data: Float32Array,
  dim: number,
  queries: Float32Array[],
): Promise<Cell[]> {
  const { catalog, close } = await backend.open();
  try {
    const stemIndex = new Map<string, number>();
    const stems = data.length / dim / CHUNKS_PER_STEM;
    const start = performance.now();
    for (let stem = 0; stem < stems; stem++) {
      const chunks: ChunkInput[] = Array.from({ length: CHUNKS_PER_STEM }, (_, index) => {
        const row = stem * CHUNKS_PER_STEM + index;
        return {
          index,
          offsetSeconds: index * 4,
          silent: false,
          vector: data.slice(row * dim, (row + 1) * dim),
          timeline: new Float32Array(dim),
          patches: new Float32Array(dim),
        };
      });
      const record = await catalog.upsertStem({
        catalog: 'bench',
        instrument: 'bass',
        metadata: {},
        durationSeconds: CHUNKS_PER_STEM * 4,
        chunks,
      });
      stemIndex.set(record.id, stem);
    }
    const insertSeconds = (performance.now() - start) / 1000;
    await catalog.compact();
    const latencies: number[] = [];
    let hits = 0;
    for (const query of queries) {
      const t = performance.now();
      const results = await catalog.search(query, { k: K, instrument: 'bass' });
      latencies.push(performance.now() - t);
      const exact = exactStems(data, dim, query);
      hits += results.filter((hit) => exact.has(stemIndex.get(hit.stem.id) ?? -1)).length;
    }
    latencies.sort((a, b) => a - b);
    return [
      backend.name,
      data.length / dim,
      round(insertSeconds, 1),
      round(percentile(latencies, 0.5), 2),
      round(percentile(latencies, 0.99), 2),
      round(hits / (queries.length * K), 4),
    ];
  } finally {
    await close();
  }
}

/** The same vectors and queries through both catalog backends' public search (stem-level results). */
export async function catalogSection(options: { dim: number; vectors: number; log: (line: string) => void }) {
  const { dim } = options;
  const centroidRandom = seededRandom(11);
  const centroids = Array.from({ length: CLUSTERS }, () => unitVector(centroidRandom, dim));
  const data = makeVectors(options.vectors, dim, 77, centroids);
  const queries = Array.from({ length: QUERIES }, (_, q) =>
    makeVectors(1, dim, 2_000_000_011 + q, centroids),
  );
  const backends: Backend[] = [
    {
      name: 'local: SQLite + hnswlib',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'stemdex-bench-catalog-'));
        const catalog = await openLocalCatalog({ dataDir: dir, dim, modelId: 'bench@1' });
        return {
          catalog,
          close: async () => {
            await catalog.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 'postgres + pgvector (PGlite, WASM)',
      open: async () => {
        const server = await startPgliteServer();
        const catalog = await openPostgresCatalog({
          connectionString: server.url,
          schema: 'bench',
          dim,
          modelId: 'bench@1',
          replicaId: 'bench',
        });
        return {
          catalog,
          close: async () => {
            await catalog.close();
            await server.stop();
          },
        };
      },
    },
  ];
  const rows: Cell[][] = [];
  for (const backend of backends) {
    options.log(`catalogs: ${backend.name}, ${options.vectors} vectors`);
    rows.push(await measure(backend, data, dim, queries));
  }
  const table: Table = {
    title: 'Catalog search: local (SQLite + hnswlib) vs PostgreSQL + pgvector',
    columns: ['backend', 'vectors', 'insert s', 'search p50 ms', 'search p99 ms', 'stem recall@10'],
    rows,
    notes: [
      `Same ${options.vectors} clustered vectors (stems of ${CHUNKS_PER_STEM} chunks, minimal payloads) and ${QUERIES} queries through each backend's CatalogStore.search (k=${K}, one instrument); recall against the exact best-chunk-per-stem ranking.`,
      'pgvector runs in PGlite: PostgreSQL compiled to WebAssembly, one single-threaded backend, in memory, over the wire protocol on loopback. Its timings are NOT representative of a PostgreSQL server; they show the code path works and give its recall. Measure a real server with `npx tsx test/index/postgres-bench.ts --url postgres://…`.',
    ],
  };
  return [table];
}
