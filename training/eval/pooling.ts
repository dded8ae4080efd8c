/**
 * Turning a chunk's patch embeddings `[numPatches, D]` (frequency-row-major) into vectors.
 * Same convention as the service: each patch is L2-normalised before averaging, so patch norms
 * (which grow with loudness) do not decide which patches dominate.
 */
import { l2Normalize } from './retrieval.js';

export interface PatchLayout {
  gridFreq: number;
  gridTime: number;
  dim: number;
}

/** Patch-mean of unit-length patches, L2-normalised: one unit vector per chunk. */
export function poolChunk(patches: Float32Array, layout: PatchLayout): Float32Array {
  const { dim } = layout;
  const pooled = new Float32Array(dim);
  const count = layout.gridFreq * layout.gridTime;
  for (let patch = 0; patch < count; patch++) accumulateUnit(pooled, patches, patch * dim, dim);
  return l2Normalize(pooled);
}

/**
 * Averages the unit-length patches of each time column over frequency: `[gridTime, D]` with
 * every row unit length, the chunk as a sequence of `gridTime` steps.
 */
export function timeSequence(patches: Float32Array, layout: PatchLayout): Float32Array {
  const { gridFreq, gridTime, dim } = layout;
  const sequence = new Float32Array(gridTime * dim);
  for (let t = 0; t < gridTime; t++) {
    const step = sequence.subarray(t * dim, (t + 1) * dim);
    for (let f = 0; f < gridFreq; f++) accumulateUnit(step, patches, (f * gridTime + t) * dim, dim);
    l2Normalize(step);
  }
  return sequence;
}

function accumulateUnit(into: Float32Array, source: Float32Array, offset: number, dim: number): void {
  let norm = 0;
  for (let d = 0; d < dim; d++) norm += source[offset + d] * source[offset + d];
  if (norm === 0) return;
  const scale = 1 / Math.sqrt(norm);
  for (let d = 0; d < dim; d++) into[d] += source[offset + d] * scale;
}
