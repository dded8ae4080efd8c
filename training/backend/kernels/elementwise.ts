/** Broadcasting binary arithmetic and unary math, one native loop per op. */
import { BinaryOp, UnaryOp } from '../addon.js';
import { binaryLayout, sizeOf } from '../layout.js';
import { floatOutput, floatValues, type KernelArgs, type NativeImpl, uninitializedFloats } from './common.js';

export const BINARY_KERNELS: Record<string, number> = {
  Add: BinaryOp.Add,
  Sub: BinaryOp.Sub,
  Multiply: BinaryOp.Mul,
  RealDiv: BinaryOp.Div,
  SquaredDifference: BinaryOp.SquaredDifference,
  Maximum: BinaryOp.Maximum,
  Minimum: BinaryOp.Minimum,
  Pow: BinaryOp.Pow,
};

export const UNARY_KERNELS: Record<string, number> = {
  Exp: UnaryOp.Exp,
  Log: UnaryOp.Log,
  Neg: UnaryOp.Neg,
  Square: UnaryOp.Square,
  Sqrt: UnaryOp.Sqrt,
  Rsqrt: UnaryOp.Rsqrt,
  Erf: UnaryOp.Erf,
  Tanh: UnaryOp.Tanh,
  Sigmoid: UnaryOp.Sigmoid,
  Relu: UnaryOp.Relu,
  Relu6: UnaryOp.Relu6,
  Elu: UnaryOp.Elu,
  LeakyRelu: UnaryOp.LeakyRelu,
  Abs: UnaryOp.Abs,
  Reciprocal: UnaryOp.Reciprocal,
  Step: UnaryOp.Step,
};

/** Default alpha of the kernels that take one (LeakyRelu 0.2, Step 0), as in TensorFlow.js. */
const DEFAULT_ALPHA: Record<string, number> = { LeakyRelu: 0.2, Step: 0 };

export function binaryImpl(op: number): NativeImpl {
  return (addon, { inputs, backend }: KernelArgs) => {
    const { a, b } = inputs;
    if (!a || !b) return undefined;
    const aValues = floatValues(backend, a);
    const bValues = floatValues(backend, b);
    if (!aValues || !bValues) return undefined;
    const layout = binaryLayout(a.shape, b.shape);
    if (!layout) return undefined;
    const out = uninitializedFloats(sizeOf(layout.outShape));
    addon.binary(op, aValues, bValues, out, layout.loopShape, layout.stridesA, layout.stridesB);
    return floatOutput(backend, layout.outShape, out);
  };
}

export function unaryImpl(kernelName: string, op: number): NativeImpl {
  return (addon, { inputs, backend, attrs }: KernelArgs) => {
    const { x } = inputs;
    if (!x) return undefined;
    const values = floatValues(backend, x);
    if (!values) return undefined;
    const out = uninitializedFloats(values.length);
    addon.unary(op, values, out, Number(attrs?.alpha ?? DEFAULT_ALPHA[kernelName] ?? 0));
    return floatOutput(backend, [...x.shape], out);
  };
}
