import { type FrontEndConfig, longestWindow } from '../../src/audio/frontend-config.js';
import { meanSquare } from '../../src/audio/level.js';
import type { Spectrogram } from '../../src/audio/spectrogram.js';

/**
 * Onset strength and its periodicity, read from a chunk's normalised log-mel. Shared by the
 * chroma + onset baseline (training/eval/baselines.ts) and the acoustic teacher's tempo
 * descriptor, so the model is taught the rhythm the baseline compares.
 */

/** Onset-strength autocorrelation lags in frames (10 ms): 0.2–1.5 s, i.e. 40–300 beats per minute. */
export const MIN_TEMPO_LAG = 20;
export const MAX_TEMPO_LAG = 150;
export const TEMPO_LAGS = MAX_TEMPO_LAG - MIN_TEMPO_LAG + 1;
/**
 * Mean squared spectral flux (nats² per frame) below which a chunk has no onsets worth a rhythm
 * descriptor: real note onsets give ≫ 1, rounding noise in a steady or silent chunk far less.
 */
const MIN_ONSET_ENERGY = 1e-4;
/** Dynamic range of the onset detector: 40 dB in nats of power. */
const ONSET_RANGE = Math.log(1e4);

/** Features as the model takes them (log-mel or CQT): bin-major, normalised by the front end's mean and std. */
export type NormalisedLogMel = Spectrogram;

/** Half-wave rectified spectral flux per frame (nats), mean removed; the padded edge frames stay 0. */
export function spectralFlux(logMel: NormalisedLogMel, frontEnd: FrontEndConfig): Float64Array {
  const { nBins: nMels, nFrames, data } = logMel;
  const { normStd } = frontEnd;
  const flux = new Float64Array(nFrames);
  // The first and last frames' windows hang over the chunk's edges, where the front end pads
  // with zeros: their level changes are the chunk boundary, not onsets in the music.
  const edge = Math.ceil(longestWindow(frontEnd) / 2 / frontEnd.hopLength) + 1;
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

/** Whether a flux signal holds onsets at all (see MIN_ONSET_ENERGY). */
export function hasOnsets(flux: Float64Array): boolean {
  return meanSquare(flux) >= MIN_ONSET_ENERGY;
}

/** Autocorrelation of `flux` at lags MIN_TEMPO_LAG..MAX_TEMPO_LAG (TEMPO_LAGS values), each normalised by the overlap length. */
export function tempoAutocorrelation(flux: Float64Array, out: Float32Array): void {
  for (let lag = MIN_TEMPO_LAG; lag <= MAX_TEMPO_LAG; lag++) {
    let sum = 0;
    for (let i = lag; i < flux.length; i++) sum += flux[i] * flux[i - lag];
    out[lag - MIN_TEMPO_LAG] = sum / Math.max(1, flux.length - lag);
  }
}
