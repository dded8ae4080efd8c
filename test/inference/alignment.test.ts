import { describe, expect, it } from 'vitest';
import { bestAlignment } from '../../src/inference/alignment.js';
import { normaliseInPlace } from '../../src/inference/pooling.js';
import { seededRandom } from '../../src/random.js';

/** Centred deterministic values in [-0.5, 0.5). */
function seeded(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random() - 0.5;
}

function randomTimeline(gridTime: number, dim: number, seed: number): Float32Array {
  const random = seeded(seed);
  const timeline = Float32Array.from({ length: gridTime * dim }, random);
  for (let t = 0; t < gridTime; t++) normaliseInPlace(timeline, t * dim, dim);
  return timeline;
}

/** The query timeline that stem column j would produce at mix column j + shift (others random). */
function shifted(
  stem: Float32Array,
  gridTime: number,
  dim: number,
  shift: number,
  seed: number,
): Float32Array {
  const query = randomTimeline(gridTime, dim, seed);
  for (let j = 0; j < gridTime; j++) {
    const target = j + shift;
    if (target >= 0 && target < gridTime) query.set(stem.subarray(j * dim, (j + 1) * dim), target * dim);
  }
  return query;
}

const gridTime = 50;
const dim = 32;

describe('bestAlignment', () => {
  it('scores identical timelines 1 at shift 0', () => {
    const stem = randomTimeline(gridTime, dim, 1);
    const result = bestAlignment(stem, stem, gridTime, dim, 10);
    expect(result.shiftSteps).toBe(0);
    expect(result.shiftSeconds).toBe(0);
    expect(result.score).toBeCloseTo(1, 5);
  });

  it.each([7, -5, 12])('recovers a shift of %i steps and converts it to seconds', (shift) => {
    const stem = randomTimeline(gridTime, dim, 2);
    const query = shifted(stem, gridTime, dim, shift, 3);
    const result = bestAlignment(query, stem, gridTime, dim, 20, { stepSeconds: 0.16 });
    expect(result.shiftSteps).toBe(shift);
    expect(result.shiftSeconds).toBeCloseTo(shift * 0.16, 10);
    expect(result.score).toBeCloseTo(1, 5);
  });

  it('does not look beyond maxShiftSteps', () => {
    const stem = randomTimeline(gridTime, dim, 4);
    const query = shifted(stem, gridTime, dim, 15, 5);
    expect(Math.abs(bestAlignment(query, stem, gridTime, dim, 10).shiftSteps)).toBeLessThanOrEqual(10);
  });

  it('keeps enough overlap to trust a score', () => {
    const stem = randomTimeline(gridTime, dim, 6);
    // Matching only in the last 3 columns would win a tiny-overlap comparison; the default half overlap forbids it.
    const query = shifted(stem, gridTime, dim, 47, 7);
    expect(Math.abs(bestAlignment(query, stem, gridTime, dim, 49).shiftSteps)).toBeLessThanOrEqual(25);
  });

  it('refuses timelines of the wrong size', () => {
    expect(() =>
      bestAlignment(new Float32Array(10), new Float32Array(gridTime * dim), gridTime, dim, 4),
    ).toThrow(RangeError);
  });
});
