import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, readCheckpointHeader } from '../../../training/model/checkpoint.js';
import { presetConfig } from '../../../training/model/config.js';
import { CheckpointError, InputShapeError } from '../../../training/model/errors.js';
import { seededRandom } from '../../../training/model/params.js';
import { emaMomentum } from '../../../training/model/schedule.js';
import {
  createStemJepa,
  restoreStemJepa,
  type StemJepa,
  type TrainBatch,
} from '../../../training/model/stem-jepa.js';

const config = presetConfig('tiny', { schedule: { totalSteps: 20, warmupSteps: 2 } });
const scratch = mkdtempSync(join(tmpdir(), 'stemdex-model-test-'));

/** Seeded random log-mels, one example per instrument id (every preset shares the input geometry). */
function makeBatch(seed: number, instrumentIds: number[] = [0, 5]): TrainBatch {
  const random = seededRandom(seed);
  const size = instrumentIds.length * config.nMels * config.chunkFrames;
  return {
    context: Float32Array.from({ length: size }, () => random() * 2 - 1),
    target: Float32Array.from({ length: size }, () => random() * 2 - 1),
    instrumentIds: Int32Array.from(instrumentIds),
    batchSize: instrumentIds.length,
  };
}

function snapshot(weights: ReadonlyMap<string, tf.Variable>): Map<string, Float32Array> {
  return new Map(
    [...weights].map(([name, variable]) => [name, Float32Array.from(variable.dataSync() as Float32Array)]),
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('StemJepa training', () => {
  it('learns: the loss on a fixed batch falls over a few steps, and stats are reported', () => {
    const model = createStemJepa(config, 11);
    const batch = makeBatch(1);
    model.effectiveRankEvery = 2;
    const ranks: number[] = [];
    const losses = Array.from({ length: 4 }, () => {
      const loss = model.trainStep(batch);
      ranks.push(model.lastStats!.contextEffectiveRank);
      return loss;
    });
    // Measured on the first step and after every 2nd step (indices 1 and 3); repeated in between.
    expect(ranks[2]).toBe(ranks[1]);
    expect(ranks[3]).not.toBe(ranks[2]);
    expect(losses[3]).toBeLessThan(losses[0] * 0.6);
    expect(model.step).toBe(4);
    const stats = model.lastStats!;
    expect(stats.step).toBe(3);
    expect(stats.loss).toBe(losses[3]);
    expect(stats.contextStd).toBeGreaterThan(0);
    expect(stats.contextEffectiveRank).toBeGreaterThan(1);
    expect(stats.contextEffectiveRank).toBeLessThanOrEqual(config.dim);
    model.dispose();
  });

  it('does not leak tensors across steps and frees everything on dispose', () => {
    const before = tf.memory().numTensors;
    const model = createStemJepa(config, 12);
    const batch = makeBatch(2);
    model.trainStep(batch);
    const afterFirst = tf.memory().numTensors;
    model.trainStep(batch);
    expect(tf.memory().numTensors).toBe(afterFirst);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('moves the target encoder only by the EMA of the context encoder', () => {
    const model = createStemJepa(config, 13);
    const targetBefore = snapshot(model.target);
    model.trainStep(makeBatch(3));
    const online = snapshot(model.online);
    const targetAfter = snapshot(model.target);
    const momentum = emaMomentum(config.schedule, 0);
    expect([...model.target.keys()].every((name) => name.startsWith('encoder.'))).toBe(true);
    for (const [name, after] of targetAfter) {
      const expected = targetBefore
        .get(name)!
        .map((value, i) => momentum * value + (1 - momentum) * online.get(name)![i]);
      for (let i = 0; i < after.length; i++) expect(after[i]).toBeCloseTo(expected[i], 6);
    }
    const qkv = 'encoder.blocks.0.attn.qkv.weight';
    expect(targetAfter.get(qkv)).not.toEqual(online.get(qkv));
    model.dispose();
  });

  it('is deterministic for a seed and rejects a batch of the wrong size', () => {
    const a = createStemJepa(config, 14);
    const b = createStemJepa(config, 14);
    const batch = makeBatch(4);
    expect(a.trainStep(batch)).toBe(b.trainStep(batch));
    expect(() => a.trainStep({ ...batch, batchSize: 3 })).toThrow(InputShapeError);
    expect(() => a.trainStep({ ...batch, instrumentIds: Int32Array.of(1) })).toThrow(InputShapeError);
    a.dispose();
    b.dispose();
  });

  it('micro-batching accumulates to the same update as one pass over the batch', () => {
    const batch = makeBatch(7, [0, 6]);
    const whole = createStemJepa(config, 16);
    const split = createStemJepa(config, 16);
    split.microBatchSize = 1;
    expect(split.trainStep(batch)).toBeCloseTo(whole.trainStep(batch), 6);
    expect(split.lastStats!.contextStd).toBeCloseTo(whole.lastStats!.contextStd, 6);
    // After one identical update the next losses agree too (up to float summation order).
    expect(split.trainStep(batch)).toBeCloseTo(whole.trainStep(batch), 4);
    whole.dispose();
    split.dispose();
  });

  it('contrasts every micro-batch against the whole batch: split and whole passes agree', () => {
    const contrastive = presetConfig('tiny', {
      schedule: { totalSteps: 20, warmupSteps: 2, contrastiveWeight: 1, contrastiveTemperature: 0.1 },
    });
    const batch: TrainBatch = {
      ...makeBatch(8, [0, 6, 2]),
      excludedNegatives: Uint8Array.of(0, 1, 0, 1, 0, 0, 0, 0, 0),
    };
    const whole = createStemJepa(contrastive, 17);
    const split = createStemJepa(contrastive, 17);
    split.microBatchSize = 1;
    split.trainStep(batch);
    whole.trainStep(batch);
    // Three candidates, one of them excluded for the first two rows: between ln 2 and ln 3 at start.
    expect(whole.lastStats!.contrastiveLoss).toBeGreaterThan(0.5);
    expect(whole.lastStats!.contrastiveLoss).toBeLessThan(1.2);
    expect(split.lastStats!.contrastiveLoss).toBeCloseTo(whole.lastStats!.contrastiveLoss, 5);
    expect(split.trainStep(batch)).toBeCloseTo(whole.trainStep(batch), 4);
    expect(() => whole.trainStep({ ...batch, excludedNegatives: new Uint8Array(4) })).toThrow(
      InputShapeError,
    );
    whole.dispose();
    split.dispose();
  });

  it.each(['clip', 'column'] as const)(
    'adds queued negatives (%s unit) to the candidates and hands back the batch targets for the queue',
    (contrastiveUnit) => {
      const contrastive = presetConfig('tiny', {
        schedule: {
          totalSteps: 20,
          warmupSteps: 2,
          contrastiveWeight: 1,
          contrastiveTemperature: 0.1,
          contrastiveUnit,
        },
      });
      const batch = makeBatch(9, [0, 6]);
      const plain = createStemJepa(contrastive, 19);
      plain.trainStep(batch);
      const targets = plain.lastTargetEmbeddings!;
      const columns = contrastiveUnit === 'column' ? contrastive.chunkFrames / contrastive.patchWidth : 1;
      expect(plain.contrastiveWidth).toBe(columns * contrastive.dim);
      expect(targets).toHaveLength(2 * columns * contrastive.dim);
      // Queue = copies of the batch's own targets: each prediction now has an exact twin of its
      // positive among the candidates, so the loss grows by about ln 2 over the plain batch's.
      const queued = createStemJepa(contrastive, 19);
      queued.trainStep({ ...batch, queuedNegatives: targets, excludedNegatives: new Uint8Array(2 * 4) });
      expect(queued.lastTargetEmbeddings).toEqual(targets);
      const gain = queued.lastStats!.contrastiveLoss - plain.lastStats!.contrastiveLoss;
      expect(gain).toBeGreaterThan(0.5);
      expect(gain).toBeLessThan(0.9);
      // Masking the twins gives back the plain batch's loss exactly.
      const masked = createStemJepa(contrastive, 19);
      masked.trainStep({
        ...batch,
        queuedNegatives: targets,
        excludedNegatives: Uint8Array.of(0, 0, 1, 1, 0, 0, 1, 1),
      });
      expect(masked.lastStats!.contrastiveLoss).toBeCloseTo(plain.lastStats!.contrastiveLoss, 4);
      expect(() =>
        masked.trainStep({ ...batch, queuedNegatives: targets, excludedNegatives: new Uint8Array(4) }),
      ).toThrow(InputShapeError);
      expect(() => masked.trainStep({ ...batch, queuedNegatives: new Float32Array(5) })).toThrow(
        InputShapeError,
      );
      for (const model of [plain, queued, masked]) model.dispose();
    },
  );

  it('with a teacher weight, needs the teacher and pulls the context columns toward it', () => {
    const taught = presetConfig('tiny', { schedule: { totalSteps: 20, warmupSteps: 2, teacherWeight: 10 } });
    const model = createStemJepa(taught, 17);
    const batch = makeBatch(8);
    expect(() => model.trainStep(batch)).toThrow(InputShapeError);
    const gridTime = taught.chunkFrames / taught.patchWidth;
    const teacher = new Float32Array(batch.batchSize * gridTime * 13).fill(0.5);
    const losses = Array.from({ length: 4 }, () => {
      model.trainStep({ ...batch, teacher, targetTeacher: teacher });
      return model.lastStats!.teacherLoss;
    });
    expect(losses[0]).toBeGreaterThan(0);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(losses[3]).toBeLessThan(losses[0] * 0.9);
    model.dispose();
  });

  it('embeds and predicts with the documented shapes', () => {
    const model = createStemJepa(config, 15);
    const logMel = tf.zeros([3, 1, config.nMels, config.chunkFrames]) as tf.Tensor4D;
    const context = model.embedContext(logMel);
    const target = model.embedTarget(logMel);
    const ids = tf.tensor1d([0, 1, 7], 'int32');
    const predicted = model.predict(context, ids);
    expect(context.shape).toEqual([3, 250, config.dim]);
    expect(target.shape).toEqual([3, 250, config.dim]);
    expect(predicted.shape).toEqual([3, 250, config.dim]);
    tf.dispose([logMel, context, target, ids, predicted]);
    model.dispose();
  });
});

describe('checkpoints', () => {
  it('resume bit-exactly: saved after 1 step + 2 more == uninterrupted 3 steps', () => {
    const dir = join(scratch, 'resume');
    const batches = [makeBatch(21), makeBatch(22), makeBatch(23)];
    const original = createStemJepa(config, 16);
    original.trainStep(batches[0]);
    original.saveCheckpoint(dir);
    const continued = [original.trainStep(batches[1]), original.trainStep(batches[2])];

    const resumed = restoreStemJepa(dir);
    expect(resumed.step).toBe(1);
    const replayed = [resumed.trainStep(batches[1]), resumed.trainStep(batches[2])];
    expect(replayed).toEqual(continued);
    const expectEqual = (a: StemJepa, b: StemJepa) => {
      expect(snapshot(b.online)).toEqual(snapshot(a.online));
      expect(snapshot(b.target)).toEqual(snapshot(a.target));
      for (const [name, moments] of a.optimizer.moments) {
        expect(b.optimizer.moments.get(name)!.second.dataSync()).toEqual(moments.second.dataSync());
      }
    };
    expectEqual(original, resumed);
    original.dispose();
    resumed.dispose();
  });

  it('writes atomically: one tensors file, no temporaries, and re-saving replaces the old data', () => {
    const dir = join(scratch, 'atomic');
    const model = createStemJepa(config, 17);
    model.saveCheckpoint(dir);
    model.trainStep(makeBatch(5));
    model.saveCheckpoint(dir);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain(CHECKPOINT_FILE);
    expect(files.some((file) => file.includes('.tmp'))).toBe(false);
    expect(readCheckpointHeader(dir).step).toBe(1);
    model.dispose();
  });

  it('restores with an extended schedule', () => {
    const dir = join(scratch, 'extend');
    const model = createStemJepa(config, 19);
    model.saveCheckpoint(dir);
    const extended = restoreStemJepa(dir, { totalSteps: 1_000 });
    expect(extended.config.schedule.totalSteps).toBe(1_000);
    expect(snapshot(extended.online)).toEqual(snapshot(model.online));
    model.dispose();
    extended.dispose();
  });

  it('refuses a checkpoint of another architecture or with corrupted data', () => {
    const dir = join(scratch, 'refuse');
    const model = createStemJepa(config, 18);
    model.saveCheckpoint(dir);
    const other = createStemJepa(presetConfig('tiny', { mlpRatio: 3 }), 18);
    expect(() => other.loadCheckpoint(dir)).toThrow(CheckpointError);
    writeFileSync(join(dir, readCheckpointHeader(dir).tensorsFile), new Uint8Array(16));
    expect(() => model.loadCheckpoint(dir)).toThrow(/sha256/);
    model.dispose();
    other.dispose();
  });
});
