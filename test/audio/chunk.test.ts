import { describe, expect, it } from 'vitest';
import {
  AudioOptionError,
  assertAudible,
  chunkSamples,
  chunkSignal,
  DEFAULT_FRONT_END,
  isSilent,
  SilentAudioError,
} from '../../src/audio/index.js';
import { noise, sine } from './signals.js';

const config = DEFAULT_FRONT_END;
const CHUNK = chunkSamples(config); // 128 000 samples = 8 s

describe('chunkSignal', () => {
  it('cuts non-overlapping 8 s chunks and pads the last one', () => {
    const signal = noise(2 * CHUNK + 16_000, 1);
    const chunks = chunkSignal(signal, config);
    expect(chunks.map((c) => [c.index, c.offsetSeconds, c.validSamples, c.padded])).toEqual([
      [0, 0, CHUNK, false],
      [1, 8, CHUNK, false],
      [2, 16, 16_000, true],
    ]);
    for (const chunk of chunks) expect(chunk.samples).toHaveLength(CHUNK);
    expect(chunks[1].samples).toEqual(signal.subarray(CHUNK, 2 * CHUNK));
    expect(chunks[2].samples.subarray(0, 16_000)).toEqual(signal.subarray(2 * CHUNK));
    expect(chunks[2].samples.subarray(16_000).every((v) => v === 0)).toBe(true);
  });

  it('gives exactly one unpadded chunk for exactly 8 s', () => {
    const chunks = chunkSignal(noise(CHUNK, 2), config);
    expect(chunks.map((c) => c.padded)).toEqual([false]);
  });

  it('gives one padded chunk for short and for empty audio', () => {
    const short = chunkSignal(sine(440, 16_000, 8_000), config);
    expect(short.map((c) => [c.validSamples, c.padded, c.silent])).toEqual([[8_000, true, false]]);
    const empty = chunkSignal(new Float32Array(0), config);
    expect(empty.map((c) => [c.validSamples, c.padded, c.silent, c.samples.length])).toEqual([
      [0, true, true, CHUNK],
    ]);
  });

  it('overlaps chunks with a shorter hop and stops after the first chunk that reaches the end', () => {
    const chunks = chunkSignal(noise(20 * 16_000, 3), config, { hopSeconds: 4 });
    expect(chunks.map((c) => [c.offsetSeconds, c.validSamples, c.padded])).toEqual([
      [0, CHUNK, false],
      [4, CHUNK, false],
      [8, CHUNK, false],
      [12, CHUNK, false],
    ]);
    const uneven = chunkSignal(noise(10 * 16_000, 4), config, { hopSeconds: 3 });
    expect(uneven.map((c) => [c.offsetSeconds, c.validSamples])).toEqual([
      [0, CHUNK],
      [3, 7 * 16_000],
    ]);
  });

  it('skips samples between chunks when the hop is longer than a chunk', () => {
    const tenSecondHops = (seconds: number) =>
      chunkSignal(noise(seconds * 16_000, 6), config, { hopSeconds: 10 }).map((c) => [
        c.offsetSeconds,
        c.validSamples,
      ]);
    expect(tenSecondHops(9)).toEqual([[0, CHUNK]]);
    expect(tenSecondHops(10)).toEqual([[0, CHUNK]]);
    expect(tenSecondHops(11)).toEqual([
      [0, CHUNK],
      [10, 16_000],
    ]);
  });

  it('flags silent chunks judged on their valid samples only', () => {
    const signal = new Float32Array(2 * CHUNK + 1_000);
    signal.set(sine(440, 16_000, CHUNK, 0.5));
    signal.set(sine(440, 16_000, 1_000, 0.5), 2 * CHUNK); // a short loud tail, padded with zeros
    const chunks = chunkSignal(signal, config);
    expect(chunks.map((c) => c.silent)).toEqual([false, true, false]);
    // 0.5 / √2 RMS = -9.03 dBFS; the all-zero chunk has no finite level.
    expect(chunks.map((c) => c.levelDb)).toEqual([
      expect.closeTo(-9.03, 2),
      Number.NEGATIVE_INFINITY,
      expect.closeTo(-9.03, 2),
    ]);
  });

  it('rejects hops shorter than one sample', () => {
    expect(() => chunkSignal(new Float32Array(10), config, { hopSeconds: 0 })).toThrow(AudioOptionError);
    expect(() => chunkSignal(new Float32Array(10), config, { hopSeconds: Number.NaN })).toThrow(
      AudioOptionError,
    );
  });
});

describe('isSilent', () => {
  it('compares the RMS level in dBFS with the threshold', () => {
    // A sine of amplitude a has RMS a/√2: 0.001 → -63 dBFS, 0.002 → -57 dBFS.
    expect(isSilent(sine(440, 16_000, 16_000, 0.001))).toBe(true);
    expect(isSilent(sine(440, 16_000, 16_000, 0.002))).toBe(false);
    expect(isSilent(sine(440, 16_000, 16_000, 0.002), -50)).toBe(true);
    expect(isSilent(new Float32Array(100))).toBe(true);
    expect(isSilent(new Float32Array(0))).toBe(true);
  });
});

describe('assertAudible', () => {
  const chunk = (levelDb: number) => ({ levelDb, silent: levelDb < -60 });

  it('passes audio with at least one chunk above the threshold', () => {
    expect(() => assertAudible([chunk(-80), chunk(-59.9)])).not.toThrow();
  });

  it('names the loudest chunk level and the threshold when every chunk is silent', () => {
    const error = (() => {
      try {
        assertAudible([chunk(-80), chunk(-69.04), chunk(Number.NEGATIVE_INFINITY)]);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(SilentAudioError);
    expect(error).toMatchObject({ code: 'SILENT_AUDIO', levelDb: -69.04, thresholdDb: -60 });
    expect((error as Error).message).toContain('-69.0 dBFS');
    expect(() => assertAudible([chunk(Number.NEGATIVE_INFINITY)])).toThrow(/digital silence/);
    expect(() => assertAudible([])).toThrow(SilentAudioError);
  });
});
