/**
 * Retrieval metrics for the missing-stem protocol: every query is ranked against a gallery of
 * L2-normalised embeddings by cosine similarity, and scored by the rank of its ground truth.
 */

/** Metrics over a set of queries; `median_normalized_rank` is rank / gallery size (1 = last). */
export interface RetrievalMetrics {
  queries: number;
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  median_normalized_rank: number;
  mean_normalized_rank: number;
}

/** One ranked query: 1-based rank of its ground truth among `gallerySize` candidates. */
export interface RankedQuery {
  rank: number;
  gallerySize: number;
}

export class EmptyQuerySetError extends Error {
  readonly code = 'EVAL_EMPTY_QUERY_SET';
  constructor(what: string) {
    super(`no queries to score for ${what}`);
  }
}

/**
 * 1-based rank of `scores[truth]`. Ties count against the query, so a degenerate model that
 * scores every candidate equally ranks its ground truth last instead of first.
 */
export function rankOfTruth(scores: ArrayLike<number>, truth: number): number {
  const target = scores[truth];
  let rank = 1;
  for (let j = 0; j < scores.length; j++) {
    if (j !== truth && scores[j] >= target) rank++;
  }
  return rank;
}

export function normalizedRank(query: RankedQuery): number {
  return query.rank / query.gallerySize;
}

export function recallAtK(ranked: readonly RankedQuery[], k: number): number {
  if (ranked.length === 0) return Number.NaN;
  let hits = 0;
  for (const query of ranked) if (query.rank <= k) hits++;
  return hits / ranked.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarizeRanks(ranked: readonly RankedQuery[], what = 'metrics'): RetrievalMetrics {
  if (ranked.length === 0) throw new EmptyQuerySetError(what);
  const normalized = ranked.map(normalizedRank);
  return {
    queries: ranked.length,
    recall_at_1: recallAtK(ranked, 1),
    recall_at_5: recallAtK(ranked, 5),
    recall_at_10: recallAtK(ranked, 10),
    median_normalized_rank: median(normalized),
    mean_normalized_rank: normalized.reduce((sum, value) => sum + value, 0) / normalized.length,
  };
}

/** Dot products of one vector with each row of a row-major matrix (cosine when all are unit length). */
export function dotWithRows(vector: Float32Array, rows: Float32Array, dim: number): Float64Array {
  const count = rows.length / dim;
  const scores = new Float64Array(count);
  for (let row = 0; row < count; row++) {
    const offset = row * dim;
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += vector[d] * rows[offset + d];
    scores[row] = sum;
  }
  return scores;
}

/** In-place L2 normalisation; a zero vector stays zero rather than becoming NaN. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let d = 0; d < vector.length; d++) norm += vector[d] * vector[d];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let d = 0; d < vector.length; d++) vector[d] /= norm;
  return vector;
}

/**
 * A per-instrument gallery of unit-length vectors. Queries name their ground truth by the key
 * it was added under, so the embedding caches and the ranking never depend on insertion order.
 */
export class Gallery {
  private readonly rows: Float32Array[] = [];
  private readonly index = new Map<string, number>();
  private packed: Float32Array | null = null;

  constructor(readonly dim: number) {}

  get size(): number {
    return this.rows.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  add(key: string, vector: Float32Array): void {
    if (vector.length !== this.dim) throw new Error(`gallery expects dim ${this.dim}, got ${vector.length}`);
    if (this.index.has(key)) throw new Error(`duplicate gallery key ${key}`);
    this.index.set(key, this.rows.length);
    this.rows.push(Float32Array.from(vector));
    this.packed = null;
  }

  /** Rank of the item stored under `truthKey` for a unit-length query. */
  rank(query: Float32Array, truthKey: string): RankedQuery {
    const truth = this.index.get(truthKey);
    if (truth === undefined) throw new Error(`ground truth ${truthKey} is not in the gallery`);
    const scores = dotWithRows(query, this.matrix(), this.dim);
    return { rank: rankOfTruth(scores, truth), gallerySize: this.rows.length };
  }

  private matrix(): Float32Array {
    if (this.packed === null) {
      const packed = new Float32Array(this.rows.length * this.dim);
      this.rows.forEach((row, i) => {
        packed.set(row, i * this.dim);
      });
      this.packed = packed;
    }
    return this.packed;
  }
}
