import { poolPatches } from '../../src/inference/pooling.js';
import { INSTRUMENTS, type Instrument } from '../../src/instruments.js';
import { AlignmentAccumulator, type AlignmentCurve } from './alignment.js';
import { randomRank } from './baselines.js';
import type { ChunkEmbedder } from './embed.js';
import { EmptySplitError } from './errors.js';
import { seededRandom } from './random.js';
import { Gallery, type RankedQuery, type RetrievalMetrics, summarizeRanks } from './retrieval.js';

/**
 * The paper's missing-stem retrieval protocol on one corpus split. For every song, 8 s chunk
 * (fixed grid, no overlap) and stem audible in that chunk: the query is the mix of the song's
 * other stems in the chunk, encoded and passed through the predictor conditioned on the stem's
 * instrument; it is ranked against every audible chunk of every stem of that instrument in the
 * split; the ground truth is the held-out stem's own chunk.
 */

export interface EvalStem {
  name: string;
  instrument: Instrument;
  /** The stem as it sounds in the mix (gain applied), model sample rate, mono. */
  signal: Float32Array;
}

export interface EvalSong {
  id: string;
  /** 0..23: tonic pitch class × 2 + (minor-third mode ? 1 : 0). */
  keyClass: number;
  tempo: number;
  stems: EvalStem[];
}

export interface SongSource {
  ids: readonly string[];
  load(id: string): EvalSong | Promise<EvalSong>;
}

/** What the protocol needs from a chunk of audio besides the model. */
export interface ChunkFeaturizer {
  /** Samples per chunk. */
  readonly chunkLength: number;
  /** Length of `baselineFeatures` vectors. */
  readonly baselineDim: number;
  /** Normalised log-mel, mel-major, as the encoder takes it. */
  modelInput(samples: Float32Array): Float32Array;
  /** Unit-length non-learned feature vector (the AutoMashUpper-style baseline). */
  baselineFeatures(samples: Float32Array): Float32Array;
  isSilent(samples: Float32Array): boolean;
}

export interface MetricsWithGallery extends RetrievalMetrics {
  gallery_size: number;
}

export interface SplitEvaluation extends RetrievalMetrics {
  split: string;
  songs: number;
  gallery_scope: GalleryScope;
  /** Smallest gallery any query was ranked against (with scope `instrument`, galleries are per instrument). */
  gallery_size: number;
  /** Audible stem chunks in the split: the sum of all galleries. */
  gallery_size_total: number;
  baselines: { random: RetrievalMetrics; chroma_onset: RetrievalMetrics };
  per_instrument: Partial<
    Record<Instrument, MetricsWithGallery & { baselines: SplitEvaluation['baselines'] }>
  >;
  skipped: { silent_target: number; no_context: number };
  alignment: AlignmentCurve;
  /** Same curve with each prediction paired with a target from a different song: the content-free floor. */
  alignment_control: AlignmentCurve;
}

/** A full-mix chunk embedding with its song's labels, for the linear probes. */
export interface MixEmbedding {
  vector: Float32Array;
  baseline: Float32Array;
  keyClass: number;
  tempo: number;
}

export interface SplitRun {
  evaluation: SplitEvaluation;
  mixes: MixEmbedding[];
}

/**
 * `instrument` (the paper's protocol): a query competes only with chunks of its own instrument.
 * `all`: with every audible stem chunk of the split, whatever its instrument (a larger, harder gallery).
 */
export type GalleryScope = 'instrument' | 'all';

export interface EvaluateOptions {
  split: string;
  galleryScope?: GalleryScope;
  seed?: number;
  /** Largest alignment shift in seconds (±). */
  maxShiftSeconds?: number;
  onProgress?: (message: string) => void;
}

interface Query {
  instrument: Instrument;
  truthKey: string;
  predicted: Float32Array;
  baseline: Float32Array;
}

interface GalleryPair {
  model: Gallery;
  baseline: Gallery;
}

interface PendingChunk {
  samples: Float32Array;
  /** Filled in after the batched forward pass. */
  patches?: Float32Array;
}

