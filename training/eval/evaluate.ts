import { poolPatches } from '../../src/inference/pooling.js';
import type { Instrument } from '../../src/instruments.js';
import { AlignmentAccumulator } from './alignment.js';
import type { ChunkEmbedder } from './embed.js';
import { EmptySplitError } from './errors.js';
import { Gallery } from './retrieval.js';
import { type GalleryPair, type Query, scoreQueries } from './scoring.js';
import {
  type ChunkFeaturizer,
  type EvalSong,
  type EvaluateOptions,
  GALLERY_SCOPES,
  type GalleryScope,
  type MixEmbedding,
  type SongSource,
  type SplitEvaluation,
  type SplitRun,
} from './types.js';

/**
 * The paper's missing-stem retrieval protocol on one corpus split. For every song, 8 s chunk
 * (fixed grid, no overlap) and stem audible in that chunk: the query is the mix of the song's
 * other stems in the chunk, encoded and passed through the predictor conditioned on the stem's
 * instrument; it is ranked against every audible chunk of every stem of that instrument in the
 * split; the ground truth is the held-out stem's own chunk.
 */

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
  // One song ahead: its features are computed (in workers, when the featurizer has them) while
  // the model runs on the current one.
  let next = source.ids.length > 0 ? prepareSong(source, source.ids[0], featurizer, collector.skipped) : null;
  for (let done = 0; next; done++) {
    const { song, plans } = await next;
    next =
      done + 1 < source.ids.length
        ? prepareSong(source, source.ids[done + 1], featurizer, collector.skipped)
        : null;
    for (const plan of plans)
      collector.addChunk(song, plan, await encodeChunk(song, plan, embedder, featurizer));
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

async function prepareSong(
  source: SongSource,
  id: string,
  featurizer: ChunkFeaturizer,
  skipped: SplitEvaluation['skipped'],
): Promise<{ song: EvalSong; plans: ChunkPlan[] }> {
  const song = await source.load(id);
  const plans = [...planChunks(song, featurizer, skipped)];
  await featurizer.prepare?.(plans.flatMap(chunksToFeaturize));
  return { song, plans };
}

/** Every chunk of a plan whose features are used: audible stems, contexts, the full mix. */
function chunksToFeaturize(plan: ChunkPlan): Float32Array[] {
  return [
    ...plan.stemChunks.filter((_, i) => plan.audible[i]),
    ...plan.contexts.map((context) => context.samples),
    plan.fullMix,
  ];
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
  const inputs = chunksToFeaturize(plan);
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

function chunkKey(songId: string, stemName: string, chunk: number): string {
  return `${songId}/${stemName}/${chunk}`;
}

export function mixOf(chunks: readonly Float32Array[]): Float32Array {
  const mix = new Float32Array(chunks[0]?.length ?? 0);
  for (const chunk of chunks) for (let i = 0; i < mix.length; i++) mix[i] += chunk[i];
  return mix;
}

/** The mix of a song's stems but the `held` one: the query context when that stem is the target. */
export function mixOfOthers(stems: readonly { signal: Float32Array }[], held: number): Float32Array {
  return mixOf(stems.filter((_, i) => i !== held).map((stem) => stem.signal));
}
