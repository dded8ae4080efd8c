import type { CatalogStore } from '../../../src/index/index.js';
import { cosine } from '../fixtures.js';

export interface SearchMeasurements {
  /** Sorted per-query latencies in ms, unfiltered and filtered to the `small` catalog. */
  latencies: number[];
  filteredLatencies: number[];
  /** Stem-level recall@10 against an exact best-chunk-per-stem ranking, over the first 50 queries. */
  stemRecallAt10: number;
}

const RECALL_QUERIES = 50;

/** Times `catalog.search` for each query (with and without a catalog filter) and measures recall. */
export async function measureSearch(
  catalog: CatalogStore,
  queries: readonly Float32Array[],
  vectors: readonly Float32Array[],
  owners: readonly string[],
): Promise<SearchMeasurements> {
  const latencies: number[] = [];
  const filteredLatencies: number[] = [];
  let recallHits = 0;
  for (const [q, query] of queries.entries()) {
    let start = performance.now();
    const hits = await catalog.search(query, { k: 10, instrument: 'bass' });
    latencies.push(performance.now() - start);
    start = performance.now();
    await catalog.search(query, { k: 10, instrument: 'bass', catalog: 'small' });
    filteredLatencies.push(performance.now() - start);
    if (q < RECALL_QUERIES) {
      const exact = exactTopStems(query, vectors, owners, 10);
      recallHits += hits.filter((hit) => exact.has(hit.stem.id)).length;
    }
  }
  latencies.sort((a, b) => a - b);
  filteredLatencies.sort((a, b) => a - b);
  const stemRecallAt10 = +(recallHits / (Math.min(RECALL_QUERIES, queries.length) * 10)).toFixed(4);
  return { latencies, filteredLatencies, stemRecallAt10 };
}

/** The k stems whose best chunk is most similar to the query, by exhaustive cosine. */
function exactTopStems(
  query: Float32Array,
  vectors: readonly Float32Array[],
  owners: readonly string[],
  k: number,
): Set<string> {
  const bestByStem = new Map<string, number>();
  vectors.forEach((vector, i) => {
    const score = cosine(query, vector);
    if (score > (bestByStem.get(owners[i]) ?? -2)) bestByStem.set(owners[i], score);
  });
  return new Set(
    [...bestByStem.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([id]) => id),
  );
}
