/**
 * Slice, SplitV and Concat as strided copies. The stock CPU kernels copy element by element
 * through index arithmetic in JavaScript; the attention's q/k/v split (and its gradient, a
 * concatenation) made SplitV alone most of a native training step before these existed.
 */
import { backend_util, slice_util, type TensorInfo, util } from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.js';
import { coalesce, contiguousStrides, sizeOf } from '../layout.js';
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

/** Copies the block [outer, width] (row stride sourceRow) of x into out (row stride destRow). */
function copyBlock(
  addon: NativeAddon,
  x: Float32Array,
  out: Float32Array,
  outer: number,
  width: number,
  sourceRow: number,
  destRow: number,
): void {
  if (outer === 0 || width === 0) return;
  addon.copy(x, out, Int32Array.of(outer, width), Int32Array.of(sourceRow, 1), Int32Array.of(destRow, 1));
}

export const slice: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const { x } = inputs;
  if (!x) return undefined;
  const values = floatValues(backend, x);
  if (!values) return undefined;
  const [begin, size] = slice_util.parseSliceParams(
    x as unknown as Parameters<typeof slice_util.parseSliceParams>[0],
    attrs?.begin as number[],
    attrs?.size as number[],
  );
  const strides = contiguousStrides(x.shape);
  const out = uninitializedFloats(sizeOf(size));
  if (out.length > 0) {
    const offset = begin.reduce((sum, start, d) => sum + start * strides[d], 0);
    const merged = coalesce(size, [strides]);
    addon.transpose(
      values.subarray(offset),
      out,
      Int32Array.from(merged.shape),
      Int32Array.from(merged.strides[0]),
    );
  }
  return floatOutput(backend, size, out);
};

export const splitV: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const { x } = inputs;
  if (!x) return undefined;
  const values = floatValues(backend, x);
  if (!values) return undefined;
  const axis = util.parseAxisParam(attrs?.axis as number, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(
    x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0],
    attrs?.numOrSizeSplits as number[] | number,
    axis,
  );
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rowLength = x.shape[axis] * inner;
  let start = 0;
  return sizes.map((size): TensorInfo => {
    const shape = [...x.shape];
    shape[axis] = size;
    const out = uninitializedFloats(outer * size * inner);
    copyBlock(addon, values.subarray(start * inner), out, outer, size * inner, rowLength, size * inner);
    start += size;
    return floatOutput(backend, shape, out);
  });
};

export const concat: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const tensors = Object.values(inputs).filter((tensor): tensor is TensorInfo => tensor !== undefined);
  if (tensors.length === 0) return undefined;
  const parts = tensors.map((tensor) => floatValues(backend, tensor));
  if (parts.some((part) => part === undefined)) return undefined;
  const axis = util.parseAxisParam(attrs?.axis as number, tensors[0].shape)[0];
  const shapes = tensors.map((tensor) => [...tensor.shape]);
  const rank = shapes[0].length;
  const consistent = shapes.every(
    (shape) => shape.length === rank && shape.every((dim, d) => d === axis || dim === shapes[0][d]),
  );
  if (!consistent) return undefined;
  const outShape = backend_util.computeOutShape(shapes, axis);
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const rowLength = outShape[axis] * inner;
  const out = uninitializedFloats(sizeOf(outShape));
  let start = 0;
  parts.forEach((part, i) => {
    const width = shapes[i][axis] * inner;
    copyBlock(addon, part as Float32Array, out.subarray(start), outer, width, width, rowLength);
    start += width;
  });
  return floatOutput(backend, outShape, out);
};
