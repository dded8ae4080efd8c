import { describe, expect, it } from 'vitest';
import {
  EmptyQuerySetError,
  Gallery,
  median,
  rankOfTruth,
  recallAtK,
  summarizeRanks,
} from '../../../training/eval/retrieval.js';

describe('rankOfTruth', () => {
  it('counts the candidates scored above the ground truth', () => {
    expect(rankOfTruth([0.9, 0.1, 0.5, 0.3], 0)).toBe(1);
    expect(rankOfTruth([0.9, 0.1, 0.5, 0.3], 2)).toBe(2);
    expect(rankOfTruth([0.9, 0.1, 0.5, 0.3], 1)).toBe(4);
  });

  it('ranks ties against the query so constant scores rank last', () => {
    expect(rankOfTruth([0.2, 0.2, 0.2, 0.2], 0)).toBe(4);
    expect(rankOfTruth([0.2, 0.7, 0.2], 2)).toBe(3);
  });
});

describe('retrieval metrics', () => {
  const ranked = [1, 3, 7, 12, 50].map((rank) => ({ rank, gallerySize: 100 }));

  it('computes recall@k as the share of ranks within k', () => {
    expect(recallAtK(ranked, 1)).toBeCloseTo(0.2);
    expect(recallAtK(ranked, 5)).toBeCloseTo(0.4);
    expect(recallAtK(ranked, 10)).toBeCloseTo(0.6);
  });

  it('takes the median of rank / gallery size', () => {
    const metrics = summarizeRanks(ranked);
    expect(metrics.queries).toBe(5);
    expect(metrics.median_normalized_rank).toBeCloseTo(0.07);
    expect(metrics.mean_normalized_rank).toBeCloseTo((1 + 3 + 7 + 12 + 50) / 500);
  });

  it('normalises each query by its own gallery', () => {
    const metrics = summarizeRanks([
      { rank: 10, gallerySize: 100 },
      { rank: 10, gallerySize: 1000 },
    ]);
    expect(metrics.median_normalized_rank).toBeCloseTo((0.1 + 0.01) / 2);
  });

  it('averages the two middle values of an even-sized median', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
  });

  it('refuses an empty query set with a typed error', () => {
    expect(() => summarizeRanks([], 'bass')).toThrow(EmptyQuerySetError);
  });
});

describe('Gallery', () => {
  it('ranks a query against unit vectors by cosine and finds its ground truth by key', () => {
    const gallery = new Gallery(2);
    gallery.add('a', Float32Array.of(1, 0));
    gallery.add('b', Float32Array.of(0, 1));
    gallery.add('c', Float32Array.of(Math.SQRT1_2, Math.SQRT1_2));
    const query = Float32Array.of(0.96, 0.28);
    expect(gallery.rank(query, 'a')).toEqual({ rank: 1, gallerySize: 3 });
    expect(gallery.rank(query, 'c')).toEqual({ rank: 2, gallerySize: 3 });
    expect(gallery.rank(query, 'b')).toEqual({ rank: 3, gallerySize: 3 });
  });

  it('rejects duplicate keys, wrong dimensions and unknown ground truths', () => {
    const gallery = new Gallery(2);
    gallery.add('a', Float32Array.of(1, 0));
    expect(() => gallery.add('a', Float32Array.of(0, 1))).toThrow(/duplicate/);
    expect(() => gallery.add('b', Float32Array.of(1, 0, 0))).toThrow(/dim/);
    expect(() => gallery.rank(Float32Array.of(1, 0), 'zzz')).toThrow(/not in the gallery/);
  });
});
