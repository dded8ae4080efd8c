import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChunkInput, UpsertStemInput } from '../../src/index/index.js';
import type { Instrument } from '../../src/instruments.js';

/** Small, seeded embeddings for catalog tests: shapes like the real model's, sizes CI can afford. */
export const DIM = 16;
export const GRID_TIME = 5;
export const NUM_PATCHES = 10;

export function randomUnitVector(random: () => number, dim = DIM): Float32Array {
  const vector = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    // Sum of uniforms: roughly Gaussian, so directions spread evenly over the sphere.
    vector[i] = random() + random() + random() - 1.5;
    norm += vector[i] * vector[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) vector[i] *= scale;
  return vector;
}

export function randomArray(random: () => number, length: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = random() * 2 - 1;
  return values;
}

export function randomChunks(
  random: () => number,
  count: number,
  options: { silentEvery?: number } = {},
): ChunkInput[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    offsetSeconds: index * 4,
    silent: options.silentEvery !== undefined && index % options.silentEvery === options.silentEvery - 1,
    vector: randomUnitVector(random),
    timeline: randomArray(random, GRID_TIME * DIM),
    patches: randomArray(random, NUM_PATCHES * DIM),
  }));
}

export function randomStem(
  random: () => number,
  overrides: Partial<UpsertStemInput> & { chunkCount?: number } = {},
): UpsertStemInput {
  const { chunkCount = 3, ...rest } = overrides;
  const instrument: Instrument = rest.instrument ?? 'bass';
  return {
    catalog: 'default',
    externalId: null,
    instrument,
    metadata: { title: `stem ${Math.floor(random() * 1e9)}` },
    durationSeconds: chunkCount * 4 + 4,
    chunks: randomChunks(random, chunkCount),
    ...rest,
  };
}

export function temporaryDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `stemdex-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Exact cosine top-1 over plain arrays: the reference the ANN index must agree with at test scale. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export { seededRandom } from '../../src/random.js';
