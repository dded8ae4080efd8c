import { type ModelConfig, patchGrid } from './config.js';
import type { TensorOps } from './ops.js';
import { sinCosPositionalEmbedding } from './positional.js';

/**
 * ViT encoder: normalised log-mel `[B, 1, nMels, chunkFrames]` → one embedding per patch
 * `[B, numPatches, dim]`, patches in frequency-row-major order (see `patchGrid`). Pre-norm blocks,
 * exact GELU, final LayerNorm. Used for both the context and the (EMA) target encoder.
 */
export function encode<T>(ops: TensorOps<T>, config: ModelConfig, logMel: T): T {
  let x = ops.add(patchEmbed(ops, config, logMel), positions(ops, config));
  for (let block = 0; block < config.depth; block++) {
    x = transformerBlock(ops, config, `encoder.blocks.${block}`, x);
  }
  return layerNorm(ops, config, 'encoder.norm', x);
}

/** Cuts the spectrogram into non-overlapping patches with reshapes only (no convolution), then projects. */
function patchEmbed<T>(ops: TensorOps<T>, config: ModelConfig, logMel: T): T {
  const { gridFreq, gridTime, numPatches, patchSize } = patchGrid(config);
  const { patchHeight, patchWidth } = config;
  const rows = ops.reshape(logMel, [-1, gridFreq, patchHeight, gridTime, patchWidth]);
  const patches = ops.transpose(rows, [0, 1, 3, 2, 4]);
  const flat = ops.reshape(patches, [-1, numPatches, patchSize]);
  return linear(ops, 'encoder.patch_embed', flat);
}

function positions<T>(ops: TensorOps<T>, config: ModelConfig): T {
  const { numPatches } = patchGrid(config);
  return ops.constant('encoder.pos_embed', [1, numPatches, config.dim], sinCosPositionalEmbedding(config));
}

function transformerBlock<T>(ops: TensorOps<T>, config: ModelConfig, prefix: string, x: T): T {
  x = ops.add(x, attention(ops, config, `${prefix}.attn`, layerNorm(ops, config, `${prefix}.norm1`, x)));
  const hidden = ops.gelu(linear(ops, `${prefix}.mlp.fc1`, layerNorm(ops, config, `${prefix}.norm2`, x)));
  return ops.add(x, linear(ops, `${prefix}.mlp.fc2`, hidden));
}

function attention<T>(ops: TensorOps<T>, config: ModelConfig, prefix: string, x: T): T {
  const { numPatches } = patchGrid(config);
  const headDim = config.dim / config.heads;
  // [B, N, 3D] → [3, B, heads, N, headDim], then split the outermost axis into q, k and v.
  const qkv = ops.reshape(linear(ops, `${prefix}.qkv`, x), [-1, numPatches, 3, config.heads, headDim]);
  const [q, k, v] = ops
    .split(ops.transpose(qkv, [2, 0, 3, 1, 4]), 3, 0)
    .map((t) => ops.reshape(t, [-1, config.heads, numPatches, headDim]));
  // Scaling q before the product keeps the score matrix, the largest tensor, one op smaller.
  const scores = ops.matMul(ops.scale(q, 1 / Math.sqrt(headDim)), ops.transpose(k, [0, 1, 3, 2]));
  const mixed = ops.matMul(ops.softmax(scores), v);
  const merged = ops.reshape(ops.transpose(mixed, [0, 2, 1, 3]), [-1, numPatches, config.dim]);
  return linear(ops, `${prefix}.proj`, merged);
}

export function linear<T>(ops: TensorOps<T>, prefix: string, x: T): T {
  return ops.affine(x, ops.param(`${prefix}.weight`), ops.param(`${prefix}.bias`));
}

export function layerNorm<T>(ops: TensorOps<T>, config: ModelConfig, prefix: string, x: T): T {
  return ops.layerNorm(x, ops.param(`${prefix}.gamma`), ops.param(`${prefix}.beta`), config.layerNormEpsilon);
}
