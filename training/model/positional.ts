import { type ModelConfig, patchGrid } from './config.js';

/**
 * Fixed 2-D sin-cos positional embeddings `[numPatches, dim]` (MAE / I-JEPA style): the first
 * half of the channels encodes the frequency row, the second half the time column. Fixed rather
 * than learned so that a model trained on a short grid has no untrained rows.
 */
export function sinCosPositionalEmbedding(config: ModelConfig): Float32Array {
  const { gridFreq, gridTime, numPatches } = patchGrid(config);
  const { dim } = config;
  const half = dim / 2;
  const out = new Float32Array(numPatches * dim);
  for (let f = 0; f < gridFreq; f++) {
    for (let t = 0; t < gridTime; t++) {
      const row = (f * gridTime + t) * dim;
      writeSinCos(out, row, half, f);
      writeSinCos(out, row + half, half, t);
    }
  }
  return out;
}

function writeSinCos(out: Float32Array, offset: number, width: number, position: number): void {
  const quarter = width / 2;
  for (let i = 0; i < quarter; i++) {
    const angle = position / 10_000 ** (i / quarter);
    out[offset + i] = Math.sin(angle);
    out[offset + quarter + i] = Math.cos(angle);
  }
}
