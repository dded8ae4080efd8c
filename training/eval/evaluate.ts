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
  /** The same queries ranked with the other gallery scope, headline numbers only. */
  other_scope: ScopeSummary;
  alignment: AlignmentCurve;
  /** Same curve with each prediction paired with a target from a different song: the content-free floor. */
  alignment_control: AlignmentCurve;
}

export interface ScopeSummary extends RetrievalMetrics {
  gallery_scope: GalleryScope;
  gallery_size: number;
  baselines: SplitEvaluation['baselines'];
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
const GALLERY_SCOPES: readonly GalleryScope[] = ['instrument', 'all'];

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

/** One chunk of one song, cut into what the protocol encodes. */
interface ChunkPlan {
  index: number;
  stemChunks: Float32Array[];
  audible: boolean[];
  /** One query per audible stem that has an audible partner: the mix of the other stems. */
  contexts: { stem: number; samples: Float32Array }[];
  fullMix: Float32Array;
}

/** Encoder outputs for a planned chunk, and the predictor's output for each context. */
interface EncodedChunk {
  /** Patch embeddings of each audible stem chunk (undefined for silent ones). */
  targets: (Float32Array | undefined)[];
  predictions: Float32Array[];
  fullMix: Float32Array;
}

export async function evaluateSplit(
  source: SongSource,
  embedder: ChunkEmbedder,
  featurizer: ChunkFeaturizer,
  options: EvaluateOptions,
): Promise<SplitRun> {
  const progress = options.onProgress ?? (() => {});
  const collector = new SplitCollector(embedder, featurizer, options);
  const started = performance.now();
  for (const [done, id] of source.ids.entries()) {
    const song = await source.load(id);
    for (const plan of planChunks(song, featurizer, collector.skipped)) {
      collector.addChunk(song, plan, await encodeChunk(song, plan, embedder, featurizer));
    }
    collector.finishSong();
    if ((done + 1) % 10 === 0 || done + 1 === source.ids.length) {
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      progress(
        `[${options.split}] ${done + 1}/${source.ids.length} songs, ${collector.queryCount} queries, ${seconds} s`,
      );
    }
  }
  if (collector.queryCount === 0) throw new EmptySplitError(`${source.ids.length} songs`, options.split);
  return collector.result(source.ids.length);
}

function* planChunks(song: EvalSong, featurizer: ChunkFeaturizer, skipped: SplitEvaluation['skipped']) {
  const length = featurizer.chunkLength;
  const chunkCount = Math.floor(Math.min(...song.stems.map((stem) => stem.signal.length)) / length);
  for (let index = 0; index < chunkCount; index++) {
    const stemChunks = song.stems.map((stem) => stem.signal.subarray(index * length, (index + 1) * length));
    const audible = stemChunks.map((samples) => !featurizer.isSilent(samples));
    const contexts: ChunkPlan['contexts'] = [];
    audible.forEach((isAudible, held) => {
      if (!isAudible) skipped.silent_target++;
      else if (!audible.some((other, i) => other && i !== held)) skipped.no_context++;
      else contexts.push({ stem: held, samples: mixOf(stemChunks.filter((_, other) => other !== held)) });
    });
    yield { index, stemChunks, audible, contexts, fullMix: mixOf(stemChunks) } satisfies ChunkPlan;
  }
}

/** Audible stems, contexts and the full mix through the encoder in one batch; contexts then through the predictor. */
async function encodeChunk(
  song: EvalSong,
  plan: ChunkPlan,
  embedder: ChunkEmbedder,
  featurizer: ChunkFeaturizer,
): Promise<EncodedChunk> {
  const audibleStems = plan.stemChunks.filter((_, i) => plan.audible[i]);
  const inputs = [...audibleStems, ...plan.contexts.map((context) => context.samples), plan.fullMix];
  const patches = await embedder.encode(inputs.map((samples) => featurizer.modelInput(samples)));
  let next = 0;
  const targets = plan.audible.map((isAudible) => (isAudible ? patches[next++] : undefined));
  const contextPatches = patches.slice(next, next + plan.contexts.length);
  const predictions = await embedder.predict(
    contextPatches,
    plan.contexts.map((context) => song.stems[context.stem].instrument),
  );
  return { targets, predictions, fullMix: patches[patches.length - 1] };
}

/** Everything the split's metrics are computed from, filled chunk by chunk. */
class SplitCollector {
  readonly skipped = { silent_target: 0, no_context: 0 };
  private readonly scope: GalleryScope;
  private readonly galleries = new Map<string, GalleryPair>();
  private readonly queries: Query[] = [];
  private readonly mixes: MixEmbedding[] = [];
  private readonly alignment: AlignmentAccumulator;
  private readonly control: AlignmentAccumulator;
  /** Per instrument, a target timeline from an earlier song: the control pairs' partner. */
  private readonly earlierTarget = new Map<Instrument, Float32Array>();
  private readonly thisSongTarget = new Map<Instrument, Float32Array>();

