import * as tf from '@tensorflow/tfjs';
import { MissingWeightError } from './errors.js';
import type { TensorOps } from './ops.js';
import { gelu, layerNorm } from './tf-gradients.js';

export type WeightLookup = (name: string) => tf.Tensor | undefined;

/**
 * Evaluates the model with TensorFlow.js ops (differentiable, and picked up by any kernels
 * registered on the active backend). Call inside `tf.tidy` to free intermediates.
 */
export function tfOps(lookup: WeightLookup): TensorOps<tf.Tensor> {
  return {
    param(name) {
      const weight = lookup(name);
      if (!weight) throw new MissingWeightError(name);
      return weight;
    },
    constant: (_name, shape, values) => tf.tensor(values, [...shape], 'float32'),
    matMul,
    affine(x, weight, bias) {
      const leading = x.shape.slice(0, -1);
      const rows = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
      const product = tf.fused.matMul({ a: rows, b: weight as tf.Tensor2D, bias });
      return tf.reshape(product, [...leading, weight.shape[1] as number]);
    },
    add: (a, b) => tf.add(a, b),
    scale: (x, factor) => tf.mul(x, tf.scalar(factor)),
    reshape: (x, shape) => tf.reshape(x, [...shape]),
    transpose: (x, perm) => tf.transpose(x, [...perm]),
    split: (x, parts, axis) => tf.split(x, parts, axis),
    layerNorm,
    gelu,
    softmax: (x) => tf.softmax(x),
    gatherRows: (table, ids) => tf.gather(table, ids),
  };
}

/**
 * Batched activations times a weight matrix are folded into one 2-D product: tfjs's BatchMatMul
 * gradient does not handle a broadcast rank-2 operand, and one large GEMM is faster anyway.
 */
function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank <= 2 || b.rank !== 2) return tf.matMul(a, b);
  const leading = a.shape.slice(0, -1);
  const product = tf.matMul(tf.reshape(a, [-1, a.shape[a.rank - 1]]), b);
  return tf.reshape(product, [...leading, b.shape[1] as number]);
}

/** A lookup over a name → tensor map (variables or plain tensors). */
export function mapLookup(weights: ReadonlyMap<string, tf.Tensor>): WeightLookup {
  return (name) => weights.get(name);
}
