import type { LogMelConfig } from '../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../src/audio/log-mel.js';
import { buildMelFilterbank } from '../../src/audio/mel-filterbank.js';

/**
 * The chroma front end: the project's log-mel with a long window and many narrow mel bands
 * between 55 Hz and 2 kHz, fine enough (≈ 4–9 Hz per band) to resolve semitones down to the bass
 * register, which the model's 80-band front end cannot.
 */
export const CHROMA_FRONT_END: LogMelConfig = Object.freeze({
  kind: 'log-mel',
  sampleRate: 16_000,
  nMels: 192,
  nFft: 4096,
  winLength: 4096,
  // 0.2 s: the long FFT is the costly part, and chords change far more slowly.
  hopLength: 3200,
  fMin: 55,
  fMax: 2000,
  logEpsilon: 1e-10,
  chunkFrames: 40,
  normMean: 0,
  normStd: 1,
});

/** Pitch-class magnitudes over time, for the chroma baseline and the training's acoustic teacher. */
export class ChromaFrames {
  private readonly spectrogram = new LogMelSpectrogram(CHROMA_FRONT_END);
  /** Per chroma mel band: the two nearest pitch classes and their weights. */
  private readonly pitchClassWeights = buildMelFilterbank(CHROMA_FRONT_END).map((filter) => {
    // Pitch class of the band centre, continuous: 0 = C, 9 = A (440 Hz).
    const pitch = (((12 * Math.log2(filter.centreHz / 440) + 9) % 12) + 12) % 12;
    const low = Math.floor(pitch);
    return { low: low % 12, high: (low + 1) % 12, highWeight: pitch - low };
  });

  /** `[frames, 12]` frame-major magnitudes, one frame per `CHROMA_FRONT_END.hopLength` samples. */
  compute(samples: Float32Array): { frames: number; data: Float32Array } {
    const { nMels, nFrames, data } = this.spectrogram.compute(samples);
    const { logEpsilon } = CHROMA_FRONT_END;
    const out = new Float32Array(nFrames * 12);
    for (let frame = 0; frame < nFrames; frame++) {
      for (let mel = 0; mel < nMels; mel++) {
        // Magnitude (square root of the band power) keeps one loud note from drowning the rest.
        const magnitude = Math.sqrt(Math.max(0, Math.exp(data[mel * nFrames + frame]) - logEpsilon));
        const { low, high, highWeight } = this.pitchClassWeights[mel];
        out[frame * 12 + low] += magnitude * (1 - highWeight);
        out[frame * 12 + high] += magnitude * highWeight;
      }
    }
    return { frames: nFrames, data: out };
  }
}
