import { INSTRUMENTS, type Instrument } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';
import { randomRank } from './baselines.js';
import { type RankedQuery, type RetrievalMetrics, summarizeRanks } from './retrieval.js';

/**
 * What every protocol of `npm run eval` reports for one split: the model's ranking metrics, the
 * same for the random and chroma + onset rankers, per instrument too. The protocols differ in
 * what they rank; they all hand their ranked queries to `summarizeProtocol`.
 */

/** The learned ranker and the non-learned one; `random` needs no embedding. */
export const EMBEDDING_RANKERS = ['model', 'chroma_onset'] as const;
export type EmbeddingRanker = (typeof EMBEDDING_RANKERS)[number];

/** Item `i` of each embedding ranker's list (e.g. its embedding of a batch's i-th signal). */
export function rankerRow<T>(
  lists: Record<EmbeddingRanker, readonly T[]>,
  i: number,
): Record<EmbeddingRanker, T> {
  return { model: lists.model[i], chroma_onset: lists.chroma_onset[i] };
}

/** One query's outcome under each embedding ranker. */
export interface ProtocolQuery {
  instrument: Instrument;
  /** Candidates the truth competed with (the same for every ranker). */
  gallerySize: number;
  ranks: Record<EmbeddingRanker, number>;
}

export interface ProtocolMetrics extends RetrievalMetrics {
  /** Smallest gallery any query was ranked in. */
  gallery_size: number;
}

export interface ProtocolSplitResult extends ProtocolMetrics {
  split: string;
  songs: number;
  baselines: { random: ProtocolMetrics; chroma_onset: ProtocolMetrics };
  per_instrument: Partial<
    Record<Instrument, ProtocolMetrics & { baselines: ProtocolSplitResult['baselines'] }>
  >;
}

function metrics(ranked: RankedQuery[], what: string): ProtocolMetrics {
  return {
    ...summarizeRanks(ranked, what),
    gallery_size: Math.min(...ranked.map((query) => query.gallerySize)),
  };
}

function summarizeGroup(queries: readonly ProtocolQuery[], random: () => number, what: string) {
  const ranked = (ranker: EmbeddingRanker) =>
    queries.map((query) => ({ rank: query.ranks[ranker], gallerySize: query.gallerySize }));
  const chance = queries.map((query) => ({
    rank: randomRank(query.gallerySize, random),
    gallerySize: query.gallerySize,
  }));
  return {
    ...metrics(ranked('model'), what),
    baselines: { random: metrics(chance, what), chroma_onset: metrics(ranked('chroma_onset'), what) },
  };
}

/** Metrics over all queries and per instrument; the random ranker draws its ranks from `seed`. */
export function summarizeProtocol(
  split: string,
  songs: number,
  queries: readonly ProtocolQuery[],
  seed: number,
): ProtocolSplitResult {
  const random = seededRandom(seed);
  const per_instrument: ProtocolSplitResult['per_instrument'] = {};
  for (const instrument of INSTRUMENTS) {
    const own = queries.filter((query) => query.instrument === instrument);
    if (own.length > 0) per_instrument[instrument] = summarizeGroup(own, random, instrument);
  }
  return { split, songs, ...summarizeGroup(queries, random, `split ${split}`), per_instrument };
}