  constructor(
    private readonly embedder: ChunkEmbedder,
    private readonly featurizer: ChunkFeaturizer,
    private readonly options: EvaluateOptions,
  ) {
    this.scope = options.galleryScope ?? 'instrument';
    const { frontEnd, patch } = embedder.manifest;
    const grid = embedder.grid;
    const stepSeconds = (patch.width * frontEnd.hopLength) / frontEnd.sampleRate;
    const maxShift = Math.min(grid.gridTime - 1, Math.round((options.maxShiftSeconds ?? 4) / stepSeconds));
    this.alignment = new AlignmentAccumulator(grid, maxShift, stepSeconds);
    this.control = new AlignmentAccumulator(grid, maxShift, stepSeconds);
  }

  get queryCount(): number {
    return this.queries.length;
  }

  addChunk(song: EvalSong, plan: ChunkPlan, encoded: EncodedChunk): void {
    const grid = this.embedder.grid;
    const targetTimelines = new Map<number, Float32Array>();
    song.stems.forEach((stem, index) => {
      const patches = encoded.targets[index];
      if (!patches) return;
      const pooled = poolPatches(patches, grid);
      targetTimelines.set(index, pooled.timeline);
      this.thisSongTarget.set(stem.instrument, pooled.timeline);
      const key = chunkKey(song.id, stem.name, plan.index);
      const baseline = this.featurizer.baselineFeatures(plan.stemChunks[index]);
      for (const scope of GALLERY_SCOPES) {
        const gallery = this.galleryOf(stem.instrument, scope);
        gallery.model.add(key, pooled.vector);
        gallery.baseline.add(key, baseline);
      }
    });
    plan.contexts.forEach((context, i) => {
      const stem = song.stems[context.stem];
      const predicted = poolPatches(encoded.predictions[i], grid);
      this.alignment.add(predicted.timeline, targetTimelines.get(context.stem)!);
      const earlier = this.earlierTarget.get(stem.instrument);
      if (earlier) this.control.add(predicted.timeline, earlier);
      this.queries.push({
        instrument: stem.instrument,
        truthKey: chunkKey(song.id, stem.name, plan.index),
        predicted: predicted.vector,
        baseline: this.featurizer.baselineFeatures(context.samples),
      });
    });
    if (!this.featurizer.isSilent(plan.fullMix)) {
      this.mixes.push({
        vector: poolPatches(encoded.fullMix, grid).vector,
        baseline: this.featurizer.baselineFeatures(plan.fullMix),
        keyClass: song.keyClass,
        tempo: song.tempo,
      });
    }
  }

  /** Only after a song ends do its targets become control partners, so a control never shares a song. */
  finishSong(): void {
    for (const [instrument, timeline] of this.thisSongTarget) this.earlierTarget.set(instrument, timeline);
    this.thisSongTarget.clear();
  }

  result(songs: number): SplitRun {
    const seed = this.options.seed ?? 0;
    const otherScope: GalleryScope = this.scope === 'all' ? 'instrument' : 'all';
    const other = scoreQueries(this.queries, (instrument) => this.galleryOf(instrument, otherScope), seed);
    const { per_instrument: _perInstrument, ...otherHeadline } = other;
    return {
      evaluation: {
        split: this.options.split,
        songs,
        gallery_scope: this.scope,
        ...scoreQueries(this.queries, (instrument) => this.galleryOf(instrument, this.scope), seed),
        gallery_size_total: this.galleries.get('all')?.model.size ?? 0,
        skipped: { ...this.skipped },
        other_scope: { gallery_scope: otherScope, ...otherHeadline },
        alignment: this.alignment.curve(),
        alignment_control: this.control.curve(),
      },
      mixes: this.mixes,
    };
  }

  /** Per-instrument galleries and the all-stems one are filled side by side; instruments are never named 'all'. */
  private galleryOf(instrument: Instrument, scope: GalleryScope): GalleryPair {
    const name = scope === 'all' ? 'all' : instrument;
    let pair = this.galleries.get(name);
    if (!pair) {
      pair = {
        model: new Gallery(this.embedder.grid.dim),
        baseline: new Gallery(this.featurizer.baselineDim),
      };
      this.galleries.set(name, pair);
    }
    return pair;
  }
}

type Scores = Pick<SplitEvaluation, keyof RetrievalMetrics | 'gallery_size' | 'baselines' | 'per_instrument'>;

/** Ranks every query in its instrument's gallery, with the model and with both baselines. */
function scoreQueries(
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
