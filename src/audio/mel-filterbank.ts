import type { LogMelConfig } from './frontend-config.js';

/**
 * Mel filterbank on the HTK mel scale (mel = 2595 · log10(1 + f / 700)) with unnormalised
 * triangular filters (peak weight 1), as torchaudio's MelSpectrogram builds by default. Filters
 * are stored sparsely: only the FFT bins a triangle covers.
 */
export interface MelFilter {
  /** First FFT bin with a nonzero weight. */
  startBin: number;
  weights: Float32Array;
  centreHz: number;
}

export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export function buildMelFilterbank(config: LogMelConfig): MelFilter[] {
  const bins = config.nFft / 2 + 1;
  const binHz = (bin: number) => (bin * config.sampleRate) / config.nFft;
  const lowMel = hzToMel(config.fMin);
  const highMel = hzToMel(config.fMax);
  // nMels + 2 edges equally spaced in mel: filter m rises from edge m to m+1 and falls to m+2.
  const edges = Array.from({ length: config.nMels + 2 }, (_, i) =>
    melToHz(lowMel + ((highMel - lowMel) * i) / (config.nMels + 1)),
  );
  return Array.from({ length: config.nMels }, (_, m) => {
    const [left, centre, right] = [edges[m], edges[m + 1], edges[m + 2]];
    const weights: number[] = [];
    let startBin = -1;
    for (let bin = 0; bin < bins; bin++) {
      const hz = binHz(bin);
      const weight = Math.max(0, Math.min((hz - left) / (centre - left), (right - hz) / (right - centre)));
      if (weight > 0) {
        if (startBin < 0) startBin = bin;
        // Bins between nonzero ones cannot be zero for a triangle, so the run is contiguous.
        weights.push(weight);
      }
    }
    return { startBin: Math.max(0, startBin), weights: Float32Array.from(weights), centreHz: centre };
  });
}
