/** Sum / Mean / Max / Min over any axes, without the stock kernels' transpose when avoidable. */
import { util } from '@tensorflow/tfjs';
import { ReduceOp } from '../addon.js';
import { reducedShape, reducePlan, sizeOf, transposeLayout } from '../layout.js';
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

/** Kernel name -> [op, attribute holding the axes]. */
export const REDUCE_KERNELS: Record<string, [number, string]> = {
  Sum: [ReduceOp.Sum, 'axis'],
  Mean: [ReduceOp.Mean, 'axis'],
  Max: [ReduceOp.Max, 'reductionIndices'],
  Min: [ReduceOp.Min, 'axis'],
};

export function reduceImpl(op: number, axisAttr: string): NativeImpl {
  return (addon, { inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs;
    if (!x) return undefined;
    const values = floatValues(backend, x);
    if (!values || values.length === 0) return undefined;
    // A null axis means every axis, as in the stock kernels.
    const axisParam = (attrs?.[axisAttr] ?? null) as number | number[] | null;
    const axes = [...new Set(util.parseAxisParam(axisParam as number[], x.shape))].sort((p, q) => p - q);
    const outShape = reducedShape(x.shape, axes, Boolean(attrs?.keepDims));
    const out = uninitializedFloats(sizeOf(outShape));
    const plan = reducePlan(x.shape, axes);
    if (plan.kind === 'block') {
      addon.reduce(op, values, out, plan.outer, plan.reduced, plan.inner);
    } else {
      const layout = transposeLayout(x.shape, plan.perm);
      const transposed = uninitializedFloats(values.length);
      addon.transpose(values, transposed, layout.loopShape, layout.sourceStrides);
      addon.reduce(op, transposed, out, plan.outer, plan.reduced, 1);
    }
    return floatOutput(backend, outShape, out);
  };
}
