import type { ModelConfig } from './config.js';
import { layerNorm, linear } from './encoder.js';
import type { TensorOps } from './ops.js';

/**
 * Per-patch MLP predictor (paper: 6 layers) conditioned on the target stem's instrument:
 * context embeddings `[B, numPatches, dim]` and instrument ids `[B]` → predicted target
 * embeddings `[B, numPatches, dim]`.
 *
 * The label embedding is concatenated to every patch embedding. Layer 0 applies that as
 * `x W + label W_label + b`, which equals one matrix over `[x ; label]` but never materialises the
 * broadcast concatenation. Hidden layers are Linear → LayerNorm → GELU.
 */
export function predict<T>(ops: TensorOps<T>, config: ModelConfig, embeddings: T, instrumentIds: T): T {
  const label = ops.gatherRows(ops.param('predictor.label_embedding'), instrumentIds);
  const labelBias = ops.reshape(ops.matMul(label, ops.param('predictor.layers.0.label_weight')), [
    -1,
    1,
    config.predictorHidden,
  ]);
  let x = ops.add(linear(ops, 'predictor.layers.0', embeddings), labelBias);
  for (let layer = 0; layer < config.predictorDepth; layer++) {
    const prefix = `predictor.layers.${layer}`;
    if (layer > 0) x = linear(ops, prefix, x);
    if (layer < config.predictorDepth - 1) x = ops.gelu(layerNorm(ops, config, `${prefix}.norm`, x));
  }
  return x;
}
