import { isInstrument } from '../instruments.js';
import { DimensionMismatchError, InvalidArgumentError, InvalidChunksError } from './errors.js';
import type { SearchOptions, UpsertStemInput } from './types.js';

/**
 * Boundary checks shared by every catalog backend, so all of them refuse the same inputs with the
 * same codes (the shared contract suite checks it).
 */

export const MAX_K = 1000;
export const MAX_PAGE = 1000;

export function validateStem(input: UpsertStemInput, dim: number): void {
  if (!isInstrument(input.instrument))
    throw new InvalidArgumentError(`unknown instrument ${input.instrument}`);
  if (typeof input.catalog !== 'string' || input.catalog.length === 0) {
    throw new InvalidArgumentError('catalog must be a non-empty string');
  }
  if (!Number.isFinite(input.durationSeconds) || input.durationSeconds < 0) {
    throw new InvalidArgumentError('durationSeconds must be a finite non-negative number');
  }
  const seen = new Set<number>();
  for (const chunk of input.chunks) {
    if (!Number.isFinite(chunk.offsetSeconds) || chunk.offsetSeconds < 0) {
      throw new InvalidChunksError(`chunk ${chunk.index} offsetSeconds must be finite and non-negative`);
    }
    if (chunk.vector.length !== dim) {
      throw new DimensionMismatchError(`chunk ${chunk.index} vector`, dim, chunk.vector.length);
    }
    for (const [name, values] of [
      ['timeline', chunk.timeline],
      ['patches', chunk.patches],
    ] as const) {
      if (values.length === 0 || values.length % dim !== 0) {
        throw new DimensionMismatchError(`chunk ${chunk.index} ${name}`, dim, values.length);
      }
    }
    if (!Number.isInteger(chunk.index) || chunk.index < 0 || seen.has(chunk.index)) {
      throw new InvalidChunksError(
        `chunk indexes must be distinct non-negative integers (got ${chunk.index})`,
      );
    }
    seen.add(chunk.index);
    if (!chunk.silent && !isUsableVector(chunk.vector)) {
      throw new InvalidChunksError(`chunk ${chunk.index} is not silent but its vector is zero or not finite`);
    }
  }
}

export function validateQuery(vector: Float32Array, options: SearchOptions, dim: number): void {
  if (vector.length !== dim) throw new DimensionMismatchError('query vector', dim, vector.length);
  if (!isUsableVector(vector)) throw new InvalidArgumentError('query vector must be finite and non-zero');
  if (!Number.isInteger(options.k) || options.k < 1 || options.k > MAX_K) {
    throw new InvalidArgumentError(`k must be an integer in 1..${MAX_K}`);
  }
  if (!isInstrument(options.instrument))
    throw new InvalidArgumentError(`unknown instrument ${options.instrument}`);
}

export function validatePageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new InvalidArgumentError(`limit must be an integer in 1..${MAX_PAGE}`);
  }
}

function isUsableVector(vector: Float32Array): boolean {
  let sumSquares = 0;
  for (const value of vector) {
    if (!Number.isFinite(value)) return false;
    sumSquares += value * value;
  }
  return sumSquares > 0;
}
