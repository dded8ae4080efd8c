import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { meanSquare } from '../../src/audio/level.js';
import type { Spectrogram } from '../../src/audio/spectrogram.js';
import { normaliseInPlace } from '../../src/inference/pooling.js';
import { ChromaFrames } from '../data/chroma.js';
import { hasOnsets, spectralFlux, TEMPO_LAGS, tempoAutocorrelation } from '../data/onsets.js';

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
/** Onset envelope resolution in frames (80 ms), for where the accents fall in the chunk. */
const ENVELOPE_FRAMES = 8;
/**
 * Below this a chroma block is left at zero instead of being normalised: rounding noise in a
 * silent chunk would otherwise become a unit vector that looks like content. Summed band
 * magnitude per segment (a −60 dBFS tone gives ≈ 20). The onset blocks have `hasOnsets`.
 */
const MIN_CHROMA_NORM = 1e-2;

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
      tempo: TEMPO_LAGS,
      envelope: Math.ceil(frames / ENVELOPE_FRAMES),
    };
    this.dim = this.layout.chroma + this.layout.tempo + this.layout.envelope;
  }

  /**
   * `modelLogMel` is the chunk's log-mel from the model's front end (normalised as the model
   * takes it); the onset features are read from it instead of computing a second spectrogram.
   */
  extract(samples: Float32Array, modelLogMel: Spectrogram): Float32Array {
    const features = new Float32Array(this.dim);
    const chroma = features.subarray(0, this.layout.chroma);
    const tempo = features.subarray(this.layout.chroma, this.layout.chroma + this.layout.tempo);
    const envelope = features.subarray(this.layout.chroma + this.layout.tempo);
    this.segmentChroma(samples, chroma);
    const onsets = spectralFlux(modelLogMel, this.modelFrontEnd);
    if (hasOnsets(onsets)) {
      tempoAutocorrelation(onsets, tempo);
      pooledEnvelope(onsets, envelope);
      normaliseInPlace(tempo);
      normaliseInPlace(envelope);
    }
    normaliseInPlace(features);
    return features;
  }

  /**
   * The baseline's time-resolved view for the service's alignment step: `steps` rows (time-major,
   * each `dim` wide so rows compare by cosine with the catalog's code), row t holding the chroma
   * of that stretch of the chunk and its onset strength frame by frame, as two unit blocks; the
   * rest of the row is zero. Silent stretches stay zero rows.
   */
  timeline(samples: Float32Array, modelLogMel: Spectrogram, steps: number): Float32Array {
    const rows = new Float32Array(steps * this.dim);
    const { frames, data } = this.chroma.compute(samples);
    const onsets = spectralFlux(modelLogMel, this.modelFrontEnd);
    const onsetBins = Math.max(1, Math.min(this.dim - 12, Math.ceil(onsets.length / steps)));
    for (let step = 0; step < steps; step++) {
      const row = rows.subarray(step * this.dim, (step + 1) * this.dim);
      const chroma = row.subarray(0, 12);
      // The chroma front end's frames are coarser than the steps: a step takes at least its nearest frame.
      const firstFrame = Math.min(frames - 1, Math.floor((step * frames) / steps));
      const endFrame = Math.max(firstFrame + 1, Math.floor(((step + 1) * frames) / steps));
      for (let frame = firstFrame; frame < endFrame; frame++)
        for (let pitchClass = 0; pitchClass < 12; pitchClass++)
          chroma[pitchClass] += data[frame * 12 + pitchClass];
      const envelope = row.subarray(12, 12 + onsetBins);
      const first = Math.floor((step * onsets.length) / steps);
      const end = Math.floor(((step + 1) * onsets.length) / steps);
      for (let frame = first; frame < end; frame++)
        envelope[Math.floor(((frame - first) * onsetBins) / Math.max(1, end - first))] += Math.max(
          0,
          onsets[frame],
        );
      if (Math.sqrt(meanSquare(chroma) * 12) >= MIN_CHROMA_NORM) normaliseInPlace(chroma);
      else chroma.fill(0);
      normaliseInPlace(envelope);
      normaliseInPlace(row);
    }
    return rows;
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
}

function pooledEnvelope(signal: Float64Array, out: Float32Array): void {
  for (let i = 0; i < signal.length; i++) out[Math.floor(i / ENVELOPE_FRAMES)] += signal[i];
}
