import type { CatalogStore, MetadataFilter, SearchHit, StemRecord } from '../index/types.js';
import { bestAlignment } from '../inference/alignment.js';
import type { Instrument } from '../instruments.js';
import type { EmbeddedChunk, TimelineGeometry } from './ports.js';

export interface CompatibilityQuery {
  /** Predicted target-stem embeddings of the context (a mix or a catalog stem), chunk by chunk. */
  chunks: readonly EmbeddedChunk[];
  instrument: Instrument;
  k: number;
  catalog?: string;
  filter?: MetadataFilter;
  excludeStemIds?: string[];
}

export interface CompatibleStem {
  stem: StemRecord;
  /** Cosine similarity between the predicted stem and the stem's best chunk. */
  score: number;
  match: { contextOffsetSeconds: number; stemChunkIndex: number; stemChunkOffsetSeconds: number };
  /**
   * Where to start the stem on the context's timeline so the matched chunk lines up: the chunk
   * offsets plus the fine shift that best aligns the two timelines.
   */
  alignment: { offsetSeconds: number; shiftSeconds: number; score: number };
}

/** Long contexts are searched from at most this many chunks, spread evenly across them. */
export const MAX_QUERY_CHUNKS = 32;

/** Fine alignment searches shifts up to half a chunk either way; beyond that another chunk matches. */
function maxShiftSteps(geometry: TimelineGeometry): number {
  return Math.floor(geometry.gridTime / 2);
}

export function sampleChunks<T>(chunks: readonly T[], max: number): T[] {
  if (chunks.length <= max) return [...chunks];
  return Array.from({ length: max }, (_, i) => chunks[Math.floor((i * chunks.length) / max)]);
}

interface BestHit {
  hit: SearchHit;
  context: EmbeddedChunk;
}

/**
 * Searches the catalog with every (sampled) context chunk, keeps each stem's best-scoring
 * chunk pair, and aligns that pair's timelines to suggest an offset.
 */
export async function findCompatibleStems(
  catalog: CatalogStore,
  geometry: TimelineGeometry,
  query: CompatibilityQuery,
): Promise<CompatibleStem[]> {
  const audible = query.chunks.filter((chunk) => !chunk.silent);
  const best = new Map<string, BestHit>();
  for (const context of sampleChunks(audible, MAX_QUERY_CHUNKS)) {
    const hits = await catalog.search(context.vector, {
      k: query.k,
      instrument: query.instrument,
      catalog: query.catalog,
      filter: query.filter,
      excludeStemIds: query.excludeStemIds,
    });
    for (const hit of hits) {
      const previous = best.get(hit.stem.id);
      if (previous === undefined || hit.score > previous.hit.score) best.set(hit.stem.id, { hit, context });
    }
  }
  return [...best.values()]
    .sort((a, b) => b.hit.score - a.hit.score)
    .slice(0, query.k)
    .map(({ hit, context }) => describe(hit, context, geometry));
}

function describe(hit: SearchHit, context: EmbeddedChunk, geometry: TimelineGeometry): CompatibleStem {
  const aligned = bestAlignment(
    context.timeline,
    hit.chunk.timeline,
    geometry.gridTime,
    geometry.dim,
    maxShiftSteps(geometry),
    { stepSeconds: geometry.secondsPerStep },
  );
  const shiftSeconds = aligned.shiftSeconds;
  return {
    stem: hit.stem,
    score: hit.score,
    match: {
      contextOffsetSeconds: context.offsetSeconds,
      stemChunkIndex: hit.chunk.index,
      stemChunkOffsetSeconds: hit.chunk.offsetSeconds,
    },
    alignment: {
      offsetSeconds: round3(context.offsetSeconds - hit.chunk.offsetSeconds + shiftSeconds),
      shiftSeconds: round3(shiftSeconds),
      score: aligned.score,
    },
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
