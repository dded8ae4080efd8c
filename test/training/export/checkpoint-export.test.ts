import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../../src/inference/manifest.js';
import { ENCODER_FILE } from '../../../training/export/export.js';
import { ENCODER_IO } from '../../../training/export/graph-io.js';
import { maxAbsDifference, randomLogMels } from '../../../training/export/parity-check.js';
import { presetConfig } from '../../../training/model/config.js';
import { seededRandom } from '../../../training/model/params.js';
import { createStemJepa } from '../../../training/model/stem-jepa.js';

const scratch = mkdtempSync(join(tmpdir(), 'stemdex-checkpoint-export-'));
const config = presetConfig('tiny', { schedule: { totalSteps: 10, warmupSteps: 1 } });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('export CLI', () => {
  it('exports the chosen encoder of a trained checkpoint, which onnxruntime reproduces', async () => {
    const model = createStemJepa(config, 41);
    const random = seededRandom(42);
    const size = 2 * config.nMels * config.chunkFrames;
    const batch = {
      context: Float32Array.from({ length: size }, () => random() * 2 - 1),
      target: Float32Array.from({ length: size }, () => random() * 2 - 1),
      instrumentIds: Int32Array.of(1, 2),
      batchSize: 2,
    };
    model.trainStep(batch);
    model.trainStep(batch);
    const checkpoint = join(scratch, 'checkpoint');
    const out = join(scratch, 'model');
    model.saveCheckpoint(checkpoint);

    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'training/export/cli.ts',
        '--checkpoint',
        checkpoint,
        '--out',
        out,
        '--encoder',
        'target',
      ],
      { encoding: 'utf8' },
    );
    expect(cli.stderr).not.toMatch(/Error/);
    expect(cli.status).toBe(0);
    const manifest = loadManifest(out);
    expect(manifest.training).toMatchObject({ checkpointStep: 2, seed: 41 });
    expect(manifest.architecture.exportedEncoder).toBe('target');

    const input = randomLogMels(config, 1, 43);
    const logMel = tf.tensor4d(input.logMel, [1, 1, config.nMels, config.chunkFrames]);
    const expected = model.embedTarget(logMel);
    const session = await ort.InferenceSession.create(join(out, ENCODER_FILE));
    const onnx = await session.run({
      [ENCODER_IO.input]: new ort.Tensor('float32', input.logMel, [1, 1, config.nMels, config.chunkFrames]),
    });
    const exported = onnx[ENCODER_IO.output].data as Float32Array;
    expect(maxAbsDifference(expected.dataSync(), exported)).toBeLessThan(1e-4);
    // The target (EMA) encoder differs from the trained context encoder after two steps.
    const context = model.embedContext(logMel);
    expect(maxAbsDifference(context.dataSync(), exported)).toBeGreaterThan(1e-4);
    await session.release();
    tf.dispose([logMel, expected, context]);
    model.dispose();
  });
});
