import { describe, expect, it } from 'vitest';
import { normaliseInPlace, poolPatches } from '../../src/inference/pooling.js';
import { seededRandom } from '../../src/random.js';

/** Centred deterministic values in [-0.5, 0.5). */
function seeded(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random() - 0.5;
}

function norm(values: Float32Array, offset = 0, dim = values.length): number {
  let sum = 0;
  for (let i = offset; i < offset + dim; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

const grid = { gridFreq: 3, gridTime: 4, dim: 5 };

describe('poolPatches', () => {
  it('gives a unit vector and unit timeline columns', () => {
    const random = seeded(1);
    const patches = Float32Array.from({ length: 3 * 4 * 5 }, random);
    const { vector, timeline } = poolPatches(patches, grid);
    expect(vector).toHaveLength(5);
    expect(timeline).toHaveLength(4 * 5);
    expect(norm(vector)).toBeCloseTo(1, 5);
    for (let t = 0; t < 4; t++) expect(norm(timeline, t * 5, 5)).toBeCloseTo(1, 5);
  });

  it('weighs every patch equally, whatever its norm', () => {
    const random = seeded(2);
    const patches = Float32Array.from({ length: 3 * 4 * 5 }, random);
    const louder = Float32Array.from(patches);
    // Scale patch (f=1, t=2) by 1000: direction unchanged, so pooling must not change.
    const row = (1 * 4 + 2) * 5;
    for (let d = 0; d < 5; d++) louder[row + d]! *= 1000;
    const a = poolPatches(patches, grid);
    const b = poolPatches(louder, grid);
    for (let d = 0; d < 5; d++) expect(b.vector[d]).toBeCloseTo(a.vector[d]!, 5);
  });

  it('reads patches frequency-row-major: a column is the patches sharing a time index', () => {
    // Every patch of time column t points along axis t (dim = gridTime + 1 so axes are distinct).
    const g = { gridFreq: 2, gridTime: 3, dim: 4 };
    const patches = new Float32Array(2 * 3 * 4);
    for (let f = 0; f < 2; f++) for (let t = 0; t < 3; t++) patches[(f * 3 + t) * 4 + t] = f + 1;
    const { timeline, vector } = poolPatches(patches, g);
    for (let t = 0; t < 3; t++) {
      const column = Array.from(timeline.subarray(t * 4, t * 4 + 4));
      expect(column).toEqual([0, 1, 2].map((axis) => (axis === t ? 1 : 0)).concat(0));
    }
    const third = 1 / Math.sqrt(3);
    expect(Array.from(vector).map((v) => Number(v.toFixed(6)))).toEqual(
      [third, third, third, 0].map((v) => Number(v.toFixed(6))),
    );
  });

  it('leaves all-zero input at zero instead of dividing by zero', () => {
    const { vector, timeline } = poolPatches(new Float32Array(3 * 4 * 5), grid);
    expect(vector.every((v) => v === 0)).toBe(true);
    expect(timeline.every((v) => v === 0)).toBe(true);
  });

  it('refuses a buffer that does not match the grid', () => {
    expect(() => poolPatches(new Float32Array(7), grid)).toThrow(RangeError);
  });
});

describe('normaliseInPlace', () => {
  it('normalises only the given slice', () => {
    const values = Float32Array.from([3, 4, 3, 4]);
    normaliseInPlace(values, 2, 2);
    expect(Array.from(values)).toEqual([3, 4, Math.fround(0.6), Math.fround(0.8)]);
  });
});
