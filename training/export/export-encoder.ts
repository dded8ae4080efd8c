import { type ModelConfig, patchGrid } from '../model/config.js';
import { encode } from '../model/encoder.js';
import { checkWeights, encoderParamSpecs, type NamedArrays } from '../model/params.js';
import { BATCH_AXIS, ENCODER_IO, OPSET, PRODUCER } from './graph-io.js';
import { OnnxGraphBuilder } from './onnx-builder.js';
import { onnxOps } from './onnx-ops.js';

/** `encoder.onnx`: `log_mel [B,1,nMels,chunkFrames]` → `patch_embeddings [B,numPatches,dim]`. */
export function buildEncoderOnnx(
  config: ModelConfig,
  weights: NamedArrays,
  producerVersion: string,
): Uint8Array {
  checkWeights(encoderParamSpecs(config), weights);
  const graph = new OnnxGraphBuilder('stem_jepa_encoder');
  const input = graph.addInput(ENCODER_IO.input, 'float32', [
    BATCH_AXIS,
    1,
    config.nMels,
    config.chunkFrames,
  ]);
  const embeddings = encode(onnxOps(graph, weights), config, input);
  graph.addNode('Identity', [embeddings], { outputs: [ENCODER_IO.output] });
  graph.addOutput(ENCODER_IO.output, 'float32', [BATCH_AXIS, patchGrid(config).numPatches, config.dim]);
  return graph.toBytes({
    opset: OPSET,
    producer: PRODUCER,
    producerVersion,
    docString: `Stem-JEPA context encoder (${config.name}); patches frequency-row-major`,
  });
}
