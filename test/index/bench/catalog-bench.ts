/**
 * Catalog benchmark: ingest throughput, on-disk bytes per audio hour, search latency and
 * recall against exact search, open time from a snapshot versus a rebuild.
 *
 *   npx tsx test/index/bench/catalog-bench.ts [--dim 128] [--payload-stems 100] [--search-chunks 50000]
 *
 * Two catalogs: one with full-size payloads (timeline 50 × dim float32, patches 250 × dim
 * float16) to measure storage and ingest, one with minimal payloads to reach a large vector count
 * quickly (ANN latency does not depend on payload size).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type CatalogStore, type ChunkInput, openLocalCatalog } from '../../../src/index/index.js';
import { INSTRUMENTS } from '../../../src/instruments.js';
import { randomArray, randomUnitVector, seededRandom, temporaryDir } from '../fixtures.js';
import { measureSearch } from './measure-search.js';

const { values: args } = parseArgs({
  options: {
    dim: { type: 'string', default: '128' },
    'payload-stems': { type: 'string', default: '100' },
    'chunks-per-stem': { type: 'string', default: '10' },
    'search-chunks': { type: 'string', default: '50000' },
    queries: { type: 'string', default: '500' },
    /** `clustered`: stems around shared style centroids, chunks around their stem (like real
     * embeddings, low intrinsic dimension); `random`: i.i.d. directions, HNSW's worst case. */
    data: { type: 'string', default: 'clustered' },
    'ef-search': { type: 'string', default: '128' },
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
    vector: args.data === 'random' ? randomUnitVector(random, DIM) : mix(stemDirection, random, 0.4),
    timeline: randomArray(random, (full ? GRID_TIME : 1) * DIM),
    patches: randomArray(random, (full ? NUM_PATCHES : 1) * DIM),
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function storageAndIngest(): Promise<void> {
  const dir = temporaryDir('bench-payload');
  const random = seededRandom(1);
  const catalog = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'bench@1' });
  const stems = Number(args['payload-stems']);
  const inputs = Array.from({ length: stems }, () => chunks(random, CHUNKS_PER_STEM, true));
  const start = performance.now();
  for (const stemChunks of inputs) {
    await catalog.upsertStem({
      catalog: 'bench',
      instrument: 'bass',
      metadata: {},
      durationSeconds: CHUNKS_PER_STEM * HOP_SECONDS,
      chunks: stemChunks,
    });
  }
  const seconds = (performance.now() - start) / 1000;
  await catalog.compact(); // checkpoints the WAL so the file size is the data's size
  const { storeBytes, chunks: chunkCount } = await catalog.stats();
  const bytesPerChunk = storeBytes / chunkCount;
  const chunksPerHour = 3600 / HOP_SECONDS;
  console.log(
    JSON.stringify({
      bench: 'ingest+storage',
      dim: DIM,
      stems,
      chunksPerStem: CHUNKS_PER_STEM,
      upsertsPerSecond: Math.round(stems / seconds),
      msPerUpsert: +((seconds * 1000) / stems).toFixed(2),
      bytesPerChunk: Math.round(bytesPerChunk),
      rawBytesPerChunk: DIM * 4 + GRID_TIME * DIM * 4 + NUM_PATCHES * DIM * 2,
      mbPerAudioHourAtHop4s: +((bytesPerChunk * chunksPerHour) / 1e6).toFixed(1),
    }),
  );
  await catalog.close();
  dir.remove();
}

async function timeOpen(dataDir: string): Promise<{ catalog: CatalogStore; ms: number }> {
  const start = performance.now();
  const catalog = await openLocalCatalog({
    dataDir,
    dim: DIM,
    modelId: 'bench@1',
    ann: { efSearch: Number(args['ef-search']) },
  });
  return { catalog, ms: Math.round(performance.now() - start) };
}

async function searchAtScale(): Promise<void> {
  const dir = temporaryDir('bench-search');
  const random = seededRandom(2);
  const target = Number(args['search-chunks']);
  const ann = { efSearch: Number(args['ef-search']) };
  let catalog = await openLocalCatalog({ dataDir: dir.path, dim: DIM, modelId: 'bench@1', ann });
  const vectors: Float32Array[] = [];
  const owners: string[] = [];
  const buildStart = performance.now();
  for (let stem = 0; vectors.length < target; stem++) {
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

  // Queries like the data: a fresh chunk of a fresh stem (in-distribution, not a stored vector).
  const queries = Array.from({ length: Number(args.queries) }, () => chunks(random, 1, false)[0].vector);
  const { latencies, filteredLatencies, stemRecallAt10 } = await measureSearch(
    catalog,
    queries,
    vectors,
    owners,
  );

  await catalog.close(); // writes the snapshot
  const fromSnapshot = await timeOpen(dir.path);
  await fromSnapshot.catalog.close();
  const { rmSync } = await import('node:fs');
  rmSync(`${dir.path}/index`, { recursive: true, force: true });
  const rebuilt = await timeOpen(dir.path);
  catalog = rebuilt.catalog;
  await catalog.close();

  console.log(
    JSON.stringify({
      bench: 'search',
      data: args.data,
      efSearch: Number(args['ef-search']),
      dim: DIM,
      vectors: vectors.length,
      instruments: INSTRUMENTS.length,
      ingestVectorsPerSecond: Math.round(vectors.length / buildSeconds),
      k: 10,
      p50Ms: +percentile(latencies, 0.5).toFixed(3),
      p99Ms: +percentile(latencies, 0.99).toFixed(3),
      catalogFilteredP50Ms: +percentile(filteredLatencies, 0.5).toFixed(3),
      catalogFilteredP99Ms: +percentile(filteredLatencies, 0.99).toFixed(3),
      stemRecallAt10,
      openFromSnapshotMs: fromSnapshot.ms,
      openWithRebuildMs: rebuilt.ms,
    }),
  );
  dir.remove();
}

await storageAndIngest();
await searchAtScale();
