import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { varianceHinge } from '../../../training/model/loss.js';
import { seededRandom } from '../../../training/model/params.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function embeddings(batch: number, patches: number, dim: number, spread: number, seed: number): tf.Tensor3D {
  const random = seededRandom(seed);
  const shared = Array.from({ length: patches * dim }, () => random() - 0.5);
  const values = new Float32Array(batch * patches * dim);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < patches * dim; i++)
      values[b * patches * dim + i] = shared[i] + spread * (random() - 0.5);
  }
  return tf.tensor3d(values, [batch, patches, dim]);
}

describe('varianceHinge', () => {
  it('is near its target for a collapsed batch and zero for a spread-out one', () => {
    const target = 0.07;
    const collapsed = embeddings(8, 10, 32, 0, 1);
    const spread = embeddings(8, 10, 32, 20, 2);
    const collapsedValue = varianceHinge(collapsed, target).dataSync()[0];
    const spreadValue = varianceHinge(spread, target).dataSync()[0];
    expect(collapsedValue).toBeGreaterThan(0.9 * target);
    expect(spreadValue).toBeLessThan(0.05 * target);
    tf.dispose([collapsed, spread]);
  });

  it('has a gradient that spreads a collapsed batch apart', () => {
    const start = embeddings(8, 10, 32, 0.01, 3);
    const variable = tf.variable(start);
    const before = varianceHinge(variable, 0.07).dataSync()[0];
    const optimizer = tf.train.sgd(5);
    for (let i = 0; i < 20; i++) optimizer.minimize(() => varianceHinge(variable, 0.07));
    const after = varianceHinge(variable, 0.07).dataSync()[0];
    expect(after).toBeLessThan(before * 0.5);
    tf.dispose([start, variable]);
  });
});
