import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../training/model/params.js';
import { gelu, layerNorm } from '../../../training/model/tf-gradients.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function seeded(shape: number[], seed: number, spread = 2): tf.Tensor {
  const random = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => (random() * 2 - 1) * spread),
    shape,
  );
}

function maxAbs(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The plain formulas, differentiated by autodiff: the reference for the hand-written gradients. */
const plainGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
function plainLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
}

describe('hand-written gradients', () => {
  it('GELU matches the plain formula in value and gradient', () => {
    const x = seeded([4, 5, 6], 1, 4);
    const weights = seeded([4, 5, 6], 2);
    const objective = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(f(t), weights));
    expect(maxAbs(gelu(x), plainGelu(x))).toBeLessThan(1e-6);
    expect(maxAbs(tf.grad(objective(gelu))(x), tf.grad(objective(plainGelu))(x))).toBeLessThan(1e-5);
  });

  it('LayerNorm matches the plain formula in value and in all three gradients', () => {
    const x = tf.add(seeded([3, 7, 16], 3, 3), 1.5);
    const gamma = seeded([16], 4);
    const beta = seeded([16], 5);
    const weights = seeded([3, 7, 16], 6);
    const loss = (f: typeof layerNorm) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a, g, b, 1e-6), weights));
    expect(maxAbs(layerNorm(x, gamma, beta, 1e-6), plainLayerNorm(x, gamma, beta, 1e-6))).toBeLessThan(1e-5);
    const custom = tf.grads(loss(layerNorm))([x, gamma, beta]);
    const reference = tf.grads(loss(plainLayerNorm))([x, gamma, beta]);
    for (let i = 0; i < 3; i++) expect(maxAbs(custom[i], reference[i])).toBeLessThan(1e-4);
  });
});
