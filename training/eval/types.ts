import type { Instrument } from '../../src/instruments.js';
import type { AlignmentCurve } from './alignment.js';
import type { RetrievalMetrics } from './retrieval.js';

/** The shapes the evaluation passes around: songs in, per-split results out. */

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
  /** Seconds per bar (from the song's tempo and metre), for bar-relative alignment. */
  barSeconds: number;
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
  /** Optionally computes the features of these chunks ahead of use (e.g. in worker threads). */
  prepare?(chunks: readonly Float32Array[]): Promise<void>;
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
export const GALLERY_SCOPES: readonly GalleryScope[] = ['instrument', 'all'];

export interface EvaluateOptions {
  split: string;
  galleryScope?: GalleryScope;
  seed?: number;
  /** Largest alignment shift in seconds (±). */
  maxShiftSeconds?: number;
  onProgress?: (message: string) => void;
}