export async function evaluateSplit(
  source: SongSource,
  embedder: ChunkEmbedder,
  featurizer: ChunkFeaturizer,
  options: EvaluateOptions,
): Promise<SplitRun> {
  const progress = options.onProgress ?? (() => {});
  const grid = embedder.grid;
  const { frontEnd, patch } = embedder.manifest;
  const stepSeconds = (patch.width * frontEnd.hopLength) / frontEnd.sampleRate;
  const maxShift = Math.min(grid.gridTime - 1, Math.round((options.maxShiftSeconds ?? 4) / stepSeconds));
  const alignment = new AlignmentAccumulator(grid, maxShift, stepSeconds);
  const control = new AlignmentAccumulator(grid, maxShift, stepSeconds);
  const lastTargetTimeline = new Map<Instrument, { songId: string; timeline: Float32Array }>();
  const scope = options.galleryScope ?? 'instrument';
  const galleries = new Map<string, GalleryPair>();
  const galleryOf = (instrument: Instrument) => (scope === 'all' ? 'all' : instrument);
  const queries: Query[] = [];
  const mixes: MixEmbedding[] = [];
  const skipped = { silent_target: 0, no_context: 0 };
  let songs = 0;
  const started = performance.now();

  for (const id of source.ids) {
    const song = await source.load(id);
    songs++;
    const chunkCount = Math.floor(
      Math.min(...song.stems.map((s) => s.signal.length)) / featurizer.chunkLength,
    );
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      const start = chunk * featurizer.chunkLength;
      const stemChunks = song.stems.map((stem) =>
        stem.signal.subarray(start, start + featurizer.chunkLength),
      );
      const audible = stemChunks.map((samples) => !featurizer.isSilent(samples));
      const targets: PendingChunk[] = stemChunks.map((samples) => ({ samples }));
      const contexts: (PendingChunk & { stem: number })[] = [];
      song.stems.forEach((_, held) => {
        if (!audible[held]) {
          skipped.silent_target++;
          return;
        }
        if (!audible.some((isAudible, other) => isAudible && other !== held)) {
          skipped.no_context++;
          return;
        }
        contexts.push({ stem: held, samples: mixOf(stemChunks.filter((_, other) => other !== held)) });
      });
      const fullMix: PendingChunk = { samples: mixOf(stemChunks) };
      const toEncode = [...targets.filter((_, i) => audible[i]), ...contexts, fullMix];
      const patches = await embedder.encode(toEncode.map((item) => featurizer.modelInput(item.samples)));
      toEncode.forEach((item, i) => {
        item.patches = patches[i];
      });
      const predictions = await embedder.predict(
        contexts.map((context) => context.patches!),
        contexts.map((context) => song.stems[context.stem].instrument),
      );

      song.stems.forEach((stem, index) => {
        if (!audible[index]) return;
        const galleryPair = galleryFor(
          galleries,
          galleryOf(stem.instrument),
          grid.dim,
          featurizer.baselineDim,
        );
        const key = chunkKey(song.id, stem.name, chunk);
        galleryPair.model.add(key, poolPatches(targets[index].patches!, grid).vector);
        galleryPair.baseline.add(key, featurizer.baselineFeatures(targets[index].samples));
      });
      contexts.forEach((context, i) => {
        const stem = song.stems[context.stem];
        const predicted = poolPatches(predictions[i], grid);
        const target = poolPatches(targets[context.stem].patches!, grid);
        alignment.add(predicted.timeline, target.timeline);
        const previous = lastTargetTimeline.get(stem.instrument);
        if (previous && previous.songId !== song.id) control.add(predicted.timeline, previous.timeline);
        queries.push({
          instrument: stem.instrument,
          truthKey: chunkKey(song.id, stem.name, chunk),
          predicted: predicted.vector,
          baseline: featurizer.baselineFeatures(context.samples),
        });
      });
      // Remember this chunk's targets only now, so a control pair never comes from the same song.
      song.stems.forEach((stem, index) => {
        if (audible[index] && (lastTargetTimeline.get(stem.instrument)?.songId ?? '') !== song.id) {
          lastTargetTimeline.set(stem.instrument, {
            songId: song.id,
            timeline: poolPatches(targets[index].patches!, grid).timeline,
          });
        }
      });
      if (!featurizer.isSilent(fullMix.samples)) {
        mixes.push({
          vector: poolPatches(fullMix.patches!, grid).vector,
          baseline: featurizer.baselineFeatures(fullMix.samples),
          keyClass: song.keyClass,
          tempo: song.tempo,
        });
      }
    }
    if (songs % 10 === 0 || songs === source.ids.length) {
      const seconds = (performance.now() - started) / 1000;
      progress(
        `[${options.split}] ${songs}/${source.ids.length} songs, ${queries.length} queries, ${seconds.toFixed(0)} s`,
      );
    }
  }
  if (queries.length === 0) throw new EmptySplitError(`${source.ids.length} songs`, options.split);

  return {
    evaluation: {
      split: options.split,
      songs,
      gallery_scope: scope,
      ...scoreQueries(
        queries,
        (instrument) => galleries.get(galleryOf(instrument))!,
        galleries,
        options.seed ?? 0,
      ),
      skipped,
      alignment: alignment.curve(),
      alignment_control: control.curve(),
    },
    mixes,
  };
}

