import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../../training/model/config.js';
import { jepaLoss } from '../../../training/model/loss.js';
import { batchEmbeddingStd, effectiveRank, symmetricEigenvalues } from '../../../training/model/monitors.js';
import { seededRandom } from '../../../training/model/params.js';
import { emaMomentum, learningRate } from '../../../training/model/schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('jepaLoss', () => {
  it('ignores scale and measures direction: 0 aligned, 2 orthogonal, 4 opposite', () => {
    const target = tf.tensor3d([
      [
        [1, 0],
        [0, 2],
      ],
    ]);
    const cases: [number[][][], number][] = [
      [
        [
          [
            [3, 0],
            [0, 0.5],
          ],
        ],
        0,
      ],
      [
        [
          [
            [0, 1],
            [1, 0],
          ],
        ],
        2,
      ],
      [
        [
          [
            [-1, 0],
            [0, -1],
          ],
        ],
        4,
      ],
    ];
    for (const [predicted, expected] of cases) {
      const loss = jepaLoss(tf.tensor3d(predicted), target);
      expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
      loss.dispose();
    }
  });
});

describe('collapse monitors', () => {
  it('finds the eigenvalues of a known symmetric matrix', () => {
    // [[2,1],[1,2]] has eigenvalues 1 and 3; diag(5) block adds 5.
    const values = symmetricEigenvalues([2, 1, 0, 1, 2, 0, 0, 0, 5], 3).sort((a, b) => a - b);
    expect(values[0]).toBeCloseTo(1, 10);
    expect(values[1]).toBeCloseTo(3, 10);
    expect(values[2]).toBeCloseTo(5, 10);
  });

  it('reports rank about 1 for embeddings on a line and near full for isotropic ones', () => {
    const random = seededRandom(5);
    const rows = 400;
    const dim = 8;
    const direction = Array.from({ length: dim }, () => random() - 0.5);
    const line = tf.tensor2d(
      Array.from({ length: rows }, () => {
        const s = random();
        return direction.map((d) => d * s);
      }),
    );
    const cloud = tf.tensor2d(
      Array.from({ length: rows }, () => Array.from({ length: dim }, () => random() - 0.5)),
    );
    // float32 Gram noise leaves tiny singular values in the null space.
    expect(effectiveRank(line)).toBeGreaterThan(0.99);
    expect(effectiveRank(line)).toBeLessThan(1.01);
    expect(effectiveRank(cloud)).toBeGreaterThan(dim * 0.9);
    tf.dispose([line, cloud]);
  });

  it('batch std is zero when every clip embeds the same and positive otherwise', () => {
    const same = tf.ones([4, 3, 8]);
    const random = seededRandom(6);
    const varied = tf.tensor3d(
      Array.from({ length: 4 * 3 * 8 }, () => random() - 0.5),
      [4, 3, 8],
    );
    expect(batchEmbeddingStd(same).dataSync()[0]).toBeCloseTo(0, 6);
    expect(batchEmbeddingStd(varied).dataSync()[0]).toBeGreaterThan(0.05);
    tf.dispose([same, varied]);
  });
});

describe('schedules', () => {
  const schedule = presetConfig('tiny', { schedule: { totalSteps: 100, warmupSteps: 10 } }).schedule;

  it('warms the learning rate up linearly, peaks, then decays to the final rate', () => {
    expect(learningRate(schedule, 0)).toBeCloseTo(schedule.peakLearningRate / 10, 12);
    expect(learningRate(schedule, 9)).toBeCloseTo(schedule.peakLearningRate, 12);
    expect(learningRate(schedule, 10)).toBeCloseTo(schedule.peakLearningRate, 12);
    expect(learningRate(schedule, 55)).toBeLessThan(schedule.peakLearningRate);
    expect(learningRate(schedule, 100)).toBeCloseTo(schedule.finalLearningRate, 12);
    expect(learningRate(schedule, 500)).toBeCloseTo(schedule.finalLearningRate, 12);
  });

  it('raises the EMA momentum from start to end', () => {
    expect(emaMomentum(schedule, 0)).toBe(schedule.emaMomentumStart);
    expect(emaMomentum(schedule, 50)).toBeCloseTo(
      (schedule.emaMomentumStart + schedule.emaMomentumEnd) / 2,
      12,
    );
    expect(emaMomentum(schedule, 100)).toBe(schedule.emaMomentumEnd);
    expect(emaMomentum(schedule, 200)).toBe(schedule.emaMomentumEnd);
  });
});
