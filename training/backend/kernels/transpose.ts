/** Transpose as a strided gather whose innermost run is as long as the permutation allows. */
import { transposeLayout } from '../layout.js';
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

export const transpose: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const { x } = inputs;
  if (!x) return undefined;
  const values = floatValues(backend, x);
  const perm = attrs?.perm as number[] | undefined;
  if (!values || !perm || perm.length !== x.shape.length) return undefined;
  const layout = transposeLayout(x.shape, perm);
  const out = uninitializedFloats(values.length);
  addon.transpose(values, out, layout.loopShape, layout.sourceStrides);
  return floatOutput(backend, layout.outShape, out);
};