type Scores = Pick<
  SplitEvaluation,
  keyof RetrievalMetrics | 'gallery_size' | 'gallery_size_total' | 'baselines' | 'per_instrument'
>;

/** Ranks every query in its instrument's gallery, with the model and with both baselines. */
function scoreQueries(
  queries: readonly Query[],
  galleryOf: (instrument: Instrument) => GalleryPair,
  galleries: Map<string, GalleryPair>,
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
    gallery_size_total: [...galleries.values()].reduce((sum, pair) => sum + pair.model.size, 0),
    baselines: { random: summarizeRanks(ranks.random), chroma_onset: summarizeRanks(ranks.chroma) },
    per_instrument,
  };
}

function galleryFor(galleries: Map<string, GalleryPair>, name: string, dim: number, baselineDim: number) {
  let pair = galleries.get(name);
  if (!pair) {
    pair = { model: new Gallery(dim), baseline: new Gallery(baselineDim) };
    galleries.set(name, pair);
  }
  return pair;
}

function chunkKey(songId: string, stemName: string, chunk: number): string {
  return `${songId}/${stemName}/${chunk}`;
}

function mixOf(chunks: readonly Float32Array[]): Float32Array {
  const mix = new Float32Array(chunks[0]?.length ?? 0);
  for (const chunk of chunks) for (let i = 0; i < mix.length; i++) mix[i] += chunk[i];
  return mix;
}

/**
 * Full-mix chunk embeddings (and baseline features) with their song labels, for training the
 * linear probes on a split that is not being evaluated.
 */
export async function collectMixEmbeddings(
  source: SongSource,
  embedder: ChunkEmbedder,
  featurizer: ChunkFeaturizer,
  onProgress: (message: string) => void = () => {},
): Promise<MixEmbedding[]> {
  const mixes: MixEmbedding[] = [];
  let songs = 0;
  for (const id of source.ids) {
    const song = await source.load(id);
    const chunkCount = Math.floor(
      Math.min(...song.stems.map((s) => s.signal.length)) / featurizer.chunkLength,
    );
    const chunks: Float32Array[] = [];
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      const start = chunk * featurizer.chunkLength;
      const mix = mixOf(
        song.stems.map((stem) => stem.signal.subarray(start, start + featurizer.chunkLength)),
      );
      if (!featurizer.isSilent(mix)) chunks.push(mix);
    }
    const patches = await embedder.encode(chunks.map((mix) => featurizer.modelInput(mix)));
    chunks.forEach((mix, i) => {
      mixes.push({
        vector: poolPatches(patches[i], embedder.grid).vector,
        baseline: featurizer.baselineFeatures(mix),
        keyClass: song.keyClass,
        tempo: song.tempo,
      });
    });
    if (++songs % 25 === 0 || songs === source.ids.length) {
      onProgress(`[probe train] ${songs}/${source.ids.length} songs, ${mixes.length} chunks`);
    }
  }
  return mixes;
}
