import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clipEmbeddings,
  columnEmbeddings,
  contrastiveLoss,
  varianceHinge,
} from '../../../training/model/loss.js';
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

describe('contrastiveLoss', () => {
  const unit = (rows: number[][]) => tf.tensor2d(rows.map((row) => row.map((v) => v / Math.hypot(...row))));

  it('is near zero when each prediction points at its own target and ln(B) when all are alike', () => {
    const targets = unit([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const positives = tf.tensor1d([0, 1, 2], 'int32');
    const matched = contrastiveLoss(targets, targets, positives, undefined, 0.05).dataSync()[0]!;
    const alike = unit([
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
    const uninformed = contrastiveLoss(alike, targets, positives, undefined, 0.05).dataSync()[0]!;
    expect(matched).toBeLessThan(1e-3);
    expect(uninformed).toBeCloseTo(Math.log(3), 4);
    tf.dispose([targets, positives, alike]);
  });

  it('ignores excluded negatives: a near-copy of the positive does not count against it', () => {
    const targets = unit([
      [1, 0],
      [1, 0.01],
      [0, 1],
    ]);
    const predicted = unit([[1, 0]]);
    const positive = tf.tensor1d([0], 'int32');
    const withCopy = contrastiveLoss(predicted, targets, positive, undefined, 0.1).dataSync()[0]!;
    const excluded = tf.tensor2d([[0, 1, 0]]);
    const withoutCopy = contrastiveLoss(predicted, targets, positive, excluded, 0.1).dataSync()[0]!;
    expect(withCopy).toBeGreaterThan(0.6);
    expect(withoutCopy).toBeLessThan(1e-3);
    tf.dispose([targets, predicted, positive, excluded]);
  });
});

describe('contrastiveLoss per column', () => {
  it('contrasts each column only with the same column of the other targets', () => {
    // Two targets whose columns are swapped: each column of prediction 0 equals target 1's
    // *other* column, so a clip-level contrast could not tell them apart, the column one can.
    const targets = tf.tensor3d([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]);
    const positives = tf.tensor1d([0, 1], 'int32');
    const perColumn = contrastiveLoss(targets, targets, positives, undefined, 0.05).dataSync()[0]!;
    const pooled = tf.tidy(() => tf.div(tf.sum(targets, 1), Math.SQRT2)) as tf.Tensor2D;
    const perClip = contrastiveLoss(pooled, pooled, positives, undefined, 0.05).dataSync()[0]!;
    expect(perColumn).toBeLessThan(1e-3);
    expect(perClip).toBeCloseTo(Math.log(2), 4);
    // One column is the same as the pooled (2-D) form.
    const oneColumn = contrastiveLoss(
      tf.expandDims(pooled, 1),
      tf.expandDims(pooled, 1),
      positives,
      undefined,
      0.05,
    );
    expect(oneColumn.dataSync()[0]).toBeCloseTo(perClip, 5);
    tf.dispose([targets, positives, pooled, oneColumn]);
  });
});

describe('columnEmbeddings', () => {
  it('averages the normalised patches of each time column over frequency; their mean is the clip direction', () => {
    // 2 frequency rows x 2 time columns, frequency-row-major.
    const patches = tf.tensor3d([
      [
        [3, 0],
        [0, 2],
        [0, 100],
        [0, 5],
      ],
    ]);
    const columns = columnEmbeddings(patches, 2, 2);
    expect(columns.shape).toEqual([1, 2, 2]);
    const [a, b, c, d] = columns.dataSync();
    expect(a).toBeCloseTo(Math.SQRT1_2, 5);
    expect(b).toBeCloseTo(Math.SQRT1_2, 5);
    expect(c).toBeCloseTo(0, 5);
    expect(d).toBeCloseTo(1, 5);
    tf.dispose([patches, columns]);
  });
});

describe('clipEmbeddings', () => {
  it('pools patches like the service: each patch normalised, averaged, normalised again', () => {
    const patches = tf.tensor3d([
      [
        [3, 0],
        [0, 100],
      ],
    ]);
    const [x, y] = clipEmbeddings(patches).dataSync();
    expect(x).toBeCloseTo(Math.SQRT1_2, 5);
    expect(y).toBeCloseTo(Math.SQRT1_2, 5);
    patches.dispose();
  });
});
