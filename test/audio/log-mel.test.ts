import { describe, expect, it } from 'vitest';
import {
  buildMelFilterbank,
  chunkSamples,
  DEFAULT_FRONT_END,
  type LogMelConfig,
  LogMelSpectrogram,
  LogMelStatistics,
} from '../../src/audio/index.js';
import { noise, sine, sweep } from './signals.js';

const config = DEFAULT_FRONT_END;
const htkMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);

function argmaxMel(logMel: { nMels: number; nFrames: number; data: Float32Array }, frame: number): number {
  let best = 0;
  for (let m = 1; m < logMel.nMels; m++) {
    if (logMel.data[m * logMel.nFrames + frame] > logMel.data[best * logMel.nFrames + frame]) best = m;
  }
  return best;
}

/**
 * Straight from the definitions, with a naive DFT: window centred on each hop slot, periodic
 * Hann, |X|², HTK triangles, ln(x + ε).
 */
function referenceLogMel(samples: Float32Array, cfg: LogMelConfig, frames: number[]): number[][] {
  const { nFft, winLength, hopLength, sampleRate, nMels, fMin, fMax, logEpsilon } = cfg;
  const edgesHz = Array.from({ length: nMels + 2 }, (_, i) => {
    const mel = htkMel(fMin) + ((htkMel(fMax) - htkMel(fMin)) * i) / (nMels + 1);
    return 700 * (10 ** (mel / 2595) - 1);
  });
  return frames.map((f) => {
    const start = f * hopLength + hopLength / 2 - winLength / 2;
    const power: number[] = [];
    for (let k = 0; k <= nFft / 2; k++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < winLength; i++) {
        const at = start + i;
        const x = at >= 0 && at < samples.length ? samples[at] : 0;
        const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / winLength);
        re += x * w * Math.cos((2 * Math.PI * k * i) / nFft);
        im -= x * w * Math.sin((2 * Math.PI * k * i) / nFft);
      }
      power.push(re * re + im * im);
    }
    return Array.from({ length: nMels }, (_, m) => {
      let energy = 0;
      power.forEach((p, k) => {
        const hz = (k * sampleRate) / nFft;
        const up = (hz - edgesHz[m]) / (edgesHz[m + 1] - edgesHz[m]);
        const down = (edgesHz[m + 2] - hz) / (edgesHz[m + 2] - edgesHz[m + 1]);
        energy += Math.max(0, Math.min(up, down)) * p;
      });
      return Math.log(energy + logEpsilon);
    });
  });
}

