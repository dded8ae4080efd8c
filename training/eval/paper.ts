import type { Instrument } from '../../src/instruments.js';
import { mixOfOthers } from './evaluate.js';
import {
  EMBEDDING_RANKERS,
  type EmbeddingRanker,
  type ProtocolQuery,
  type ProtocolSplitResult,
  rankerRow,
  summarizeProtocol,
} from './protocol-scores.js';
import { Gallery } from './retrieval.js';
import { type SignalRanker, wholeSignalChunks } from './signal-rankers.js';
import type { SongSource } from './types.js';

/**
 * The paper's protocol (Riou et al. 2024, `evar/musdb_eval.py`): whole tracks, not chunks. Every
 * stem of every song of the split is embedded whole (the target side) into one gallery that pools
 * all instruments; for every stem, the query is the whole mix of the song's other stems, embedded
 * and passed through the predictor conditioned on the stem's instrument. The truth is the stem
 * itself, so returning another instrument of the same song is a miss. Stems whose song has no
 * other stem have no query.
 */

export interface PaperOptions {
  split: string;
  /** Samples per model chunk. */
  chunkLength: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

interface PendingQuery {
  instrument: Instrument;
  truthKey: string;
  vectors: Record<EmbeddingRanker, Float32Array>;
}

export async function evaluatePaperProtocol(
  source: SongSource,
  rankers: Record<EmbeddingRanker, SignalRanker>,
  options: PaperOptions,
): Promise<ProtocolSplitResult> {
  const galleries = new Map<EmbeddingRanker, Gallery>();
  const pending: PendingQuery[] = [];
  const started = performance.now();
  for (const [done, id] of source.ids.entries()) {
    const song = await source.load(id);
    const keys = song.stems.map((stem) => `${song.id}/${stem.name}`);
    const queried = song.stems.length > 1 ? song.stems.map((_, index) => index) : [];
    const contexts = queried.map((held) => mixOfOthers(song.stems, held));
    const instruments = queried.map((held) => song.stems[held].instrument);
    const cut = (signal: Float32Array) => wholeSignalChunks(signal, options.chunkLength);
    const stemChunks = song.stems.map((stem) => cut(stem.signal));
    const contextChunks = contexts.map(cut);
    const vectors = {} as Record<EmbeddingRanker, Float32Array[]>;
    for (const name of EMBEDDING_RANKERS) {
      const ranker = rankers[name];
      const stems = await ranker.embedStems(stemChunks);
      let gallery = galleries.get(name);
      if (!gallery) {
        gallery = new Gallery(stems[0].length);
        galleries.set(name, gallery);
      }
      for (const [i, vector] of stems.entries()) gallery.add(keys[i], vector);
      vectors[name] = contexts.length > 0 ? await ranker.embedQueries(contextChunks, instruments) : [];
    }
    for (const [i, held] of queried.entries()) {
      pending.push({
        instrument: song.stems[held].instrument,
        truthKey: keys[held],
        vectors: rankerRow(vectors, i),
      });
    }
    if ((done + 1) % 10 === 0 || done + 1 === source.ids.length) {
      options.onProgress?.(
        `[paper ${options.split}] ${done + 1}/${source.ids.length} songs, ${pending.length} queries, ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
  }
  const queries: ProtocolQuery[] = pending.map((query) => {
    const ranks = {} as Record<EmbeddingRanker, number>;
    let gallerySize = 0;
    for (const name of EMBEDDING_RANKERS) {
      const gallery = galleries.get(name)!;
      ranks[name] = gallery.rank(query.vectors[name], query.truthKey).rank;
      gallerySize = gallery.size;
    }
    return { instrument: query.instrument, gallerySize, ranks };
  });
  return summarizeProtocol(options.split, source.ids.length, queries, options.seed ?? 0);
}
