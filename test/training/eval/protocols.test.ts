import { describe, expect, it } from 'vitest';
import { evaluateKway } from '../../../training/eval/kway.js';
import { evaluatePaperProtocol } from '../../../training/eval/paper.js';
import { evaluateProductProtocol } from '../../../training/eval/product.js';
import { type ProtocolQuery, summarizeProtocol } from '../../../training/eval/protocol-scores.js';
import {
  Oracle,
  plantedChunkRanker,
  plantedSignalRanker,
  RATE,
  SONG_SECONDS,
  STEP_SECONDS,
  songSource,
  tinySongs,
} from './planted.js';

const SONGS = 5;
const songs = tinySongs(SONGS);
const oracle = new Oracle(songs);
const source = songSource(songs);
/** Every stem of the tiny corpus: 5 songs × 3 instruments. */
const STEMS = SONGS * 3;

describe('summarizeProtocol', () => {
  it('gives the random ranker a recall@1 of about 1 / gallery size', () => {
    const queries: ProtocolQuery[] = Array.from({ length: 4000 }, () => ({
      instrument: 'bass',
      gallerySize: 20,
      ranks: { model: 1, chroma_onset: 20 },
    }));
    const result = summarizeProtocol('test', 10, queries, 3);
    expect(result.baselines.random.recall_at_1).toBeGreaterThan(0.04);
    expect(result.baselines.random.recall_at_1).toBeLessThan(0.06);
    expect(result.baselines.random.median_normalized_rank).toBeGreaterThan(0.4);
    expect(result.baselines.random.median_normalized_rank).toBeLessThan(0.6);
    expect(result.recall_at_1).toBe(1);
    expect(result.baselines.chroma_onset.recall_at_10).toBe(0);
    expect(result.per_instrument.bass?.queries).toBe(4000);
  });
});

describe('paper protocol on a tiny corpus with known answers', () => {
  it('ranks the true stem first for a planted perfect ranker, in a gallery of every stem', async () => {
    const result = await evaluatePaperProtocol(
      source,
      {
        model: plantedSignalRanker(oracle, 'perfect', 'model'),
        chroma_onset: plantedSignalRanker(oracle, 'constant', 'chroma_onset'),
      },
      { split: 'test', chunkLength: 8 * RATE, seed: 1 },
    );
    expect(result.queries).toBe(STEMS);
    expect(result.gallery_size).toBe(STEMS);
    expect(result.recall_at_1).toBe(1);
    expect(result.median_normalized_rank).toBeCloseTo(1 / STEMS);
    // A ranker that scores every stem alike ranks the truth last (ties count against it).
    expect(result.baselines.chroma_onset.recall_at_10).toBe(0);
    expect(result.baselines.chroma_onset.median_normalized_rank).toBe(1);
    expect(Object.keys(result.per_instrument).sort()).toEqual(['bass', 'drums', 'piano']);
  });
});

describe('K-way protocol on a tiny corpus with known answers', () => {
  it('picks the true partner among same-instrument excerpts of other songs', async () => {
    const result = await evaluateKway(
      source,
      {
        model: plantedSignalRanker(oracle, 'perfect', 'model'),
        chroma_onset: plantedSignalRanker(oracle, 'constant', 'chroma_onset'),
      },
      { split: 'test', sampleRate: RATE, chunkLength: 8 * RATE, seed: 2, k: SONGS },
    );
    // K = 5: the true partner and one excerpt of each of the 4 other songs.
    expect(result.k).toBe(SONGS);
    expect(result.queries).toBe(STEMS);
    expect(result.full_k_queries).toBe(STEMS);
    expect(result.accuracy_at_64).toBe(1);
    expect(result.baselines.chroma_onset.recall_at_1).toBe(0);
    expect(result.baselines_accuracy_at_64.chroma_onset).toBe(0);
    expect(result.excerpt_seconds).toBe(5);
  });

  it('reports no accuracy@64 when no query can have 64 candidates', async () => {
    const result = await evaluateKway(
      source,
      {
        model: plantedSignalRanker(oracle, 'perfect', 'model'),
        chroma_onset: plantedSignalRanker(oracle, 'constant', 'chroma_onset'),
      },
      { split: 'test', sampleRate: RATE, chunkLength: 8 * RATE, seed: 2 },
    );
    expect(result.k).toBe(SONGS);
    expect(result.full_k_queries).toBe(0);
    expect(result.accuracy_at_64).toBeNull();
    expect(result.recall_at_1).toBe(1);
  });
});

describe('product protocol on a tiny corpus with known answers', () => {
  it('finds the true stem and its offset through the service catalog, search and alignment', async () => {
    const result = await evaluateProductProtocol(
      source,
      {
        model: plantedChunkRanker(oracle, 'perfect', 'model'),
        chroma_onset: plantedChunkRanker(oracle, 'constant', 'chroma_onset'),
      },
      { split: 'test', sampleRate: RATE, hopSeconds: 4, seed: 3 },
    );
    expect(result.queries).toBe(STEMS);
    expect(result.gallery_size).toBe(SONGS);
    expect(result.recall_at_1).toBe(1);
    expect(result.offset_within_0_1s).toBe(1);
    expect(result.offset_within_0_1s_mod_bar).toBe(1);
    // Query starts are whole samples (1 ms here), the planted timeline has 40 ms steps: the
    // suggested offset is at most half a step off.
    expect(result.median_offset_error_seconds).toBeLessThanOrEqual(STEP_SECONDS / 2);
    // Queries are 8-30 s long (at most the 24 s song).
    expect(result.query_seconds.min).toBeGreaterThanOrEqual(8);
    expect(result.query_seconds.max).toBeLessThanOrEqual(SONG_SECONDS);
    // Chance placement lands within 0.1 s of the right place in a 2 s bar about 10 % of the time.
    expect(result.baselines.random.offset_within_0_1s_mod_bar).toBeLessThan(0.5);
    expect(result.baselines.random.offset_within_0_1s).toBeLessThan(0.5);
  });
});
