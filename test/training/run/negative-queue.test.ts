import { describe, expect, it } from 'vitest';
import type { TargetKey } from '../../../training/data/sampler.js';
import { excludedNegatives, NegativeQueue } from '../../../training/run/negative-queue.js';

const key = (songId: string, startSample: number, instrumentId = 0, targetStem = 'bass'): TargetKey => ({
  songId,
  targetStem,
  startSample,
  instrumentId,
});

describe('excludedNegatives', () => {
  const queries = [key('a', 0), key('b', 0, 1, 'drums')];
  const candidates = [
    ...queries,
    key('a', 1000),
    key('a', 90_000),
    key('c', 0, 1, 'drums'),
    key('a', 0, 0, 'keys'),
  ];

  it('masks overlapping crops of the same stem and never the positive', () => {
    const mask = excludedNegatives(queries, candidates, {
      overlapSamples: 64_000,
      sameInstrumentOnly: false,
    });
    expect([...mask.subarray(0, 6)]).toEqual([0, 0, 1, 0, 0, 0]);
    expect([...mask.subarray(6, 12)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('masks other instruments when only same-instrument negatives count', () => {
    const mask = excludedNegatives(queries, candidates, { overlapSamples: 64_000, sameInstrumentOnly: true });
    expect([...mask.subarray(0, 6)]).toEqual([0, 1, 1, 0, 1, 0]);
    expect([...mask.subarray(6, 12)]).toEqual([1, 0, 1, 1, 0, 1]);
  });
});

describe('NegativeQueue', () => {
  it('keeps the newest rows up to its capacity, each with its key', () => {
    const queue = new NegativeQueue(3, 2);
    expect(queue.size).toBe(0);
    expect(queue.embeddings()).toHaveLength(0);
    queue.push(Float32Array.of(1, 1, 2, 2), [key('a', 1), key('a', 2)]);
    queue.push(Float32Array.of(3, 3, 4, 4), [key('a', 3), key('a', 4)]);
    expect(queue.size).toBe(3);
    const rows = queue.embeddings();
    const starts = queue.entries().map((entry) => entry.startSample);
    expect(starts.sort()).toEqual([2, 3, 4]);
    queue.entries().forEach((entry, row) => {
      expect(rows[row * 2]).toBe(entry.startSample);
      expect(rows[row * 2 + 1]).toBe(entry.startSample);
    });
  });

  it('refuses rows of the wrong width; capacity 0 keeps nothing', () => {
    expect(() => new NegativeQueue(2, 2).push(Float32Array.of(1, 2, 3), [key('a', 0)])).toThrow(RangeError);
    const empty = new NegativeQueue(0, 2);
    empty.push(Float32Array.of(1, 2), [key('a', 0)]);
    expect(empty.size).toBe(0);
  });
});
