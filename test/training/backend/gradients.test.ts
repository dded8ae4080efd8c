/**
 * Training through the native backend matches the stock CPU backend: gradients of a small
 * pre-norm transformer (tf.variableGrads), and a few real Stem-JEPA training steps (forward,
 * backward, AdamW, EMA) compared weight by weight.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { presetConfig } from '../../../training/model/config.js';
import { createStemJepa, type TrainBatch } from '../../../training/model/stem-jepa.js';
import { expectClose, NATIVE_AVAILABLE, SKIP_REASON, seededValues } from './helpers.js';

const TOKENS = 20;
const DIM = 16;
const HEADS = 2;
const BATCH = 3;

function weight(shape: number[], seed: number, scale = 0.3): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(seededValues(size, seed, -scale, scale), shape));
}

/** Two pre-norm blocks (LayerNorm, multi-head softmax attention, GELU MLP) and an MSE loss. */
function tinyTransformer() {
  const params: Record<string, tf.Variable> = { embed: weight([12, DIM], 1), head: weight([DIM, 5], 2) };
  for (let block = 0; block < 2; block++) {
    const p = (name: string, shape: number[], seed: number, scale?: number) => {
      params[`${block}.${name}`] = weight(shape, 100 * block + seed, scale);
    };
    p('gamma1', [DIM], 3, 1);
    p('beta1', [DIM], 4);
    p('qkv', [DIM, 3 * DIM], 5);
    p('qkvBias', [3 * DIM], 6);
    p('proj', [DIM, DIM], 7);
    p('gamma2', [DIM], 8, 1);
    p('beta2', [DIM], 9);
    p('fc1', [DIM, 4 * DIM], 10);
    p('fc2', [4 * DIM, DIM], 11);
  }
  const layerNorm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), gamma), beta);
  };
  const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const loss = (input: tf.Tensor, target: tf.Tensor) => {
    let x = tf.reshape(tf.matMul(tf.reshape(input, [-1, 12]), params.embed), [BATCH, TOKENS, DIM]);
    const headDim = DIM / HEADS;
    for (let block = 0; block < 2; block++) {
      const w = (name: string) => params[`${block}.${name}`];
      const normed = layerNorm(x, w('gamma1'), w('beta1'));
      const qkv = tf.add(tf.matMul(tf.reshape(normed, [-1, DIM]), w('qkv')), w('qkvBias'));
      const [q, k, v] = tf
        .split(qkv, 3, -1)
        .map((part) => tf.transpose(tf.reshape(part, [BATCH, TOKENS, HEADS, headDim]), [0, 2, 1, 3]));
      const attention = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim)));
      const mixed = tf.reshape(tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]), [-1, DIM]);
      x = tf.add(x, tf.reshape(tf.matMul(mixed, w('proj')), [BATCH, TOKENS, DIM]));
      const hidden = gelu(tf.matMul(tf.reshape(layerNorm(x, w('gamma2'), w('beta2')), [-1, DIM]), w('fc1')));
      x = tf.add(x, tf.reshape(tf.matMul(hidden, w('fc2')), [BATCH, TOKENS, DIM]));
    }
    const output = tf.matMul(tf.reshape(x, [-1, DIM]), params.head);
    return tf.mean(tf.squaredDifference(output, tf.reshape(target, [-1, 5]))) as tf.Scalar;
  };
  return { params, loss };
}

async function gradientsOn(
  backend: string,
): Promise<Map<string, { shape: number[]; dtype: string; values: Float32Array }>> {
  await tf.setBackend(backend);
  const model = tinyTransformer();
  const input = tf.tensor(seededValues(BATCH * TOKENS * 12, 7, -2, 2), [BATCH, TOKENS, 12]);
  const target = tf.tensor(seededValues(BATCH * TOKENS * 5, 8), [BATCH, TOKENS, 5]);
  const { value, grads } = tf.variableGrads(() => model.loss(input, target));
  const result = new Map<string, { shape: number[]; dtype: string; values: Float32Array }>();
  result.set('loss', { shape: [], dtype: 'float32', values: Float32Array.from(value.dataSync()) });
  for (const [name, variable] of Object.entries(model.params)) {
    const grad = grads[variable.name];
    result.set(name, {
      shape: [...grad.shape],
      dtype: grad.dtype,
      values: Float32Array.from(grad.dataSync()),
    });
  }
  tf.dispose([value, input, target, ...Object.values(grads), ...Object.values(model.params)]);
  return result;
}

function stemBatch(batchSize: number, seed: number): TrainBatch {
  const values = batchSize * 80 * 800;
  return {
    context: seededValues(values, seed, -2, 2),
    target: seededValues(values, seed + 1, -2, 2),
    instrumentIds: Int32Array.from({ length: batchSize }, (_, i) => (seed + i) % 8),
    batchSize,
  };
}

async function stemJepaStepsOn(backend: string, steps: number) {
  await tf.setBackend(backend);
  const model = createStemJepa(presetConfig('tiny'), 3);
  try {
    const losses = Array.from({ length: steps }, (_, step) => model.trainStep(stemBatch(2, 10 + step)));
    return { losses, online: model.exportWeights('context'), target: model.exportWeights('target') };
  } finally {
    model.dispose();
  }
}

describe.skipIf(!NATIVE_AVAILABLE)(
  `native backend training${NATIVE_AVAILABLE ? '' : ` (${SKIP_REASON})`}`,
  () => {
    afterEach(async () => {
      await tf.setBackend('cpu');
    });

    it('gives the same loss and gradients as the stock CPU backend on a small transformer', async () => {
      const stock = await gradientsOn('cpu');
      const native = await gradientsOn('native');
      expect([...native.keys()]).toEqual([...stock.keys()]);
      for (const [name, expected] of stock) {
        try {
          expectClose(native.get(name)!, expected, 1e-4, 1e-6);
        } catch (error) {
          throw new Error(`gradient of ${name}: ${(error as Error).message}`);
        }
      }
    });

    it('takes the same Stem-JEPA training steps (losses, trained and EMA weights) as the stock backend', async () => {
      const stock = await stemJepaStepsOn('cpu', 3);
      const native = await stemJepaStepsOn('native', 3);
      native.losses.forEach((loss, i) => {
        expect(loss).toBeCloseTo(stock.losses[i], 4);
      });
      for (const which of ['online', 'target'] as const) {
        for (const [name, expected] of stock[which]) {
          const actual = native[which].get(name)!;
          try {
            expectClose(
              { shape: actual.shape, dtype: 'float32', values: actual.data },
              { shape: expected.shape, dtype: 'float32', values: expected.data },
              1e-3,
              1e-5,
            );
          } catch (error) {
            throw new Error(`${which} weight ${name}: ${(error as Error).message}`);
          }
        }
      }
    });
  },
);
