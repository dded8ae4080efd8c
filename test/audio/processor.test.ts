import { describe, expect, it } from 'vitest';
import {
  AudioProcessor,
  chunkSamples,
  DEFAULT_FRONT_END,
  decodeAudio,
  downmixToMono,
  encodeWav,
  LogMelSpectrogram,
  resample,
} from '../../src/audio/index.js';
import { fixture } from './fixtures.js';
import { noise, sine } from './signals.js';

describe('downmixToMono', () => {
  it('averages channels and passes a single channel through', () => {
    const left = Float32Array.from([1, 0.5, -1]);
    const right = Float32Array.from([0, 0.5, 1]);
    expect(Array.from(downmixToMono([left, right]))).toEqual([0.5, 0.5, 0]);
    expect(downmixToMono([left])).toBe(left);
    expect(() => downmixToMono([])).toThrow(RangeError);
    expect(() => downmixToMono([left, new Float32Array(2)])).toThrow(/same length/);
  });
});

describe('AudioProcessor', () => {
  const processor = new AudioProcessor(DEFAULT_FRONT_END);

  it('loads any format as mono at the model rate', async () => {
    const mono = await processor.loadMono(fixture('ogg'));
    expect(mono).toHaveLength(8_000); // 0.5 s at 16 kHz
  });

  it('extracts the same features as running the steps by hand', async () => {
    const bytes = fixture('wav');
    const features = await processor.extract(bytes);
    expect(features).toHaveLength(1);
    expect(features[0]).toMatchObject({ index: 0, offsetSeconds: 0, padded: true, silent: false });
    expect([features[0].spectrogram.nBins, features[0].spectrogram.nFrames]).toEqual([80, 800]);

    const decoded = await decodeAudio(bytes);
    const mono = resample(downmixToMono(decoded.channels), decoded.sampleRate, 16_000);
    const padded = new Float32Array(chunkSamples(DEFAULT_FRONT_END));
    padded.set(mono);
    expect(features[0].spectrogram.data).toEqual(
      new LogMelSpectrogram(DEFAULT_FRONT_END).compute(padded).data,
    );
  });

  it('chunks a 20 s 44.1 kHz stereo file into three 8 s windows with their offsets', async () => {
    const seconds = 20;
    const left = noise(seconds * 44_100, 1, 0.3);
    const right = sine(330, 44_100, seconds * 44_100, 0.3);
    const features = await processor.extract(encodeWav([left, right], 44_100));
    expect(features.map((f) => [f.offsetSeconds, f.padded, f.silent])).toEqual([
      [0, false, false],
      [8, false, false],
      [16, true, false],
    ]);
    const overlapping = await processor.extract(encodeWav([left, right], 44_100), { hopSeconds: 6 });
    expect(overlapping.map((f) => f.offsetSeconds)).toEqual([0, 6, 12]);
  });

  it('flags a silent chunk', async () => {
    const signal = new Float32Array(16 * 16_000);
    signal.set(sine(440, 16_000, 8 * 16_000));
    const features = processor.extractFromSamples(signal);
    expect(features.map((f) => f.silent)).toEqual([false, true]);
  });

  it('passes the duration limit to the decoder', async () => {
    await expect(processor.extract(fixture('flac'), { maxDurationSeconds: 0.1 })).rejects.toMatchObject({
      code: 'TOO_LONG',
    });
  });
});
