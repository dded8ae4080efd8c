import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import type { LogMel } from '../../src/audio/log-mel.js';
import { normaliseInPlace } from '../../src/inference/pooling.js';
import { ChromaFrames } from '../data/chroma.js';

/**
 * The two reference rankings the model is compared with.
 *
 * - Random: the ground truth lands at a uniformly random rank (expected recall@1 = 1 / gallery).
 * - Chroma + onset: a non-learned "mashability" score in the spirit of AutoMashUpper (Davies et
 *   al., 2014): harmonic agreement from chroma, rhythmic agreement from onset-strength tempo and
 *   timing, compared by cosine like the learned embeddings.
 */

/** 1-based rank of the ground truth under a uniformly random ordering of the gallery. */
export function randomRank(gallerySize: number, random: () => number): number {
  return 1 + Math.floor(random() * gallerySize);
}

/** Chroma is summarised per segment, so the feature says which chords sound when. */
const CHROMA_SEGMENTS = 4;
/** Onset-strength autocorrelation lags in frames (10 ms): 0.2–1.5 s, i.e. 40–300 beats per minute. */
const MIN_LAG = 20;
const MAX_LAG = 150;
/** Onset envelope resolution in frames (80 ms), for where the accents fall in the chunk. */
const ENVELOPE_FRAMES = 8;
/**
 * Below these a block is left at zero instead of being normalised: rounding noise in a silent
 * or perfectly steady chunk would otherwise become a unit vector that looks like content.
 * Chroma: summed band magnitude per segment (a −60 dBFS tone gives ≈ 20). Onsets: mean squared
 * spectral flux in nats² per frame (real note onsets give ≫ 1).
 */
const MIN_CHROMA_NORM = 1e-2;
const MIN_ONSET_ENERGY = 1e-4;
/** Dynamic range of the onset detector: 40 dB in nats of power. */
const ONSET_RANGE = Math.log(1e4);

export interface BaselineFeatureLayout {
  chroma: number;
  tempo: number;
  envelope: number;
}

/**
 * Concatenation of three unit-length blocks, weighted equally: segment chroma, onset-strength
 * autocorrelation (tempo and metre), and the onset envelope. Unit length overall.
 */
export class ChromaOnsetFeatures {
  readonly layout: BaselineFeatureLayout;
  readonly dim: number;
  private readonly chroma = new ChromaFrames();

  constructor(private readonly modelFrontEnd: FrontEndConfig) {
    const frames = modelFrontEnd.chunkFrames;
    this.layout = {
      chroma: 12 * CHROMA_SEGMENTS,
      tempo: MAX_LAG - MIN_LAG + 1,
      envelope: Math.ceil(frames / ENVELOPE_FRAMES),
    };
    this.dim = this.layout.chroma + this.layout.tempo + this.layout.envelope;
  }

  /**
   * `modelLogMel` is the chunk's log-mel from the model's front end (normalised as the model
   * takes it); the onset features are read from it instead of computing a second spectrogram.
   */
  extract(samples: Float32Array, modelLogMel: LogMel): Float32Array {
    const features = new Float32Array(this.dim);
    const chroma = features.subarray(0, this.layout.chroma);
    const tempo = features.subarray(this.layout.chroma, this.layout.chroma + this.layout.tempo);
    const envelope = features.subarray(this.layout.chroma + this.layout.tempo);
    this.segmentChroma(samples, chroma);
    const onsets = this.onsetStrength(modelLogMel);
    if (meanSquare(onsets) >= MIN_ONSET_ENERGY) {
      autocorrelation(onsets, tempo);
      pooledEnvelope(onsets, envelope);
      normaliseInPlace(tempo);
      normaliseInPlace(envelope);
    }
    normaliseInPlace(features);
    return features;
  }

  private segmentChroma(samples: Float32Array, out: Float32Array): void {
    const { frames, data } = this.chroma.compute(samples);
    for (let frame = 0; frame < frames; frame++) {
      const segment = Math.min(CHROMA_SEGMENTS - 1, Math.floor((frame * CHROMA_SEGMENTS) / frames));
      for (let pitchClass = 0; pitchClass < 12; pitchClass++) {
        out[segment * 12 + pitchClass] += data[frame * 12 + pitchClass];
      }
    }
    for (let segment = 0; segment < CHROMA_SEGMENTS; segment++) {
      const block = out.subarray(segment * 12, (segment + 1) * 12);
      if (Math.sqrt(meanSquare(block) * 12) >= MIN_CHROMA_NORM) normaliseInPlace(block);
      else block.fill(0);
    }
    // Each segment is unit length (or zero); scale so the whole chroma block is at most unit length.
    for (let i = 0; i < out.length; i++) out[i] /= Math.sqrt(CHROMA_SEGMENTS);
  }

  /** Half-wave rectified spectral flux of the (un-normalised) log-mel, mean removed. */
  private onsetStrength(logMel: LogMel): Float64Array {
    const { nMels, nFrames, data } = logMel;
    const { normStd } = this.modelFrontEnd;
    const flux = new Float64Array(nFrames);
    // The first and last frames' windows hang over the chunk's edges, where the front end pads
    // with zeros: their level changes are the chunk boundary, not onsets in the music.
    const edge = Math.ceil(this.modelFrontEnd.winLength / 2 / this.modelFrontEnd.hopLength) + 1;
    const firstFrame = edge;
    const endFrame = nFrames - edge;
    // Levels more than ONSET_RANGE below the chunk's loudest band are clamped: the log of faint
    // window leakage swings wildly from frame to frame and would read as onsets.
    let peak = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < data.length; i++) peak = Math.max(peak, data[i]);
    const floor = peak - ONSET_RANGE / normStd;
    const level = (i: number) => Math.max(floor, data[i]);
    for (let mel = 0; mel < nMels; mel++) {
      const row = mel * nFrames;
      for (let frame = firstFrame; frame < endFrame; frame++) {
        const rise = (level(row + frame) - level(row + frame - 1)) * normStd;
        if (rise > 0) flux[frame] += rise;
      }
    }
    const mean = flux.reduce((sum, value) => sum + value, 0) / Math.max(1, endFrame - firstFrame);
    for (let frame = firstFrame; frame < endFrame; frame++) flux[frame] -= mean;
    return flux;
  }
}

function meanSquare(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return values.length > 0 ? sum / values.length : 0;
}

/** Autocorrelation of `signal` at lags MIN_LAG..MAX_LAG, each normalised by the overlap length. */
function autocorrelation(signal: Float64Array, out: Float32Array): void {
  for (let lag = MIN_LAG; lag <= MAX_LAG; lag++) {
    let sum = 0;
    for (let i = lag; i < signal.length; i++) sum += signal[i] * signal[i - lag];
    out[lag - MIN_LAG] = sum / Math.max(1, signal.length - lag);
  }
}

function pooledEnvelope(signal: Float64Array, out: Float32Array): void {
  for (let i = 0; i < signal.length; i++) out[Math.floor(i / ENVELOPE_FRAMES)] += signal[i];
}
