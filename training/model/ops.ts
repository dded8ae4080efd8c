/**
 * The handful of tensor operations Stem-JEPA is made of. The encoder and predictor are written
 * once against this interface; `tf-ops.ts` evaluates it with TensorFlow.js (training, gradients)
 * and `training/export/onnx-ops.ts` records it as ONNX nodes, so both backends run the very same
 * architecture from the very same named weights.
 *
 * Shapes may use -1 for the (dynamic) batch axis only.
 */
export interface TensorOps<T> {
  /** A learned weight, looked up by its stable name (see `params.ts`). */
  param(name: string): T;
  /** A fixed, non-learned float32 tensor (e.g. positional embeddings). */
  constant(name: string, shape: readonly number[], values: Float32Array): T;
  matMul(a: T, b: T): T;
  /** `x · weight + bias` for a 2-D weight (one fused kernel where the backend has one). */
  affine(x: T, weight: T, bias: T): T;
  add(a: T, b: T): T;
  scale(x: T, factor: number): T;
  reshape(x: T, shape: readonly number[]): T;
  transpose(x: T, perm: readonly number[]): T;
  /**
   * Equal split along `axis` (non-negative). Prefer the outermost axis: the pieces are then
   * contiguous, which the tfjs CPU backend slices cheaply (a last-axis split is strided and slow).
   */
  split(x: T, parts: number, axis: number): T[];
  /** Normalises over the last axis, then applies gamma and beta. */
  layerNorm(x: T, gamma: T, beta: T, epsilon: number): T;
  /** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)). */
  gelu(x: T): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
  /** Rows of a 2-D table selected by integer ids of shape [B]: result [B, columns]. */
  gatherRows(table: T, ids: T): T;
}
