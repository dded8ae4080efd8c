import { afterAll, describe, expect, it } from 'vitest';
import {
  AudioDecodeError,
  AudioProcessor,
  DEFAULT_FRONT_END,
  encodeWav,
  FrontEndPool,
} from '../../src/audio/index.js';
import { FIXTURE_FORMATS, fixture } from './fixtures.js';
import { noise } from './signals.js';

describe('FrontEndPool', () => {
  // Under vitest this runs worker.ts through tsx's loader, the from-source path.
  const pool = new FrontEndPool({ config: DEFAULT_FRONT_END, threads: 2 });
  const processor = new AudioProcessor(DEFAULT_FRONT_END);

  afterAll(() => pool.destroy());

  it('computes the same features as AudioProcessor, for every format', async () => {
    for (const format of FIXTURE_FORMATS) {
      const bytes = fixture(format);
      const [inWorker, onMainThread] = await Promise.all([pool.extract(bytes), processor.extract(bytes)]);
      expect(inWorker).toEqual(onMainThread);
      expect(inWorker[0].spectrogram.data).toBeInstanceOf(Float32Array);
    }
  });

  it('runs several files concurrently and keeps their results apart', async () => {
    const files = [3, 9, 17].map((seconds, i) => encodeWav([noise(seconds * 16_000, i)], 16_000));
    const results = await Promise.all(files.map((bytes) => pool.extract(bytes, { hopSeconds: 4 })));
    expect(results.map((chunks) => chunks.length)).toEqual([1, 2, 4]);
  });

  it('delivers input errors as AudioDecodeError with the same code and message', async () => {
    const inputs = [
      new Uint8Array(0),
      new TextEncoder().encode('not audio at all, sorry'),
      fixture('mp3').subarray(0, 3_000),
    ];
    for (const bytes of inputs) {
      const local = await failure(processor.extract(bytes));
      const remote = await failure(pool.extract(bytes));
      expect([remote.code, remote.message]).toEqual([local.code, local.message]);
    }
  });

  it('passes options through to the worker', async () => {
    await expect(pool.extract(fixture('wav'), { maxDurationSeconds: 0.1 })).rejects.toMatchObject({
      code: 'TOO_LONG',
    });
    await expect(pool.extract(fixture('wav'), { hopSeconds: 0 })).rejects.toThrow(/hopSeconds/);
  });
});

async function failure(promise: Promise<unknown>): Promise<AudioDecodeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AudioDecodeError);
    return error as AudioDecodeError;
  }
  throw new Error('expected a failure');
}

describe('FrontEndPool.loadMono', () => {
  it('returns the same mono samples as AudioProcessor.loadMono', async () => {
    const pool = new FrontEndPool({ config: DEFAULT_FRONT_END, threads: 1 });
    try {
      const bytes = fixture('flac');
      expect(await pool.loadMono(bytes)).toEqual(await new AudioProcessor().loadMono(bytes));
      await expect(pool.loadMono(bytes, { maxDurationSeconds: 0.1 })).rejects.toMatchObject({
        code: 'TOO_LONG',
      });
    } finally {
      await pool.destroy();
    }
  });
});
