/**
 * From one chunk's patch embeddings to what the catalog stores.
 *
 * Patches arrive frequency-row-major: patch (f, t) sits at row `f * gridTime + t` of a
 * [gridFreq * gridTime, dim] matrix. Every patch is L2-normalised first so that loud, high-norm
 * patches do not dominate the means; then
 *   - `vector`   = normalise(mean of all patches): one cosine-comparable point per chunk for the index;
 *   - `timeline` = per time column, normalise(mean over its gridFreq patches): [gridTime, dim]
 *                  time-major, kept to find the offset that best aligns a stem with a mix.
 */

export interface PatchGrid {
  gridFreq: number;
  gridTime: number;
  dim: number;
}

export interface PooledChunk {
  vector: Float32Array;
  timeline: Float32Array;
}

/** Below this norm a vector is treated as zero rather than blown up into noise. */
const MIN_NORM = 1e-12;

/** Scales `values[offset .. offset+dim)` to unit length in place; leaves a zero vector at zero. */
export function normaliseInPlace(values: Float32Array, offset = 0, dim = values.length - offset): void {
  let sumSquares = 0;
  for (let i = offset; i < offset + dim; i++) sumSquares += values[i]! * values[i]!;
  const norm = Math.sqrt(sumSquares);
  if (norm < MIN_NORM) {
    values.fill(0, offset, offset + dim);
    return;
  }
  const scale = 1 / norm;
  for (let i = offset; i < offset + dim; i++) values[i]! *= scale;
}

export function poolPatches(patches: Float32Array, grid: PatchGrid): PooledChunk {
  const { gridFreq, gridTime, dim } = grid;
  const numPatches = gridFreq * gridTime;
  if (patches.length !== numPatches * dim) {
    throw new RangeError(`expected ${numPatches}×${dim} patch values, got ${patches.length}`);
  }
  const unit = Float32Array.from(patches);
  for (let p = 0; p < numPatches; p++) normaliseInPlace(unit, p * dim, dim);

  const timeline = new Float32Array(gridTime * dim);
  for (let f = 0; f < gridFreq; f++) {
    for (let t = 0; t < gridTime; t++) {
      const source = (f * gridTime + t) * dim;
      const target = t * dim;
      for (let d = 0; d < dim; d++) timeline[target + d]! += unit[source + d]!;
    }
  }
  // The chunk mean is the mean of the column sums: every column has the same gridFreq patches.
  const vector = new Float32Array(dim);
  for (let t = 0; t < gridTime; t++) {
    for (let d = 0; d < dim; d++) vector[d]! += timeline[t * dim + d]!;
  }
  for (let t = 0; t < gridTime; t++) normaliseInPlace(timeline, t * dim, dim);
  normaliseInPlace(vector);
  return { vector, timeline };
}
