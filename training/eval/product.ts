import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkSignal, isSilent } from '../../src/audio/chunk.js';
import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { AudioProcessor } from '../../src/audio/processor.js';
import { encodeWav } from '../../src/audio/wav.js';
import { FrontEndPool } from '../../src/audio/worker-pool.js';
import { loadConfig } from '../../src/config.js';
import { openLocalCatalog } from '../../src/index/index.js';
import type { CatalogStore } from '../../src/index/types.js';
import {
  type EmbeddedChunk,
  Embedder,
  type EmbedOptions,
  type StemEmbedding,
} from '../../src/inference/embedder.js';
import { ModelSessions } from '../../src/inference/sessions.js';
import { ingestStem } from '../../src/ingest/ingest-stem.js';
import type { Instrument } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';
import { findCompatibleStems } from '../../src/server/compatibility-search.js';
import type { EmbeddingModel, TimelineGeometry } from '../../src/server/ports.js';
import { ChunkFeatureExtractor } from './chunk-features.js';
import { mixOfOthers } from './evaluate.js';
import {
  EMBEDDING_RANKERS,
  type EmbeddingRanker,
  type ProtocolMetrics,
  type ProtocolQuery,
  type ProtocolSplitResult,
  summarizeProtocol,
} from './protocol-scores.js';
import { median } from './retrieval.js';
import type { SongSource } from './types.js';

/**
 * The product's own protocol: what a marketplace user gets from `POST /v1/search`. Every whole
 * stem of the split is ingested into a catalog (the service's `LocalCatalog`, its chunking at the
 * service's hop); each query is the mix of a song's other stems, cut at a random start that is
 * not on the chunk grid, with a random length of 8-30 s, embedded and searched with the same
 * code the route runs (`Embedder.embedQuery` on the audio bytes, then `findCompatibleStems`). The
 * true stem's rank among all stems of its instrument, and whether the offset suggested for it is
 * within 0.1 s of the truth (and within 0.1 s modulo the song's bar).
 */

/**
 * A ranker as the product protocol needs it: the service's `EmbeddingModel` surface that ingestion
 * (`embedStem`) and `POST /v1/search` (`embedQuery`, `geometry`) use, fed audio bytes as uploads are.
 */
export interface ChunkRanker extends Pick<EmbeddingModel, 'embedStem' | 'embedQuery' | 'geometry'> {
  readonly name: EmbeddingRanker;
  close(): Promise<void>;
}

export const OFFSET_TOLERANCE_SECONDS = 0.1;
export const QUERY_SECONDS: readonly [number, number] = [8, 30];

