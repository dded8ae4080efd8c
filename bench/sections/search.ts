import { performance } from 'node:perf_hooks';
import { AnnIndex, DEFAULT_BUILD_PARAMS, DEFAULT_EF_SEARCH } from '../../src/index/ann-index.js';
import { type Cell, percentile, round, type Table } from '../report.js';
import { seededRandom } from './timing.js';

const K = 10;
const QUERIES = 1000;
/** Exact search over the whole set per query is the slow part of measuring recall: a sample suffices. */
const RECALL_QUERIES = 100;
export const CLUSTERS = 256;

export function unitVector(random: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  // Box-Muller: isotropic directions.
  for (let i = 0; i < dim; i++) {
    v[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return normalise(v);
}

function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return v;
}

/**
 * Clustered unit vectors (points around shared centroids, like chunks of stems in a style): HNSW's
 * realistic case; i.i.d. random directions would be its worst case and nothing like embeddings.
 */
export function makeVectors(
  count: number,
  dim: number,
  seed: number,
  centroids: Float32Array[],
): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dim);
  for (let n = 0; n < count; n++) {
    const centroid = centroids[Math.floor(random() * centroids.length)] as Float32Array;
    const jitter = unitVector(random, dim);
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = (centroid[i] ?? 0) + 0.7 * (jitter[i] ?? 0);
    data.set(normalise(v), n * dim);
  }
  return data;
}

/** Exact top-k labels by cosine similarity (vectors are unit length: dot product). */
function exactTopK(data: Float32Array, dim: number, query: Float32Array, k: number): number[] {
  const count = data.length / dim;
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestLabel = new Int32Array(k).fill(-1);
  for (let n = 0; n < count; n++) {
    let dot = 0;
    const base = n * dim;
    for (let i = 0; i < dim; i++) dot += (data[base + i] as number) * (query[i] as number);
    if (dot <= (bestScore[k - 1] as number)) continue;
    let slot = k - 1;
    while (slot > 0 && dot > (bestScore[slot - 1] as number)) {
      bestScore[slot] = bestScore[slot - 1] as number;
      bestLabel[slot] = bestLabel[slot - 1] as number;
      slot--;
    }
    bestScore[slot] = dot;
    bestLabel[slot] = n;
  }
  return Array.from(bestLabel);
}

function rssMb(): number {
  return process.memoryUsage().rss / 1e6;
}

async function measureScale(count: number, dim: number, log: (line: string) => void): Promise<Cell[]> {
  const centroidRandom = seededRandom(11);
  const centroids = Array.from({ length: CLUSTERS }, () => unitVector(centroidRandom, dim));
  const data = makeVectors(count, dim, count, centroids);
  const queries = Array.from({ length: QUERIES }, (_, q) =>
    makeVectors(1, dim, 1_000_000_007 + q, centroids),
  );

  globalThis.gc?.();
  const rssBefore = rssMb();
  const index = AnnIndex.create(dim, count, DEFAULT_BUILD_PARAMS);
  const buildStart = performance.now();
  for (let n = 0; n < count; n++) {
    index.add(n, data.subarray(n * dim, (n + 1) * dim));
    if (n > 0 && n % 100_000 === 0) log(`search: ${n} / ${count} vectors inserted`);
  }
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const indexMb = rssMb() - rssBefore;
  index.efSearch = DEFAULT_EF_SEARCH;

  const latencies: number[] = [];
  let hits = 0;
  let exactMs = 0;
  for (const [q, query] of queries.entries()) {
    const start = performance.now();
    const found = index.search(query, K);
    latencies.push(performance.now() - start);
    if (q < RECALL_QUERIES) {
      const exactStart = performance.now();
      const exact = new Set(exactTopK(data, dim, query, K));
      exactMs += performance.now() - exactStart;
      hits += found.filter((match) => exact.has(match.label)).length;
    }
  }
  latencies.sort((a, b) => a - b);
  return [
    count.toLocaleString('en-US'),
    dim,
    round(buildSeconds, 1),
    round(count / buildSeconds, 0),
    round(indexMb, 0),
    round(percentile(latencies, 0.5), 3),
    round(percentile(latencies, 0.99), 3),
    round(hits / (RECALL_QUERIES * K), 4),
    round(exactMs / RECALL_QUERIES, 2),
  ];
}

export async function searchSection(options: {
  dim: number;
  full: boolean;
  log: (line: string) => void;
}): Promise<Table[]> {
  const scales = options.full ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
  const rows: Cell[][] = [];
  for (const count of scales) {
    options.log(`search: ${count} vectors`);
    rows.push(await measureScale(count, options.dim, options.log));
  }
  return [
    {
      title: 'Vector search: HNSW (hnswlib-node) vs exact brute force',
      columns: [
        'vectors',
        'dim',
        'build s',
        'inserts/s',
        'index RSS MB',
        'HNSW p50 ms',
        'HNSW p99 ms',
        'recall@10',
        'brute force ms/query',
      ],
      rows,
      notes: [
        `The service's index class (AnnIndex) with its defaults: M=${DEFAULT_BUILD_PARAMS.m}, efConstruction=${DEFAULT_BUILD_PARAMS.efConstruction}, efSearch=${DEFAULT_EF_SEARCH}, cosine space, single thread, inserted one by one.`,
        `Data: seeded unit vectors around ${CLUSTERS} centroids (noise 0.7); ${QUERIES} fresh queries from the same distribution for latency; recall@${K} against exact top-${K} (JS dot-product scan, the alternative without an index) on the first ${RECALL_QUERIES}.`,
        '"index RSS MB": growth of the process resident set while building (graph + vector copies).',
        options.full
          ? '1M vectors included (--full).'
          : '1M vectors is opt-in (`npm run bench -- --only search --full`): building it takes tens of minutes on 2 cores.',
      ],
    },
  ];
}
