/** Softmax over the last axis in one pass per row (the stock kernel runs five separate ops). */
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

export const softmax: NativeImpl = (addon, { inputs, backend, attrs }: KernelArgs) => {
  const { logits } = inputs;
  if (!logits) return undefined;
  const values = floatValues(backend, logits);
  const rank = logits.shape.length;
  const dim = Number(attrs?.dim ?? -1);
  if (!values || rank === 0 || (dim !== -1 && dim !== rank - 1)) return undefined;
  const cols = logits.shape[rank - 1];
  if (cols === 0) return undefined;
  const out = uninitializedFloats(values.length);
  addon.softmax(values, out, values.length / cols, cols);
  return floatOutput(backend, [...logits.shape], out);
};
