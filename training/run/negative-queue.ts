import type { TargetKey } from '../data/sampler.js';

export interface NegativeMaskOptions {
  /** Crops of one stem whose starts are closer than this (samples) are near-copies. */
  overlapSamples: number;
  /** Only targets of the query's own instrument count as negatives (retrieval's galleries). */
  sameInstrumentOnly: boolean;
}

/**
 * `[queries.length, candidates.length]` row-major mask, 1 where candidate j must not serve as a
 * negative for query i. Query i's positive is candidate i and is never masked.
 */
export function excludedNegatives(
  queries: readonly TargetKey[],
  candidates: readonly TargetKey[],
  options: NegativeMaskOptions,
): Uint8Array {
  const mask = new Uint8Array(queries.length * candidates.length);
  queries.forEach((query, i) => {
    candidates.forEach((candidate, j) => {
      if (i === j) return;
      const otherInstrument = options.sameInstrumentOnly && candidate.instrumentId !== query.instrumentId;
      const nearCopy =
        candidate.songId === query.songId &&
        candidate.targetStem === query.targetStem &&
        Math.abs(candidate.startSample - query.startSample) < options.overlapSamples;
      if (otherInstrument || nearCopy) mask[i * candidates.length + j] = 1;
    });
  });
  return mask;
}

/**
 * First-in-first-out memory of the pooled target embeddings of recent batches (MoCo's queue).
 * A 2-core CPU trains on batches of 32, which hold only about four targets of any one instrument;
 * the queue gives the contrastive term hundreds of same-instrument negatives for the cost of a
 * matrix product. The rows come from the slowly moving EMA target encoder, so they stay comparable
 * with the current batch's targets for a few hundred examples.
 */
export class NegativeQueue {
  private readonly rows: Float32Array;
  private readonly keys: TargetKey[] = [];
  private next = 0;

  constructor(
    readonly capacity: number,
    readonly dim: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`queue capacity ${capacity}`);
    this.rows = new Float32Array(capacity * dim);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The queued embeddings `[size, dim]`, row i belonging to `entries()[i]`. */
  embeddings(): Float32Array {
    return this.rows.subarray(0, this.size * this.dim);
  }

  entries(): readonly TargetKey[] {
    return this.keys;
  }

  /** Adds a batch's pooled targets `[keys.length, dim]`, overwriting the oldest rows when full. */
  push(embeddings: Float32Array, keys: readonly TargetKey[]): void {
    if (embeddings.length !== keys.length * this.dim) {
      throw new RangeError(`${embeddings.length} values for ${keys.length} rows of ${this.dim}`);
    }
    if (this.capacity === 0) return;
    keys.forEach((key, row) => {
      this.rows.set(embeddings.subarray(row * this.dim, (row + 1) * this.dim), this.next * this.dim);
      this.keys[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    });
  }
}
