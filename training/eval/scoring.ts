import { INSTRUMENTS, type Instrument } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';
import { randomRank } from './baselines.js';
import { type Gallery, type RankedQuery, type RetrievalMetrics, summarizeRanks } from './retrieval.js';
import type { SplitEvaluation } from './types.js';

/** One missing-stem query: its pooled prediction, its baseline features and where its ground truth is. */
export interface Query {
  instrument: Instrument;
  truthKey: string;
  predicted: Float32Array;
  baseline: Float32Array;
}

/** The same stem chunks, as model embeddings and as baseline features. */
export interface GalleryPair {
  model: Gallery;
  baseline: Gallery;
}

export type Scores = Pick<
  SplitEvaluation,
  keyof RetrievalMetrics | 'gallery_size' | 'baselines' | 'per_instrument'
>;

/** Ranks every query in its instrument's gallery, with the model and with both baselines. */
export function scoreQueries(
  queries: readonly Query[],
  galleryOf: (instrument: Instrument) => GalleryPair,
  seed: number,
): Scores {
  const random = seededRandom(seed);
  const ranks = { model: [] as RankedQuery[], random: [] as RankedQuery[], chroma: [] as RankedQuery[] };
  const perInstrument = new Map<Instrument, typeof ranks>();
  for (const query of queries) {
    const gallery = galleryOf(query.instrument);
    const own = perInstrument.get(query.instrument) ?? { model: [], random: [], chroma: [] };
    perInstrument.set(query.instrument, own);
    const model = gallery.model.rank(query.predicted, query.truthKey);
    const chroma = gallery.baseline.rank(query.baseline, query.truthKey);
    const chance = { rank: randomRank(gallery.model.size, random), gallerySize: gallery.model.size };
    for (const bucket of [ranks, own]) {
      bucket.model.push(model);
      bucket.chroma.push(chroma);
      bucket.random.push(chance);
    }
  }
  const per_instrument: Scores['per_instrument'] = {};
  for (const instrument of INSTRUMENTS) {
    const own = perInstrument.get(instrument);
    if (!own) continue;
    per_instrument[instrument] = {
      ...summarizeRanks(own.model, instrument),
      gallery_size: galleryOf(instrument).model.size,
      baselines: {
        random: summarizeRanks(own.random, instrument),
        chroma_onset: summarizeRanks(own.chroma, instrument),
      },
    };
  }
  const usedSizes = [...perInstrument.keys()].map((instrument) => galleryOf(instrument).model.size);
  return {
    ...summarizeRanks(ranks.model, 'all instruments'),
    gallery_size: Math.min(...usedSizes),
    baselines: { random: summarizeRanks(ranks.random), chroma_onset: summarizeRanks(ranks.chroma) },
    per_instrument,
  };
}
