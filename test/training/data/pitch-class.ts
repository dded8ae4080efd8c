import { DEFAULT_FRONT_END, type LogMelConfig } from '../../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../../src/audio/log-mel.js';
import { buildMelFilterbank } from '../../../src/audio/mel-filterbank.js';

/**
 * Pitch-class energy of a bass signal, measured with the project's own spectrogram: the same
 * LogMelSpectrogram the model uses, configured with a long window and many narrow mel bands over
 * 45-1000 Hz (bass notes start at G1, 49 Hz): about 2.5 Hz per band at 60 Hz, fine enough to
 * separate the semitones of a bass line.
 */
const BASS_ANALYSIS: LogMelConfig = {
  ...DEFAULT_FRONT_END,
  nFft: 8192,
  winLength: 8192,
  hopLength: 1600,
  nMels: 256,
  fMin: 45,
  fMax: 1000,
};

export class PitchClassAnalyser {
  private readonly spectrogram = new LogMelSpectrogram(BASS_ANALYSIS);
  private readonly bandPitchClass = buildMelFilterbank(BASS_ANALYSIS).map(
    (filter) => (((Math.round(12 * Math.log2(filter.centreHz / 440)) + 9) % 12) + 12) % 12,
  );

  /**
   * Votes per pitch class: in every frame the lowest spectral peak within 12 dB of the frame's
   * strongest band is taken as the note's fundamental (bass samples often carry more energy in
   * their upper partials than in the fundamental, so the strongest band alone would often name
   * the fifth or the octave), weighted by the frame's energy.
   */
  profile(samples: Float32Array): Float64Array {
    const { nMels, nFrames, data } = this.spectrogram.compute(samples);
    const votes = new Float64Array(12);
    const band = new Float64Array(nMels);
    for (let frame = 0; frame < nFrames; frame++) {
      let strongest = 0;
      for (let mel = 0; mel < nMels; mel++) {
        band[mel] = Math.exp(data[mel * nFrames + frame]);
        strongest = Math.max(strongest, band[mel]);
      }
      const floor = strongest * 10 ** (-12 / 10);
      for (let mel = 1; mel < nMels - 1; mel++) {
        if (band[mel] >= floor && band[mel] >= band[mel - 1] && band[mel] >= band[mel + 1]) {
          votes[this.bandPitchClass[mel]] += strongest;
          break;
        }
      }
    }
    return votes;
  }

  dominant(samples: Float32Array): number {
    const votes = this.profile(samples);
    return votes.indexOf(Math.max(...votes));
  }
}