export interface ProductOptions {
  split: string;
  sampleRate: number;
  /** The service's chunk hop (seconds): query starts are never a multiple of it. */
  hopSeconds: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export interface OffsetMetrics {
  offset_within_0_1s: number;
  offset_within_0_1s_mod_bar: number;
  median_offset_error_seconds: number;
}

type WithOffsets<T> = T & OffsetMetrics;

export interface ProductSplitResult extends WithOffsets<ProtocolSplitResult> {
  baselines: { random: WithOffsets<ProtocolMetrics>; chroma_onset: WithOffsets<ProtocolMetrics> };
  query_seconds: { min: number; max: number; median: number };
  /** Stems for which no query window had both the stem and the rest of the song sounding. */
  skipped_no_window: number;
}

interface PlannedQuery {
  instrument: Instrument;
  truthKey: string;
  startSeconds: number;
  lengthSeconds: number;
  songSeconds: number;
  barSeconds: number;
  embeddings: Record<EmbeddingRanker, StemEmbedding>;
}

/** Outcome of one query for one ranker: rank, and the offset the service suggested for the true stem. */
interface Outcome {
  rank: number;
  offsetSeconds: number | null;
}

export async function evaluateProductProtocol(
  source: SongSource,
  rankers: Record<EmbeddingRanker, ChunkRanker>,
  options: ProductOptions,
): Promise<ProductSplitResult> {
  const random = seededRandom(options.seed ?? 0);
  const dirs: string[] = [];
  const catalogs = {} as Record<EmbeddingRanker, CatalogStore>;
  try {
    for (const name of EMBEDDING_RANKERS) {
      const dataDir = mkdtempSync(join(tmpdir(), `stemdex-eval-${name}-`));
      dirs.push(dataDir);
      catalogs[name] = await openLocalCatalog({
        dataDir,
        dim: rankers[name].geometry.dim,
        modelId: `eval-${name}`,
      });
    }
    const stemIds = new Map<string, string>();
    const perInstrument = new Map<Instrument, number>();
    const planned: PlannedQuery[] = [];
    let skipped = 0;
    const started = performance.now();
    for (const [done, id] of source.ids.entries()) {
      const song = await source.load(id);
      for (const stem of song.stems) {
        const key = `${song.id}/${stem.name}`;
        const bytes = wavBytes(stem.signal, options.sampleRate);
        for (const name of EMBEDDING_RANKERS) {
          // The service's own ingestion path (HTTP upload, batch job and CLI all take it).
          const record = await ingestStem(
            {
              model: rankers[name],
              catalog: catalogs[name],
              maxAudioSeconds: loadConfig({}).maxAudioSeconds,
            },
            bytes,
            { catalog: 'eval', externalId: key, instrument: stem.instrument, metadata: {} },
          );
          stemIds.set(`${name}:${record.id}`, key);
        }
        perInstrument.set(stem.instrument, (perInstrument.get(stem.instrument) ?? 0) + 1);
      }
      if (song.stems.length < 2) continue;
      for (const [held, stem] of song.stems.entries()) {
        const context = mixOfOthers(song.stems, held);
        const window = queryWindow(stem.signal, context, options, random);
        if (!window) {
          skipped++;
          continue;
        }
        const bytes = wavBytes(
          context.subarray(window.start, window.start + window.length),
          options.sampleRate,
        );
        const embeddings = {} as Record<EmbeddingRanker, StemEmbedding>;
        for (const name of EMBEDDING_RANKERS) {
          const query = await rankers[name].embedQuery(bytes, stem.instrument, {});
          // Only what the search reads is kept: the patches are the bulk of a query's memory.
          embeddings[name] = {
            ...query,
            chunks: query.chunks.map((chunk) => ({ ...chunk, patches: new Float32Array(0) })),
          };
        }
        planned.push({
          instrument: stem.instrument,
          truthKey: `${song.id}/${stem.name}`,
          startSeconds: window.start / options.sampleRate,
          lengthSeconds: window.length / options.sampleRate,
          songSeconds: context.length / options.sampleRate,
          barSeconds: song.barSeconds,
          embeddings,
        });
      }
      if ((done + 1) % 10 === 0 || done + 1 === source.ids.length)
        options.onProgress?.(
          `[product ${options.split}] ${done + 1}/${source.ids.length} songs ingested, ${planned.length} queries, ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
    }

    const queries: ProtocolQuery[] = [];
    const offsets: Record<EmbeddingRanker | 'random', { error: number; barError: number }[]> = {
      model: [],
      chroma_onset: [],
      random: [],
    };
    for (const query of planned) {
      const gallerySize = perInstrument.get(query.instrument)!;
      const truthOffset = -query.startSeconds;
      const ranks = {} as Record<EmbeddingRanker, number>;
      for (const name of EMBEDDING_RANKERS) {
        const outcome = await search(
          catalogs[name],
          rankers[name].geometry,
          query,
          name,
          gallerySize,
          stemIds,
        );
        ranks[name] = outcome.rank;
        offsets[name].push(offsetErrors(outcome.offsetSeconds, truthOffset, query.barSeconds));
      }
      // Chance placement: anywhere the whole query still lies inside the song.
      const guess = -random() * Math.max(0, query.songSeconds - query.lengthSeconds);
      offsets.random.push(offsetErrors(guess, truthOffset, query.barSeconds));
      queries.push({ instrument: query.instrument, gallerySize, ranks });
    }
    const summary = summarizeProtocol(options.split, source.ids.length, queries, options.seed ?? 0);
    const lengths = planned.map((query) => query.lengthSeconds);
    return {
      ...summary,
      ...offsetMetrics(offsets.model),
      baselines: {
        random: { ...summary.baselines.random, ...offsetMetrics(offsets.random) },
        chroma_onset: { ...summary.baselines.chroma_onset, ...offsetMetrics(offsets.chroma_onset) },
      },
      query_seconds: { min: Math.min(...lengths), max: Math.max(...lengths), median: median(lengths) },
      skipped_no_window: skipped,
    };
  } finally {
    for (const catalog of Object.values(catalogs)) await catalog.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A random window of the context: length uniform in 8-30 s (at most the song), start uniform,
 * redrawn when it falls on the chunk grid or when the stem or the context is silent in it.
 */
function queryWindow(
  stem: Float32Array,
  context: Float32Array,
  options: ProductOptions,
  random: () => number,
): { start: number; length: number } | null {
  const rate = options.sampleRate;
  const hop = Math.round(options.hopSeconds * rate);
  const [shortest, longest] = QUERY_SECONDS;
  for (let attempt = 0; attempt < 20; attempt++) {
    const seconds = shortest + random() * (longest - shortest);
    const length = Math.min(context.length, Math.round(seconds * rate));
    const start = Math.floor(random() * (context.length - length + 1));
    if (start % hop === 0 && context.length > length) continue;
    const window = (signal: Float32Array) => signal.subarray(start, start + length);
    if (isSilent(window(stem)) || isSilent(window(context))) continue;
    return { start, length };
  }
  return null;
}

async function search(
  catalog: CatalogStore,
  geometry: TimelineGeometry,
  query: PlannedQuery,
  name: EmbeddingRanker,
  gallerySize: number,
  stemIds: Map<string, string>,
): Promise<Outcome> {
  // Every stem of the instrument is asked for, so the truth's place in the full ranking is known.
  const results = await findCompatibleStems(catalog, geometry, {
    chunks: query.embeddings[name].chunks,
    instrument: query.instrument,
    k: gallerySize,
  });
  const position = results.findIndex((result) => stemIds.get(`${name}:${result.stem.id}`) === query.truthKey);
  if (position < 0) return { rank: gallerySize, offsetSeconds: null };
  return { rank: position + 1, offsetSeconds: results[position].alignment.offsetSeconds };
}

/** The audio as an upload carries it: a float WAV at the model rate decodes to exactly these samples. */
function wavBytes(signal: Float32Array, sampleRate: number): Uint8Array {
  return encodeWav([signal], sampleRate, { bitDepth: 32, float: true });
}

function offsetErrors(
  suggested: number | null,
  truth: number,
  barSeconds: number,
): { error: number; barError: number } {
  if (suggested === null) return { error: Number.POSITIVE_INFINITY, barError: Number.POSITIVE_INFINITY };
  const error = Math.abs(suggested - truth);
  const inBar = (((suggested - truth) % barSeconds) + barSeconds) % barSeconds;
  return { error, barError: Math.min(inBar, barSeconds - inBar) };
}

function offsetMetrics(errors: readonly { error: number; barError: number }[]): OffsetMetrics {
  const share = (pick: (value: { error: number; barError: number }) => number) =>
    errors.filter((value) => pick(value) <= OFFSET_TOLERANCE_SECONDS + 1e-9).length / errors.length;
  return {
    offset_within_0_1s: share((value) => value.error),
    offset_within_0_1s_mod_bar: share((value) => value.barError),
    median_offset_error_seconds: median(errors.map((value) => value.error)),
  };
}

/** The exported model through the service's own embedder: onnxruntime sessions, front-end workers, micro-batching. */
export class ServiceModelRanker implements ChunkRanker {
  readonly name = 'model' as const;
  readonly geometry: TimelineGeometry;

  private constructor(
    private readonly sessions: ModelSessions,
    private readonly frontEnd: FrontEndPool,
    private readonly embedder: Embedder,
  ) {
    this.geometry = {
      gridTime: embedder.grid.gridTime,
      dim: embedder.grid.dim,
      secondsPerStep: embedder.stepSeconds,
    };
  }

  static async load(
    modelDir: string,
    options: { threads: number; audioWorkers: number },
  ): Promise<ServiceModelRanker> {
    const config = loadConfig({});
    const sessions = await ModelSessions.load({
      modelDir,
      executionProviders: ['cpu'],
      intraOpThreads: options.threads,
      interOpThreads: 1,
      thread: 'main',
    });
    const frontEnd = new FrontEndPool({
      config: sessions.manifest.frontEnd,
      threads: Math.max(1, options.audioWorkers),
    });
    const embedder = new Embedder({
      sessions,
      frontEnd,
      batching: { maxBatchSize: config.batchMaxSize, maxQueue: 1_000_000 },
      hopSeconds: config.chunkHopSeconds,
    });
    return new ServiceModelRanker(sessions, frontEnd, embedder);
  }

  embedStem(bytes: Uint8Array, options: EmbedOptions): Promise<StemEmbedding> {
    return this.embedder.embedStem(bytes, options);
  }

  embedQuery(bytes: Uint8Array, instrument: Instrument, options: EmbedOptions): Promise<StemEmbedding> {
    return this.embedder.embedQuery(bytes, instrument, options);
  }

  async close(): Promise<void> {
    await this.embedder.close();
    await this.frontEnd.destroy();
    await this.sessions.close();
  }
}

/**
 * The chroma + onset baseline in the service's chunk-and-score path: the same chunks (service
 * hop), its feature vector as the chunk vector, and its per-step chroma and onset rows as the
 * timeline the alignment step slides. A chunk whose features are all zero is marked silent, as
 * the search cannot use it.
 */
export class BaselineChunkRanker implements ChunkRanker {
  readonly name = 'chroma_onset' as const;
  readonly geometry: TimelineGeometry;
  private readonly extractor: ChunkFeatureExtractor;
  private readonly audio: AudioProcessor;

  constructor(
    private readonly frontEnd: FrontEndConfig,
    modelGeometry: TimelineGeometry,
    private readonly hopSeconds: number,
  ) {
    this.extractor = new ChunkFeatureExtractor(frontEnd);
    this.audio = new AudioProcessor(frontEnd);
    this.geometry = { ...modelGeometry, dim: this.extractor.baselineDim };
  }

  /** The upload decoded as the service decodes it (mono at the model rate), then chunked at the service's hop. */
  async embedStem(bytes: Uint8Array): Promise<StemEmbedding> {
    const signal = await this.audio.loadMono(bytes);
    const chunks = chunkSignal(signal, this.frontEnd, { hopSeconds: this.hopSeconds });
    const embedded: EmbeddedChunk[] = chunks.map((chunk) => {
      const { baseline, timeline } = this.extractor.extractWithTimeline(
        chunk.samples,
        this.geometry.gridTime,
      );
      const empty = !baseline.some((value) => value !== 0);
      return {
        index: chunk.index,
        offsetSeconds: chunk.offsetSeconds,
        padded: chunk.padded,
        silent: chunk.silent || empty,
        vector: baseline,
        timeline,
        patches: timeline,
      };
    });
    return { durationSeconds: signal.length / this.frontEnd.sampleRate, chunks: embedded };
  }

  /** The baseline has no notion of the wanted instrument: the mix's own features are the query. */
  embedQuery(bytes: Uint8Array): Promise<StemEmbedding> {
    return this.embedStem(bytes);
  }

  async close(): Promise<void> {}
}
