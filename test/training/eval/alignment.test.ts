import { describe, expect, it } from 'vitest';
import { type PatchGrid, poolPatches } from '../../../src/inference/pooling.js';
import { seededRandom } from '../../../src/random.js';
import { AlignmentAccumulator } from '../../../training/eval/alignment.js';

const layout: PatchGrid = { gridFreq: 5, gridTime: 50, dim: 16 };

function randomPatches(random: () => number): Float32Array {
  return Float32Array.from({ length: layout.gridFreq * layout.gridTime * layout.dim }, () => random() - 0.5);
}

/** Patches whose time column t is the source's column t + shift (wrapping around). */
function shiftColumns(source: Float32Array, shift: number): Float32Array {
  const { gridFreq, gridTime, dim } = layout;
  const out = new Float32Array(source.length);
  for (let f = 0; f < gridFreq; f++) {
    for (let t = 0; t < gridTime; t++) {
      const from = (f * gridTime + ((t + shift + gridTime) % gridTime)) * dim;
      out.set(source.subarray(from, from + dim), (f * gridTime + t) * dim);
    }
  }
  return out;
}

function noisy(source: Float32Array, random: () => number, amount: number): Float32Array {
  return source.map((value) => value + amount * (random() - 0.5));
}

const timeline = (patches: Float32Array) => poolPatches(patches, layout).timeline;

describe('AlignmentAccumulator', () => {
  it('peaks at zero shift when predictions are noisy copies of their targets', () => {
    const random = seededRandom(7);
    const accumulator = new AlignmentAccumulator(layout, 25, 0.16);
    for (let pair = 0; pair < 20; pair++) {
      const target = randomPatches(random);
      accumulator.add(timeline(noisy(target, random, 0.8)), timeline(target));
    }
    const curve = accumulator.curve();
    expect(curve.pairs).toBe(20);
    expect(curve.shiftSteps).toHaveLength(51);
    expect(curve.shiftSeconds[0]).toBeCloseTo(-4);
    expect(curve.shiftSeconds[50]).toBeCloseTo(4);
    expect(curve.peakShiftSeconds).toBe(0);
    const atZero = curve.meanCosine[25];
    const elsewhere = Math.max(...curve.meanCosine.filter((_, i) => i !== 25));
    expect(atZero).toBeGreaterThan(elsewhere + 0.2);
  });

  it('finds the lag of a prediction that runs ahead of its target', () => {
    const random = seededRandom(11);
    const accumulator = new AlignmentAccumulator(layout, 25, 0.16);
    for (let pair = 0; pair < 10; pair++) {
      const target = randomPatches(random);
      // Prediction step t holds target step t + 3, so it matches the target shifted by +3 steps.
      accumulator.add(timeline(shiftColumns(target, 3)), timeline(target));
    }
    expect(accumulator.curve().peakShiftSeconds).toBeCloseTo(0.48);
  });

  it('refuses a shift range that leaves no overlap', () => {
    expect(() => new AlignmentAccumulator(layout, 50, 0.16)).toThrow(RangeError);
  });
});
