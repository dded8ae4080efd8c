import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceError, ModelLoadError } from '../../src/inference/errors.js';
import { ModelSessions } from '../../src/inference/sessions.js';
import { INSTRUMENTS, instrumentId } from '../../src/instruments.js';
import { seededRandom } from '../../src/random.js';
import { testModelDir } from '../helpers/model.js';

/** Centred deterministic values in [-0.5, 0.5). */
function seeded(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random() - 0.5;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A copy of the model whose manifest went through `edit`; the graphs are untouched. */
function editedModel(modelDir: string, edit: (manifest: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'stemdex-model-'));
  for (const file of ['encoder.onnx', 'predictor.onnx']) copyFileSync(join(modelDir, file), join(dir, file));
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
  edit(manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  scratch.push(dir);
  return dir;
}

const scratch: string[] = [];
let modelDir: string;
let sessions: ModelSessions;

beforeAll(async () => {
  modelDir = await testModelDir();
  sessions = await ModelSessions.load({ modelDir, executionProviders: ['cuda', 'cpu'], intraOpThreads: 1 });
}, 60_000);

afterAll(async () => {
  await sessions?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('ModelSessions', () => {
  it('uses the first provider that works and records why earlier ones were skipped', () => {
    const attempts = sessions.providerAttempts;
    expect(attempts.at(-1)).toEqual({ provider: sessions.activeProvider, ok: true });
    for (const skipped of attempts.slice(0, -1)) {
      expect(skipped.ok).toBe(false);
      expect(skipped.reason).toMatch(new RegExp(skipped.provider));
    }
    // Without CUDA libraries (as on CI) the service must still come up, on the CPU.
    if (sessions.activeProvider === 'cpu') expect(attempts.map((a) => a.provider)).toEqual(['cuda', 'cpu']);
  });

  it('encodes a batch the same as its chunks one by one', async () => {
    const random = seeded(11);
    const batch = 3;
    const logMels = Float32Array.from({ length: batch * sessions.featureSize }, random);
    const together = await sessions.encode(logMels, batch);
    expect(together).toHaveLength(batch * sessions.patchEmbeddingSize);
    for (let b = 0; b < batch; b++) {
      const alone = await sessions.encode(
        logMels.slice(b * sessions.featureSize, (b + 1) * sessions.featureSize),
        1,
      );
      const part = together.subarray(b * sessions.patchEmbeddingSize, (b + 1) * sessions.patchEmbeddingSize);
      expect(maxAbsDifference(alone, part)).toBeLessThan(1e-4);
    }
  });

  it('computes the same in a worker thread (the default) as on the calling thread', async () => {
    const onMain = await ModelSessions.load({
      modelDir,
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      thread: 'main',
    });
    try {
      expect(sessions.thread).toBe('worker');
      const logMels = Float32Array.from({ length: 2 * sessions.featureSize }, seeded(13));
      const inWorker = await sessions.encode(logMels, 2);
      const inProcess = await onMain.encode(logMels, 2);
      expect(maxAbsDifference(inWorker, inProcess)).toBeLessThan(1e-5);
      const ids = [instrumentId('vocals'), instrumentId('piano')];
      expect(
        maxAbsDifference(await sessions.predict(inWorker, ids, 2), await onMain.predict(inProcess, ids, 2)),
      ).toBeLessThan(1e-5);
      // The caller's buffer is copied to the worker, not taken from it.
      expect(logMels).toHaveLength(2 * sessions.featureSize);
    } finally {
      await onMain.close();
    }
  });

  it('predicts something different for each instrument', async () => {
    const random = seeded(12);
    const context = Float32Array.from({ length: sessions.patchEmbeddingSize }, random);
    const twice = new Float32Array(2 * sessions.patchEmbeddingSize);
    twice.set(context, 0);
    twice.set(context, sessions.patchEmbeddingSize);
    const out = await sessions.predict(twice, [instrumentId('bass'), instrumentId('drums')], 2);
    const bass = out.subarray(0, sessions.patchEmbeddingSize);
    const drums = out.subarray(sessions.patchEmbeddingSize);
    expect(maxAbsDifference(bass, drums)).toBeGreaterThan(1e-3);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('refuses inputs of the wrong size or an unknown instrument id', async () => {
    await expect(sessions.encode(new Float32Array(10), 1)).rejects.toBeInstanceOf(InferenceError);
    const context = new Float32Array(sessions.patchEmbeddingSize);
    await expect(sessions.predict(context, [INSTRUMENTS.length], 1)).rejects.toBeInstanceOf(InferenceError);
    await expect(sessions.predict(context, [0, 1], 1)).rejects.toBeInstanceOf(InferenceError);
  });

  it('refuses a model trained on another front end', async () => {
    const dir = editedModel(modelDir, (manifest) => {
      (manifest.frontEnd as Record<string, unknown>).sampleRate = 22_050;
    });
    await expect(ModelSessions.load({ modelDir: dir, executionProviders: ['cpu'] })).rejects.toThrow(
      /different audio front end \(sampleRate: model 22050, service 16000\)/,
    );
  });

  it('refuses a model with another instrument vocabulary', async () => {
    const dir = editedModel(modelDir, (manifest) => {
      manifest.instruments = [...INSTRUMENTS].reverse();
    });
    await expect(ModelSessions.load({ modelDir: dir, executionProviders: ['cpu'] })).rejects.toBeInstanceOf(
      ModelLoadError,
    );
  });

  it('refuses graph files that do not match the manifest hashes', async () => {
    const dir = editedModel(modelDir, () => {});
    writeFileSync(join(dir, 'predictor.onnx'), Buffer.from('not a model'));
    await expect(ModelSessions.load({ modelDir: dir, executionProviders: ['cpu'] })).rejects.toThrow(
      /sha256/,
    );
  });

  it('fails with every reason when no provider can run the model', async () => {
    const error = await ModelSessions.load({ modelDir, executionProviders: ['cuda', 'tensorrt'] }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.code).toBe('MODEL_LOAD_FAILED');
    expect(error.message).toMatch(/cuda: .*; tensorrt: /);
  });

  it('refuses to run once closed', async () => {
    const own = await ModelSessions.load({ modelDir, executionProviders: ['cpu'], intraOpThreads: 1 });
    await own.close();
    await expect(own.encode(new Float32Array(own.featureSize), 1)).rejects.toBeInstanceOf(InferenceError);
  });
});
