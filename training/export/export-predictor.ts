import { type ModelConfig, patchGrid } from '../model/config.js';
import { checkWeights, type NamedArrays, predictorParamSpecs } from '../model/params.js';
import { predict } from '../model/predictor.js';
import { BATCH_AXIS, OPSET, PREDICTOR_IO, PRODUCER } from './graph-io.js';
import { OnnxGraphBuilder } from './onnx-builder.js';
import { onnxOps } from './onnx-ops.js';

/**
 * `predictor.onnx`: `context_embeddings [B,numPatches,dim]` + `instrument_id [B]` (int64) →
 * `predicted_embeddings [B,numPatches,dim]`.
 */
export function buildPredictorOnnx(
  config: ModelConfig,
  weights: NamedArrays,
  producerVersion: string,
): Uint8Array {
  checkWeights(predictorParamSpecs(config), weights);
  const { numPatches } = patchGrid(config);
  const graph = new OnnxGraphBuilder('stem_jepa_predictor');
  const embeddings = graph.addInput(PREDICTOR_IO.embeddings, 'float32', [BATCH_AXIS, numPatches, config.dim]);
  const ids = graph.addInput(PREDICTOR_IO.instrumentId, 'int64', [BATCH_AXIS]);
  const predicted = predict(onnxOps(graph, weights), config, embeddings, ids);
  graph.addNode('Identity', [predicted], { outputs: [PREDICTOR_IO.output] });
  graph.addOutput(PREDICTOR_IO.output, 'float32', [BATCH_AXIS, numPatches, config.dim]);
  return graph.toBytes({
    opset: OPSET,
    producer: PRODUCER,
    producerVersion,
    docString: `Stem-JEPA instrument-conditioned predictor (${config.name})`,
  });
}
