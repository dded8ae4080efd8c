import { isSilent } from '../../src/audio/chunk.js';
import type { Instrument } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';
import { mixOfOthers } from './evaluate.js';
import {
  EMBEDDING_RANKERS,
  type EmbeddingRanker,
  type ProtocolQuery,
  type ProtocolSplitResult,
  rankerRow,
  summarizeProtocol,
} from './protocol-scores.js';
import { dotWithRows, rankOfTruth } from './retrieval.js';
import { type SignalRanker, wholeSignalChunks } from './signal-rankers.js';
import type { SongSource } from './types.js';

/**
 * K-way accuracy, the metric of COCOLA and PHALAR: for every stem of a song, a 5 s excerpt where
 * both the stem and the mix of the song's other stems sound; the query is that excerpt of the
 * other stems, the candidates are the true stem's excerpt and K - 1 excerpts of the same
 * instrument from other songs, drawn at random (seeded). Accuracy@K = share of queries whose true
 * partner ranks first. Excerpts are embedded whole, like the paper protocol's signals.
 */

export const KWAY_K = 64;
export const KWAY_EXCERPT_SECONDS = 5;
/** Excerpt starts are tried on this grid (seconds). */
const START_STEP_SECONDS = 0.5;

export interface KwayOptions {
  split: string;
  sampleRate: number;
  /** Samples per model chunk. */
  chunkLength: number;
  k?: number;
  excerptSeconds?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export interface KwaySplitResult extends ProtocolSplitResult {
  /**
   * Top-1 accuracy over the queries that had all 64 candidates (null when none had: a split with
   * fewer than 64 other songs holding the instrument). R@k over all queries mixes smaller K.
   */
  accuracy_at_64: number | null;
  /** Queries with the full 64 candidates, and their random and chroma + onset accuracy. */
  full_k_queries: number;
  baselines_accuracy_at_64: { random: number | null; chroma_onset: number | null };
  /** Smallest K any query had (64 unless some instrument has fewer stems in other songs). */
  k: number;
  excerpt_seconds: number;
  /** Stems with no 5 s stretch where both they and the rest of the song sound. */
  skipped_no_excerpt: number;
}

interface Excerpt {
  songId: string;
  instrument: Instrument;
  target: Record<EmbeddingRanker, Float32Array>;
  query: Record<EmbeddingRanker, Float32Array>;
}

export async function evaluateKway(
  source: SongSource,
  rankers: Record<EmbeddingRanker, SignalRanker>,
  options: KwayOptions,
): Promise<KwaySplitResult> {
  const k = options.k ?? KWAY_K;
  const excerptSeconds = options.excerptSeconds ?? KWAY_EXCERPT_SECONDS;
  const length = Math.round(excerptSeconds * options.sampleRate);
  const step = Math.round(START_STEP_SECONDS * options.sampleRate);
  const random = seededRandom(options.seed ?? 0);
  const excerpts: Excerpt[] = [];
  let skipped = 0;
  for (const [done, id] of source.ids.entries()) {
    const song = await source.load(id);
    const targets: Float32Array[] = [];
    const contexts: Float32Array[] = [];
    const instruments: Instrument[] = [];
    song.stems.forEach((stem, held) => {
      if (song.stems.length < 2) return;
      const context = mixOfOthers(song.stems, held);
      const starts: number[] = [];
      for (let start = 0; start + length <= stem.signal.length; start += step) {
        if (
          !isSilent(stem.signal.subarray(start, start + length)) &&
          !isSilent(context.subarray(start, start + length))
        )
          starts.push(start);
      }
      if (starts.length === 0) {
        skipped++;
        return;
      }
      const start = starts[Math.floor(random() * starts.length)];
      targets.push(stem.signal.slice(start, start + length));
      contexts.push(context.slice(start, start + length));
      instruments.push(stem.instrument);
    });
    if (targets.length === 0) continue;
    const targetChunks = targets.map((signal) => wholeSignalChunks(signal, options.chunkLength));
    const contextChunks = contexts.map((signal) => wholeSignalChunks(signal, options.chunkLength));
    const targetVectors = {} as Record<EmbeddingRanker, Float32Array[]>;
    const queryVectors = {} as Record<EmbeddingRanker, Float32Array[]>;
    for (const name of EMBEDDING_RANKERS) {
      targetVectors[name] = await rankers[name].embedStems(targetChunks);
      queryVectors[name] = await rankers[name].embedQueries(contextChunks, instruments);
    }
    for (const [i, instrument] of instruments.entries()) {
      excerpts.push({
        songId: song.id,
        instrument,
        target: rankerRow(targetVectors, i),
        query: rankerRow(queryVectors, i),
      });
    }
    if ((done + 1) % 10 === 0 || done + 1 === source.ids.length)
      options.onProgress?.(
        `[kway ${options.split}] ${done + 1}/${source.ids.length} songs, ${excerpts.length} queries`,
      );
  }
  const queries: ProtocolQuery[] = [];
  for (const excerpt of excerpts) {
    const others = excerpts.filter(
      (other) => other.instrument === excerpt.instrument && other.songId !== excerpt.songId,
    );
    if (others.length === 0) continue;
    const distractors = sample(others, k - 1, random);
    const candidates = [excerpt, ...distractors];
    const ranks = {} as Record<EmbeddingRanker, number>;
    for (const name of EMBEDDING_RANKERS) {
      const dim = excerpt.target[name].length;
      const rows = new Float32Array(candidates.length * dim);
      for (const [i, candidate] of candidates.entries()) rows.set(candidate.target[name], i * dim);
      ranks[name] = rankOfTruth(dotWithRows(excerpt.query[name], rows, dim), 0);
    }
    queries.push({ instrument: excerpt.instrument, gallerySize: candidates.length, ranks });
  }
  const summary = summarizeProtocol(options.split, source.ids.length, queries, options.seed ?? 0);
  const full = queries.filter((query) => query.gallerySize === k);
  const full_summary =
    full.length > 0 ? summarizeProtocol(options.split, source.ids.length, full, options.seed ?? 0) : null;
  return {
    ...summary,
    accuracy_at_64: full_summary?.recall_at_1 ?? null,
    full_k_queries: full.length,
    baselines_accuracy_at_64: {
      random: full_summary?.baselines.random.recall_at_1 ?? null,
      chroma_onset: full_summary?.baselines.chroma_onset.recall_at_1 ?? null,
    },
    k: Math.min(...queries.map((query) => query.gallerySize)),
    excerpt_seconds: excerptSeconds,
    skipped_no_excerpt: skipped,
  };
}

/** `count` distinct items drawn uniformly (all of them when there are no more). */
function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const index = Math.floor(random() * pool.length);
    picked.push(pool[index]);
    pool[index] = pool[pool.length - 1];
    pool.pop();
  }
  return picked;
}
