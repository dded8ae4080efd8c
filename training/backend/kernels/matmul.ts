/** BatchMatMul and _FusedMatMul on BLAS sgemm, with batch broadcasting and fused bias/activation. */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { BinaryOp, type NativeAddon, UnaryOp } from '../addon.js';
import { batchIndices, binaryLayout, broadcastShapes, sizeOf } from '../layout.js';
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

function nativeMatmul(
  addon: NativeAddon,
  backend: KernelBackend,
  a: TensorInfo | undefined,
  b: TensorInfo | undefined,
  transposeA: boolean,
  transposeB: boolean,
): { values: Float32Array; shape: number[] } | undefined {
  const aValues = floatValues(backend, a);
  const bValues = floatValues(backend, b);
  if (!a || !b || !aValues || !bValues || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) return undefined;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = broadcastShapes(aBatch, bBatch);
  if (!outBatch) return undefined;
  const batch = sizeOf(outBatch);
  const values = uninitializedFloats(batch * m * n);
  addon.matmul(
    aValues,
    bValues,
    values,
    batch,
    m,
    n,
    k,
    transposeA,
    transposeB,
    batchIndices(aBatch, outBatch),
    batchIndices(bBatch, outBatch),
  );
  return { values, shape: [...outBatch, m, n] };
}

export const batchMatMul: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const result = nativeMatmul(
    addon,
    backend,
    inputs.a,
    inputs.b,
    Boolean(attrs?.transposeA),
    Boolean(attrs?.transposeB),
  );
  return result && floatOutput(backend, result.shape, result.values);
};

const FUSED_ACTIVATIONS: Record<string, number | null> = {
  linear: null,
  relu: UnaryOp.Relu,
  relu6: UnaryOp.Relu6,
  elu: UnaryOp.Elu,
  sigmoid: UnaryOp.Sigmoid,
  leakyrelu: UnaryOp.LeakyRelu,
};

export const fusedMatMul: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const activation = String(attrs?.activation ?? 'linear');
  // prelu (per-channel alpha tensor) stays with the stock kernel.
  if (!(activation in FUSED_ACTIVATIONS)) return undefined;
  const bias = inputs.bias;
  const biasValues = floatValues(backend, bias);
  if (bias && !biasValues) return undefined;
  const result = nativeMatmul(
    addon,
    backend,
    inputs.a,
    inputs.b,
    Boolean(attrs?.transposeA),
    Boolean(attrs?.transposeB),
  );
  if (!result) return undefined;
  if (bias && biasValues) {
    const layout = binaryLayout(result.shape, bias.shape);
    if (!layout || layout.outShape.length !== result.shape.length) return undefined;
    if (layout.outShape.some((dim, d) => dim !== result.shape[d])) return undefined;
    // In place: each output element reads only its own position of the product.
    addon.binary(
      BinaryOp.Add,
      result.values,
      biasValues,
      result.values,
      layout.loopShape,
      layout.stridesA,
      layout.stridesB,
    );
  }
  const op = FUSED_ACTIVATIONS[activation];
  if (op !== null) addon.unary(op, result.values, result.values, Number(attrs?.leakyreluAlpha ?? 0.2));
  return floatOutput(backend, result.shape, result.values);
};
