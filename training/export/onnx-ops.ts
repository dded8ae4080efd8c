import { MissingWeightError } from '../model/errors.js';
import type { TensorOps } from '../model/ops.js';
import type { NamedArrays } from '../model/params.js';
import type { OnnxGraphBuilder } from './onnx-builder.js';

/**
 * Records the model as ONNX nodes: every `TensorOps` call appends the equivalent opset-17 node(s)
 * and returns the name of the value it produces. Weights become initializers on first use.
 */
export function onnxOps(graph: OnnxGraphBuilder, weights: NamedArrays): TensorOps<string> {
  const scalar = (value: number) => {
    const name = `const_${value}`;
    return graph.hasValue(name) ? name : graph.addFloatInitializer(name, [], Float32Array.of(value));
  };
  const single = (
    opType: string,
    inputs: string[],
    attributes?: Parameters<OnnxGraphBuilder['addNode']>[2],
  ) => graph.addNode(opType, inputs, attributes)[0];

  return {
    param(name) {
      if (graph.hasValue(name)) return name;
      const weight = weights.get(name);
      if (!weight) throw new MissingWeightError(name);
      return graph.addFloatInitializer(name, weight.shape, weight.data);
    },
    constant: (name, shape, values) =>
      graph.hasValue(name) ? name : graph.addFloatInitializer(name, shape, values),
    matMul: (a, b) => single('MatMul', [a, b]),
    add: (a, b) => single('Add', [a, b]),
    affine: (x, weight, bias) => single('Add', [single('MatMul', [x, weight]), bias]),
    scale: (x, factor) => single('Mul', [x, scalar(factor)]),
    reshape(x, shape) {
      const shapeName = `shape_${shape.map((size) => (size < 0 ? 'B' : size)).join('x')}`;
      if (!graph.hasValue(shapeName)) graph.addInt64Initializer(shapeName, [shape.length], shape);
      return single('Reshape', [x, shapeName]);
    },
    transpose: (x, perm) => single('Transpose', [x], { attributes: { perm: { ints: perm } } }),
    // Opset 17 Split without a `split` input divides the axis equally among the outputs.
    split: (x, parts, axis) =>
      graph.addNode('Split', [x], { outputs: parts, attributes: { axis: { int: axis } } }),
    layerNorm: (x, gamma, beta, epsilon) =>
      single('LayerNormalization', [x, gamma, beta], {
        attributes: { axis: { int: -1 }, epsilon: { float: epsilon } },
      }),
    gelu(x) {
      // Opset 17 has no Gelu node; this is the exact erf form, as in tf-ops.ts.
      const erf = single('Erf', [single('Mul', [x, scalar(Math.SQRT1_2)])]);
      return single('Mul', [single('Mul', [x, single('Add', [erf, scalar(1)])]), scalar(0.5)]);
    },
    softmax: (x) => single('Softmax', [x], { attributes: { axis: { int: -1 } } }),
    gatherRows: (table, ids) => single('Gather', [table, ids], { attributes: { axis: { int: 0 } } }),
  };
}
