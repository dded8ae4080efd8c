import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConstantQSpectrogram,
  chunkSamples,
  DEFAULT_CQT_FRONT_END,
  DEFAULT_FRONT_END,
  frontEndDifferences,
} from '../../../src/audio/index.js';
import { loadManifest } from '../../../src/inference/manifest.js';
import { ModelSessions } from '../../../src/inference/sessions.js';
import { ENCODER_FILE, ExportError, exportModel } from '../../../training/export/export.js';
import { ENCODER_IO } from '../../../training/export/graph-io.js';
import { patchGrid } from '../../../training/model/config.js';
import { initParams } from '../../../training/model/params.js';
import { createStemJepa } from '../../../training/model/stem-jepa.js';
import { readTrainConfig, runModelConfig, TrainConfigSchema } from '../../../training/run/train-config.js';
import { noise, sine } from '../../audio/signals.js';

const TRAIN_CONFIG = {
  preset: 'tiny',
  frontEnd: 'cqt',
  architecture: { patchHeight: 'full' },
  seed: 1,
  batchSize: 2,
  schedule: { totalSteps: 4, warmupSteps: 1 },
  corpus: { songs: 1, minTrainSongs: 1 },
  normalisation: { batches: 1 },
  logEvery: 1,
  validateEvery: 1,
  validationBatches: 1,
  checkpointEveryMinutes: 1,
  exportEncoder: 'target',
};
const config = runModelConfig(TrainConfigSchema.parse(TRAIN_CONFIG));
const outDir = mkdtempSync(join(tmpdir(), 'stemdex-cqt-model-test-'));
const cqt = new ConstantQSpectrogram(DEFAULT_CQT_FRONT_END);

/** CQT features of two seeded signals, one example each: [2, 1, 84, 800] flattened. */
function cqtBatch(seed: number): Float32Array {
  const length = chunkSamples(DEFAULT_CQT_FRONT_END);
  const signals = [sine(110, 16_000, length, 0.3), noise(length, seed, 0.2)];
  const size = 84 * DEFAULT_CQT_FRONT_END.chunkFrames;
  const batch = new Float32Array(2 * size);
  signals.forEach((signal, i) => {
    cqt.computeInto(signal, batch, i * size);
  });
  // Roughly standardised, as the measured normalisation would make it.
  return batch.map((value) => (value + 8) / 4);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('a model on the CQT front end', () => {
  it('takes its input height from the front end: 84 bins, one full-height patch row', () => {
    expect([config.nMels, config.chunkFrames, config.patchHeight]).toEqual([84, 800, 84]);
    expect(patchGrid(config)).toMatchObject({ gridFreq: 1, gridTime: 50 });
    const rows = runModelConfig(
      TrainConfigSchema.parse({ ...TRAIN_CONFIG, architecture: { patchHeight: 12 } }),
    );
    expect(patchGrid(rows).gridFreq).toBe(7);
    // The shipped recipe (no `frontEnd`) is still the 80-band log-mel with full-height patches.
    const shipped = runModelConfig(readTrainConfig('training/config.json'));
    expect([shipped.nMels, shipped.patchHeight]).toEqual([80, 80]);
  });

  it('trains a step on CQT features', () => {
    const model = createStemJepa(config, 3);
    const loss = model.trainStep({
      context: cqtBatch(1),
      target: cqtBatch(2),
      instrumentIds: Int32Array.from([0, 5]),
      batchSize: 2,
    });
    expect(Number.isFinite(loss)).toBe(true);
    expect(model.step).toBe(1);
  });

  it('exports graphs for [B, 1, 84, 800] and a manifest that records the kind', async () => {
    expect(() => exportModel(initParams(config, 5), config, outDir, { status: 'test' })).toThrow(ExportError);
    exportModel(
      initParams(config, 5),
      config,
      outDir,
      { status: 'test' },
      { frontEnd: DEFAULT_CQT_FRONT_END },
    );
    const raw = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    expect(raw.frontEnd).toMatchObject({ kind: 'cqt', nBins: 84, binsPerOctave: 12 });
    const manifest = loadManifest(outDir);
    expect(frontEndDifferences(manifest.frontEnd, DEFAULT_CQT_FRONT_END)).toEqual([]);
    expect(manifest.patch).toMatchObject({ height: 84, gridFreq: 1, gridTime: 50 });

    const encoder = await ort.InferenceSession.create(join(outDir, ENCODER_FILE));
    const input = cqtBatch(3).subarray(0, 84 * 800);
    const result = await encoder.run({
      [ENCODER_IO.input]: new ort.Tensor('float32', input, [1, 1, 84, 800]),
    });
    const output = result[ENCODER_IO.output];
    expect(output.dims).toEqual([1, 50, config.dim]);
    expect((output.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('is refused by the service, whose front end is the log-mel', async () => {
    expect(DEFAULT_FRONT_END.kind).toBe('log-mel');
    await expect(ModelSessions.load({ modelDir: outDir, executionProviders: ['cpu'] })).rejects.toThrow(
      /different audio front end \(kind: model cqt, service log-mel\); re-export/,
    );
  });
});
