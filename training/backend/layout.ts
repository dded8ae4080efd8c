/**
 * Shape arithmetic for the native kernels: turns TensorFlow.js shapes into the minimal strided
 * loops the C++ side runs. Dimensions of size 1 are dropped and neighbouring dimensions that
 * step through memory together are merged, so that inner loops are as long as possible.
 */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** NumPy-style broadcast of two shapes, or undefined when they are incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let d = 0; d < rank; d++) {
    const da = a[a.length - rank + d] ?? 1;
    const db = b[b.length - rank + d] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[d] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen through the broadcast output shape `out` (0 along broadcast dims). */
function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = contiguousStrides(shape);
  const offset = out.length - shape.length;
  return out.map((dim, d) => {
    const sourceDim = shape[d - offset];
    return sourceDim === undefined || (sourceDim === 1 && dim !== 1) ? 0 : own[d - offset];
  });
}

/** Merges dims where every operand's stride chain is contiguous; drops size-1 dims. */
export function coalesce(shape: Shape, strideSets: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && strideSets.every((strides, i) => outStrides[i][last] === strides[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      strideSets.forEach((strides, i) => {
        outStrides[i][last] = strides[d];
      });
    } else {
      outShape.push(shape[d]);
      strideSets.forEach((strides, i) => {
        outStrides[i].push(strides[d]);
      });
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strideSets.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

export interface BinaryLayout {
  outShape: number[];
  loopShape: Int32Array;
  stridesA: Int32Array;
  stridesB: Int32Array;
}

export function binaryLayout(a: Shape, b: Shape): BinaryLayout | undefined {
  const outShape = broadcastShapes(a, b);
  if (!outShape) return undefined;
  const { shape, strides } = coalesce(outShape, [
    broadcastStrides(a, outShape),
    broadcastStrides(b, outShape),
  ]);
  return {
    outShape,
    loopShape: Int32Array.from(shape),
    stridesA: Int32Array.from(strides[0]),
    stridesB: Int32Array.from(strides[1]),
  };
}

export interface TransposeLayout {
  outShape: number[];
  loopShape: Int32Array;
  sourceStrides: Int32Array;
}

export function transposeLayout(shape: Shape, perm: readonly number[]): TransposeLayout {
  const sourceStrides = contiguousStrides(shape);
  const outShape = perm.map((axis) => shape[axis]);
  const merged = coalesce(outShape, [perm.map((axis) => sourceStrides[axis])]);
  return {
    outShape,
    loopShape: Int32Array.from(merged.shape),
    sourceStrides: Int32Array.from(merged.strides[0]),
  };
}

/**
 * A reduction over `axes` of `shape` as a reduction over the middle of [outer, reduced, inner],
 * or, when the reduced axes are not one block, the permutation that makes them the last axes.
 */
export type ReducePlan =
  | { kind: 'block'; outer: number; reduced: number; inner: number }
  | { kind: 'transposeFirst'; perm: number[]; outer: number; reduced: number };

export function reducePlan(shape: Shape, axes: readonly number[]): ReducePlan {
  const reducedAxes = new Set(axes);
  // Size-1 dims neither split nor extend a block.
  const significant = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const flags = significant.map((d) => reducedAxes.has(d));
  const first = flags.indexOf(true);
  const last = flags.lastIndexOf(true);
  const reduced = sizeOf(axes.map((d) => shape[d]));
  const total = sizeOf(shape);
  if (first === -1) return { kind: 'block', outer: total, reduced: 1, inner: 1 };
  if (flags.slice(first, last + 1).every(Boolean)) {
    const inner = sizeOf(significant.slice(last + 1).map((d) => shape[d]));
    return { kind: 'block', outer: total / (reduced * inner), reduced, inner };
  }
  const kept = shape.map((_, d) => d).filter((d) => !reducedAxes.has(d));
  return { kind: 'transposeFirst', perm: [...kept, ...axes], outer: total / reduced, reduced };
}

/** Output shape of a reduction. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const reducedAxes = new Set(axes);
  if (keepDims) return shape.map((dim, d) => (reducedAxes.has(d) ? 1 : dim));
  return shape.filter((_, d) => !reducedAxes.has(d));
}

/**
 * For each output batch element of a broadcast batched matmul, the index of the operand
 * matrix it reads.
 */
export function batchIndices(operandBatch: Shape, outBatch: Shape): Int32Array {
  const count = sizeOf(outBatch);
  const index = new Int32Array(count);
  const strides = broadcastStrides(operandBatch, outBatch);
  const outStrides = contiguousStrides(outBatch);
  for (let i = 0; i < count; i++) {
    let rest = i;
    let source = 0;
    for (let d = 0; d < outBatch.length; d++) {
      const coord = Math.floor(rest / outStrides[d]);
      rest -= coord * outStrides[d];
      source += coord * strides[d];
    }
    index[i] = source;
  }
  return index;
}