describe('LogMelSpectrogram', () => {
  const spectrogram = new LogMelSpectrogram(config);

  it('turns exactly one 8 s chunk into 80 × 800 and n samples into floor(n / hop) frames', () => {
    const logMel = spectrogram.compute(new Float32Array(chunkSamples(config)));
    expect([logMel.nMels, logMel.nFrames, logMel.data.length]).toEqual([80, 800, 64_000]);
    expect(spectrogram.compute(new Float32Array(159)).nFrames).toBe(0);
    expect(spectrogram.compute(new Float32Array(161)).nFrames).toBe(1);
    expect(spectrogram.frameCount(16_000)).toBe(100);
  });

  it('matches a naive-DFT reference of the documented definition', () => {
    const samples = noise(16_000, 11, 0.3);
    for (let i = 0; i < samples.length; i++)
      samples[i] += 0.2 * Math.sin((2 * Math.PI * 523.25 * i) / 16_000);
    const frames = [0, 1, 37, 98, 99];
    const expected = referenceLogMel(samples, config, frames);
    const logMel = spectrogram.compute(samples);
    frames.forEach((frame, row) => {
      for (let m = 0; m < config.nMels; m++) {
        expect(Math.abs(logMel.data[m * logMel.nFrames + frame] - expected[row][m])).toBeLessThan(1e-3);
      }
    });
  });

  it('puts a 440 Hz sine in the mel band whose centre is nearest 440 Hz', () => {
    const logMel = spectrogram.compute(sine(440, 16_000, 16_000));
    const melStep = htkMel(config.fMax) / (config.nMels + 1);
    const expectedBand = Math.round(htkMel(440) / melStep) - 1; // band m is centred at (m + 1) steps
    for (const frame of [10, 50, 90]) expect(argmaxMel(logMel, frame)).toBe(expectedBand);
  });

  it('follows a rising sweep with a monotonic peak band', () => {
    const logMel = spectrogram.compute(sweep(100, 7_500, 16_000, 3 * 16_000));
    const peaks = Array.from({ length: logMel.nFrames - 4 }, (_, i) => argmaxMel(logMel, i + 2));
    for (let i = 1; i < peaks.length; i++) expect(peaks[i]).toBeGreaterThanOrEqual(peaks[i - 1]);
    expect(peaks[0]).toBeLessThan(8);
    expect(peaks[peaks.length - 1]).toBeGreaterThan(75);
  });

  it('maps silence to ln(epsilon) and applies the normalisation constants', () => {
    const silence = new Float32Array(1_600);
    expect(spectrogram.compute(silence).data.every((v) => v === Math.fround(Math.log(1e-6)))).toBe(true);
    const normalised = new LogMelSpectrogram({ ...config, normMean: -5, normStd: 2 });
    const raw = spectrogram.compute(noise(1_600, 5));
    const scaled = normalised.compute(noise(1_600, 5));
    raw.data.forEach((v, i) => {
      expect(scaled.data[i]).toBeCloseTo((v + 5) / 2, 5);
    });
  });

  it('centres frame f on the middle of hop slot f', () => {
    // Sample 8080 is the middle of slot 50; the 400-sample window of frame f spans
    // [160f - 120, 160f + 280), so frames 49–51 see it, and 49 and 51 symmetrically.
    const impulse = new Float32Array(16_000);
    impulse[8_080] = 1;
    const logMel = spectrogram.compute(impulse);
    const floor = Math.fround(Math.log(1e-6));
    const touched = Array.from({ length: logMel.nFrames }, (_, f) => f).filter((f) => logMel.data[f] > floor);
    expect(touched).toEqual([49, 50, 51]);
    for (let m = 0; m < logMel.nMels; m++) {
      expect(logMel.data[m * logMel.nFrames + 49]).toBeCloseTo(logMel.data[m * logMel.nFrames + 51], 4);
    }
  });

  it('computeInto fills a caller buffer at an offset, identical to compute', () => {
    const samples = noise(3_200, 9);
    const expected = spectrogram.compute(samples).data;
    const batch = new Float32Array(10 + expected.length).fill(Number.NaN);
    expect(spectrogram.computeInto(samples, batch, 10)).toBe(20);
    expect(batch.subarray(10)).toEqual(expected);
    expect(Number.isNaN(batch[9])).toBe(true);
    expect(() => spectrogram.computeInto(samples, new Float32Array(expected.length - 1))).toThrow(
      /needs 1600/,
    );
  });

  it('has a nonzero weight in every mel filter of the default configuration', () => {
    const filters = buildMelFilterbank(config);
    expect(filters).toHaveLength(80);
    for (const filter of filters) expect(filter.weights.some((w) => w > 0)).toBe(true);
  });

  it('rejects inconsistent configurations', () => {
    expect(() => new LogMelSpectrogram({ ...config, nFft: 500 })).toThrow(/power of two/);
    expect(() => new LogMelSpectrogram({ ...config, winLength: 1_024 })).toThrow(/exceeds nFft/);
    expect(() => new LogMelSpectrogram({ ...config, fMax: 9_000 })).toThrow(/Nyquist/);
  });
});

describe('LogMelStatistics', () => {
  it('gives the population mean and std regardless of how the values are batched', () => {
    const values = noise(10_001, 21, 4).map((v) => v - 7);
    let mean = 0;
    for (const v of values) mean += v / values.length;
    let variance = 0;
    for (const v of values) variance += (v - mean) ** 2 / values.length;

    const whole = new LogMelStatistics();
    whole.add(values);
    const split = new LogMelStatistics();
    split.add(values.subarray(0, 17));
    split.add({ nBins: 1, nFrames: 5_000, data: values.subarray(17, 5_017) });
    split.add(new Float32Array(0));
    split.add(values.subarray(5_017));
    for (const stats of [whole, split]) {
      expect(stats.count).toBe(10_001);
      expect(stats.result().normMean).toBeCloseTo(mean, 9);
      expect(stats.result().normStd).toBeCloseTo(Math.sqrt(variance), 9);
    }
  });

  it('normalises features to zero mean and unit std when fed back into the config', () => {
    const raw = new LogMelSpectrogram(config).compute(noise(16_000, 8));
    const stats = new LogMelStatistics();
    stats.add(raw);
    const normalised = new LogMelSpectrogram({ ...config, ...stats.result() }).compute(noise(16_000, 8));
    const check = new LogMelStatistics();
    check.add(normalised);
    expect(check.result().normMean).toBeCloseTo(0, 4);
    expect(check.result().normStd).toBeCloseTo(1, 4);
  });

  it('refuses to summarise nothing and keeps std 1 for constant input', () => {
    expect(() => new LogMelStatistics().result()).toThrow(RangeError);
    const constant = new LogMelStatistics();
    constant.add(new Float32Array(10).fill(-3));
    expect(constant.result()).toEqual({ normMean: -3, normStd: 1 });
  });
});
