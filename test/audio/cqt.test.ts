import { describe, expect, it } from 'vitest';
import {
  AudioOptionError,
  AudioProcessor,
  ConstantQSpectrogram,
  type CqtConfig,
  chunkSamples,
  cqtFrequencies,
  createFrontEnd,
  DEFAULT_CQT_FRONT_END,
  DEFAULT_FRONT_END,
  encodeWav,
  FrontEndPool,
  LogMelSpectrogram,
  type Spectrogram,
} from '../../src/audio/index.js';
import { noise, sine } from './signals.js';

const RATE = DEFAULT_CQT_FRONT_END.sampleRate;
const FRAMES = DEFAULT_CQT_FRONT_END.chunkFrames;
const CHUNK = chunkSamples(DEFAULT_CQT_FRONT_END);
const cqt = new ConstantQSpectrogram(DEFAULT_CQT_FRONT_END);
const mel = new LogMelSpectrogram(DEFAULT_FRONT_END);

function at(spectrogram: Spectrogram, bin: number, frame: number): number {
  return spectrogram.data[bin * spectrogram.nFrames + frame];
}

/** Mean power (not log) of every bin over the middle frames, where no window reaches an edge. */
function meanPower(spectrogram: Spectrogram, epsilon: number): number[] {
  const { nBins, nFrames } = spectrogram;
  const [first, end] = [Math.floor(nFrames / 4), Math.floor((3 * nFrames) / 4)];
  return Array.from({ length: nBins }, (_, bin) => {
    let sum = 0;
    for (let frame = first; frame < end; frame++) sum += Math.exp(at(spectrogram, bin, frame)) - epsilon;
    return sum / (end - first);
  });
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Bins that are strict local maxima and within `rangeDb` of the loudest one. */
function peaks(power: number[], rangeDb: number): number[] {
  const floor = Math.max(...power) * 10 ** (-rangeDb / 10);
  return power.flatMap((value, bin) =>
    value >= floor && value > (power[bin - 1] ?? 0) && value > (power[bin + 1] ?? 0) ? [bin] : [],
  );
}

function mix(...signals: Float32Array[]): Float32Array {
  const out = new Float32Array(signals[0].length);
  for (const signal of signals) for (let i = 0; i < out.length; i++) out[i] += signal[i];
  return out;
}

describe('ConstantQSpectrogram', () => {
  it('has 84 semitone bins from C1 (32.7 Hz) to B7 (3951 Hz)', () => {
    const frequencies = cqtFrequencies(DEFAULT_CQT_FRONT_END);
    expect(frequencies).toHaveLength(84);
    expect(frequencies[0]).toBeCloseTo(32.703, 3);
    expect(frequencies[45]).toBeCloseTo(440, 9);
    expect(frequencies[83]).toBeCloseTo(3951.066, 2);
  });

  it('puts a pure tone on its own bin at unit gain, in the decimated and the full-rate band', () => {
    const frequencies = cqtFrequencies(DEFAULT_CQT_FRONT_END);
    // 0-73 are computed at 6.4 kHz from one FFT per chunk, 74-83 at 16 kHz one frame at a time.
    for (const bin of [0, 7, 19, 33, 50, 64, 73, 74, 79, 83]) {
      const spectrogram = cqt.compute(sine(frequencies[bin], RATE, CHUNK, 0.5));
      const frame = FRAMES / 2;
      const column = Array.from({ length: 84 }, (_, b) => at(spectrogram, b, frame));
      expect(argmax(column), `tone at bin ${bin}`).toBe(bin);
      // A sinusoid of amplitude A reads (A/2)² in its bin: ln(0.0625).
      expect(column[bin]).toBeCloseTo(Math.log(0.0625 + 1e-6), 2);
      // One bin away the Hann kernel passes half the amplitude (a quarter of the power).
      if (bin > 0) expect(column[bin - 1] - column[bin]).toBeCloseTo(Math.log(0.25), 1);
    }
  });

  it('resolves tones a semitone apart at 55/58.3 Hz and 110/116.5 Hz, which the log-mel cannot', () => {
    const tones = [55, 55 * 2 ** (1 / 12), 110, 110 * 2 ** (1 / 12)];
    // At 12 bins per octave each tone has its own bin (adjacent bins: one peak per tone pair is
    // all a semitone grid can show); at 24 bins per octave a quarter-tone bin between them dips.
    const fine: CqtConfig = { ...DEFAULT_CQT_FRONT_END, binsPerOctave: 24, nBins: 96 };
    const fineFrequencies = cqtFrequencies(fine);
    const both = mix(...tones.map((f) => sine(f, RATE, CHUNK, 0.25)));
    const power = meanPower(new ConstantQSpectrogram(fine).compute(both), fine.logEpsilon);
    const toneBins = tones.map((f) => fineFrequencies.findIndex((centre) => Math.abs(centre - f) < 0.01));
    expect(toneBins).toEqual([18, 20, 42, 44]);
    expect(peaks(power, 20)).toEqual(toneBins);
    for (const [low, high] of [
      [18, 20],
      [42, 44],
    ]) {
      expect(power[low + 1]).toBeLessThan(0.7 * Math.min(power[low], power[high]));
    }

    const defaultBins = tones.map((f) => argmax(meanPower(cqt.compute(sine(f, RATE, CHUNK)), 1e-6)));
    expect(defaultBins).toEqual([9, 10, 21, 22]);

    // The log-mel (31 Hz FFT bins, ~22 Hz mel bands down there) shows each pair as one peak, and
    // both tones of the 55 Hz pair peak in the same band.
    const melPower = meanPower(mel.compute(both), DEFAULT_FRONT_END.logEpsilon);
    expect(peaks(melPower.slice(0, 12), 20)).toHaveLength(1);
    const [low, high] = tones
      .slice(0, 2)
      .map((f) => argmax(meanPower(mel.compute(sine(f, RATE, CHUNK)), 1e-6)));
    expect(low).toBe(high);
  });

  it('puts an onset in the frame whose centre it precedes, as the log-mel does, in every band', () => {
    const frequencies = cqtFrequencies(DEFAULT_CQT_FRONT_END);
    const hop = DEFAULT_CQT_FRONT_END.hopLength;
    // Half-way between the centres of frames 300 (sample 48 080) and 301 (48 240).
    const onset = 300 * hop + hop;
    for (const bin of [21, 57, 80]) {
      const tone = sine(frequencies[bin], RATE, CHUNK, 0.5).fill(0, 0, onset);
      const spectrogram = cqt.compute(tone);
      const steady = at(spectrogram, bin, 600);
      // Half the window's mass past the onset = half the amplitude = steady power - ln 4.
      const threshold = steady - Math.log(4);
      const first = Array.from({ length: FRAMES }, (_, f) => at(spectrogram, bin, f)).findIndex(
        (value) => value >= threshold,
      );
      expect(first, `bin ${bin}`).toBe(301);
    }
    const melTone = sine(1000, RATE, CHUNK, 0.5).fill(0, 0, onset);
    const melSpectrogram = mel.compute(melTone);
    const band = argmax(Array.from({ length: 80 }, (_, m) => at(melSpectrogram, m, 600)));
    const melSteady = at(melSpectrogram, band, 600);
    const melFirst = Array.from({ length: FRAMES }, (_, f) => at(melSpectrogram, band, f)).findIndex(
      (value) => value >= melSteady - Math.log(4),
    );
    expect(melFirst).toBe(301);
  });

  it('is continuous across the decimated band’s FFT blocks on long inputs', () => {
    // 20 s = 2000 frames: three blocks of at most 973 frames at 6.4 kHz.
    const frequencies = cqtFrequencies(DEFAULT_CQT_FRONT_END);
    const bins = [0, 39, 73, 80];
    const spectrogram = cqt.compute(mix(...bins.map((bin) => sine(frequencies[bin], RATE, 20 * RATE, 0.2))));
    expect(spectrogram.nFrames).toBe(2000);
    for (const bin of bins) {
      const values = Array.from({ length: 1800 }, (_, i) => at(spectrogram, bin, 100 + i));
      expect(Math.max(...values) - Math.min(...values), `bin ${bin}`).toBeLessThan(1e-3);
    }
  });

  it('gives digital silence exactly ln(logEpsilon), normalised, and depends on the chunk only', () => {
    const config = { ...DEFAULT_CQT_FRONT_END, normMean: -5, normStd: 2 };
    const silence = new ConstantQSpectrogram(config).compute(new Float32Array(CHUNK));
    const expected = Math.fround((Math.log(config.logEpsilon) + 5) / 2);
    expect(silence.data.every((value) => value === expected)).toBe(true);

    const chunk = noise(CHUNK, 4);
    const first = cqt.compute(chunk).data;
    cqt.compute(noise(3 * CHUNK, 5)); // other inputs in between do not leak into the next call
    expect(cqt.compute(chunk).data).toEqual(first);
  });

  it('writes into a caller buffer at an offset and refuses one that is too small', () => {
    const chunk = noise(CHUNK, 6);
    const out = new Float32Array(10 + 84 * FRAMES);
    expect(cqt.computeInto(chunk, out, 10)).toBe(FRAMES);
    expect(out.subarray(10)).toEqual(cqt.compute(chunk).data);
    expect(() => cqt.computeInto(chunk, new Float32Array(84 * FRAMES - 1))).toThrow(AudioOptionError);
  });

  it('refuses a config whose top bin reaches past Nyquist, or of another kind', () => {
    expect(() => new ConstantQSpectrogram({ ...DEFAULT_CQT_FRONT_END, nBins: 100 })).toThrow(
      AudioOptionError,
    );
    expect(() => new ConstantQSpectrogram(DEFAULT_FRONT_END)).toThrow(AudioOptionError);
    expect(() => new LogMelSpectrogram(DEFAULT_CQT_FRONT_END)).toThrow(AudioOptionError);
  });

  it('works without a decimated band (a hop with no power-of-two rate) and as a VQT', () => {
    const odd: CqtConfig = { ...DEFAULT_CQT_FRONT_END, hopLength: 150, fMin: 110, nBins: 36 };
    const frequencies = cqtFrequencies(odd);
    const spectrogram = new ConstantQSpectrogram(odd).compute(sine(frequencies[20], RATE, 16_000));
    expect(spectrogram.nFrames).toBe(106);
    expect(argmax(Array.from({ length: 36 }, (_, b) => at(spectrogram, b, 53)))).toBe(20);

    // gamma widens the low bins: the neighbour of a 55 Hz tone gets more of it.
    const vqt = new ConstantQSpectrogram({ ...DEFAULT_CQT_FRONT_END, gamma: 5 });
    const tone = sine(55, RATE, CHUNK, 0.5);
    const leak = (s: Spectrogram) => at(s, 10, 400) - at(s, 9, 400);
    expect(leak(vqt.compute(tone))).toBeGreaterThan(leak(cqt.compute(tone)) + 0.5);
  });
});

describe('front-end kinds in AudioProcessor', () => {
  it('cut the same chunks with the same framing, only the bins differ', () => {
    const signal = mix(sine(220, RATE, 20 * RATE, 0.3), noise(20 * RATE, 8, 0.05));
    signal.fill(0, 8 * RATE, 16 * RATE);
    const options = { hopSeconds: 4 };
    const melChunks = new AudioProcessor(DEFAULT_FRONT_END).extractFromSamples(signal, options);
    const cqtChunks = new AudioProcessor(DEFAULT_CQT_FRONT_END).extractFromSamples(signal, options);
    const framing = (chunks: typeof melChunks) =>
      chunks.map(({ index, offsetSeconds, padded, silent, spectrogram }) => ({
        index,
        offsetSeconds,
        padded,
        silent,
        nFrames: spectrogram.nFrames,
      }));
    expect(framing(cqtChunks)).toEqual(framing(melChunks));
    expect(cqtChunks.map((chunk) => chunk.spectrogram.nBins)).toEqual(cqtChunks.map(() => 84));
    expect(melChunks.map((chunk) => chunk.spectrogram.nBins)).toEqual(melChunks.map(() => 80));
    expect(createFrontEnd(DEFAULT_CQT_FRONT_END)).toBeInstanceOf(ConstantQSpectrogram);
    expect(createFrontEnd(DEFAULT_FRONT_END)).toBeInstanceOf(LogMelSpectrogram);
  });

  it('compute the same CQT in FrontEndPool workers as on the main thread', async () => {
    const bytes = encodeWav([mix(sine(98, 44_100, 10 * 44_100, 0.3), noise(10 * 44_100, 9, 0.05))], 44_100);
    const pool = new FrontEndPool({ config: DEFAULT_CQT_FRONT_END, threads: 1 });
    try {
      const [inWorker, onMainThread] = await Promise.all([
        pool.extract(bytes),
        new AudioProcessor(DEFAULT_CQT_FRONT_END).extract(bytes),
      ]);
      expect(inWorker).toEqual(onMainThread);
      expect(inWorker.map((chunk) => chunk.spectrogram.nBins)).toEqual([84, 84]);
    } finally {
      await pool.destroy();
    }
  });
});
