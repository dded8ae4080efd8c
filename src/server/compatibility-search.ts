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
  /** Only stems of these catalogs (the ones the caller may read); undefined: every catalog. */
  catalogs?: readonly string[];
  filter?: MetadataFilter;
  excludeStemIds?: string[];
}

export interface CompatibleStem {
  stem: StemRecord;
  /**
   * How well the stem fits the whole context: for each (sampled) context chunk, the cosine
   * similarity between the predicted stem and the stem's best-matching chunk, averaged over the
   * context chunks. One chunk's match alone can be luck; a stem that belongs fits throughout.
   */
  score: number;
  match: { contextOffsetSeconds: number; stemChunkIndex: number; stemChunkOffsetSeconds: number };
  /**
   * Where to start the stem on the context's timeline so the matched chunk lines up: the chunk
   * offsets plus the fine shift that best aligns the two timelines.
   */
  alignment: { offsetSeconds: number; shiftSeconds: number; score: number };
}

/**
 * Most stems one search returns, for the API and the CLI alike. It is a cap, not a page size: a
 * stem's score is its best match averaged over the context chunks, each searched for
 * `CANDIDATES_PER_RESULT × k` approximate (HNSW) nearest chunks, and where a stem is missing from a
 * chunk's candidates that chunk's weakest candidate stands in for it. A deeper page needs deeper
 * candidate lists, which change those stand-ins and so the scores and order of the stems ranked
 * before it: pages computed one at a time would repeat or skip stems. Consistent pages would need
 * the full-depth ranking recomputed (and the mix sent and embedded again) for every page. Narrow
 * the search with filters (catalog, tags, key, bpm) instead.
 */
export const MAX_RESULTS = 100;

/** The one message for a bad `k`, wherever it comes from (HTTP form, JSON body, CLI option). */
export const RESULT_COUNT_MESSAGE = `k must be an integer from 1 to ${MAX_RESULTS}: a search returns at most ${MAX_RESULTS} stems (narrow it with filters to see others)`;

export function isResultCount(k: unknown): k is number {
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= MAX_RESULTS;
}

/** `k` as a client typed it (form field, CLI option); throws RangeError with the shared message. */
export function parseResultCount(value: string): number {
  const k = value.trim() === '' ? Number.NaN : Number(value);
  if (!isResultCount(k)) throw new RangeError(RESULT_COUNT_MESSAGE);
  return k;
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
 * Each context chunk's search returns this many times `k` stems, so that a stem in the final top
 * `k` has been scored against nearly every context chunk.
 */
export const CANDIDATES_PER_RESULT = 4;

/** A stem's evidence over the context chunks searched so far. */
interface Evidence {
  best: BestHit;
  /** Sum of its best scores over the chunks whose candidates it was among. */
  scoreSum: number;
  /** Sum of those chunks' floors (their weakest candidate's score). */
  floorSumWhereFound: number;
}

/**
 * Searches the catalog with every (sampled) context chunk, scores each stem by its best chunk's
 * similarity averaged over the context chunks, and aligns the stem's single best chunk pair to
 * suggest an offset. Where a stem was not among a chunk's candidates, that chunk's weakest
 * candidate score stands in for its own (an upper bound on it).
 */
export async function findCompatibleStems(
  catalog: CatalogStore,
  geometry: TimelineGeometry,
  query: CompatibilityQuery,
): Promise<CompatibleStem[]> {
  if (!isResultCount(query.k)) throw new RangeError(RESULT_COUNT_MESSAGE);
  const contexts = sampleChunks(
    query.chunks.filter((chunk) => !chunk.silent),
    MAX_QUERY_CHUNKS,
  );
  const evidence = new Map<string, Evidence>();
  let floorSum = 0;
  for (const context of contexts) {
    const hits = await catalog.search(context.vector, {
      k: query.k * CANDIDATES_PER_RESULT,
      instrument: query.instrument,
      catalog: query.catalog,
      catalogs: query.catalogs,
      filter: query.filter,
      excludeStemIds: query.excludeStemIds,
    });
    const floor = hits.length > 0 ? Math.min(...hits.map((hit) => hit.score)) : 0;
    floorSum += floor;
    for (const hit of hits) {
      const entry = evidence.get(hit.stem.id);
      if (entry === undefined) {
        evidence.set(hit.stem.id, { best: { hit, context }, scoreSum: hit.score, floorSumWhereFound: floor });
        continue;
      }
      entry.scoreSum += hit.score;
      entry.floorSumWhereFound += floor;
      if (hit.score > entry.best.hit.score) entry.best = { hit, context };
    }
  }
  const meanScore = (entry: Evidence) =>
    (entry.scoreSum + floorSum - entry.floorSumWhereFound) / contexts.length;
  return [...evidence.values()]
    .map((entry) => ({ entry, score: meanScore(entry) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, query.k)
    .map(({ entry, score }) => describe(entry.best, score, geometry));
}

function describe({ hit, context }: BestHit, score: number, geometry: TimelineGeometry): CompatibleStem {
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
    score,
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
