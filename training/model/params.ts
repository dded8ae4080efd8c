import { seededRandom } from '../../src/random.js';
import { type ModelConfig, mlpHidden, patchGrid } from './config.js';
import { MissingWeightError, WeightShapeError } from './errors.js';

/** How a weight starts: truncated normal (linear layers, embeddings), zeros (biases), ones (norm gains). */
export type InitKind = 'normal' | 'zeros' | 'ones';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
  /** AdamW decays matrices only; biases, norm parameters and the label table are left alone. */
  decay: boolean;
}

/** A weight's values outside any tensor library: what checkpoints and the ONNX exporter read. */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export type NamedArrays = Map<string, NamedArray>;

function linear(prefix: string, inputs: number, outputs: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [inputs, outputs], init: 'normal', decay: true },
    { name: `${prefix}.bias`, shape: [outputs], init: 'zeros', decay: false },
  ];
}

function norm(prefix: string, width: number): ParamSpec[] {
  return [
    { name: `${prefix}.gamma`, shape: [width], init: 'ones', decay: false },
    { name: `${prefix}.beta`, shape: [width], init: 'zeros', decay: false },
  ];
}

/** Encoder weights, all named `encoder.*`; the context and target encoders share these names. */
export function encoderParamSpecs(config: ModelConfig): ParamSpec[] {
  const { dim } = config;
  const specs = linear('encoder.patch_embed', patchGrid(config).patchSize, dim);
  for (let block = 0; block < config.depth; block++) {
    const prefix = `encoder.blocks.${block}`;
    specs.push(
      ...norm(`${prefix}.norm1`, dim),
      ...linear(`${prefix}.attn.qkv`, dim, 3 * dim),
      ...linear(`${prefix}.attn.proj`, dim, dim),
      ...norm(`${prefix}.norm2`, dim),
      ...linear(`${prefix}.mlp.fc1`, dim, mlpHidden(config)),
      ...linear(`${prefix}.mlp.fc2`, mlpHidden(config), dim),
    );
  }
  specs.push(...norm('encoder.norm', dim));
  return specs;
}

/**
 * Predictor weights, all named `predictor.*`. Layer 0 sees `[patch embedding ; label embedding]`;
 * its weight is stored as two blocks (`weight` for the patch part, `label_weight` for the label
 * part), which is the same linear map as one matrix over the concatenation.
 */
export function predictorParamSpecs(config: ModelConfig): ParamSpec[] {
  const { dim, predictorHidden: hidden, predictorDepth: depth } = config;
  const specs: ParamSpec[] = [
    {
      name: 'predictor.label_embedding',
      shape: [config.numInstruments, config.labelDim],
      init: 'normal',
      decay: false,
    },
  ];
  for (let layer = 0; layer < depth; layer++) {
    const prefix = `predictor.layers.${layer}`;
    const inputs = layer === 0 ? dim : hidden;
    const outputs = layer === depth - 1 ? dim : hidden;
    specs.push(...linear(prefix, inputs, outputs));
    if (layer === 0) {
      specs.push({
        name: `${prefix}.label_weight`,
        shape: [config.labelDim, hidden],
        init: 'normal',
        decay: true,
      });
    }
    if (layer < depth - 1) specs.push(...norm(`${prefix}.norm`, hidden));
  }
  return specs;
}

export function paramSpecs(config: ModelConfig): ParamSpec[] {
  return [...encoderParamSpecs(config), ...predictorParamSpecs(config)];
}

export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((total, spec) => total + elementCount(spec.shape), 0);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Standard normal truncated to [-2, 2] standard deviations (resampled), as in ViT/I-JEPA init. */
function truncatedNormal(random: () => number): number {
  for (;;) {
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    if (Math.abs(z) <= 2) return z;
  }
}

const PATCH_EMBED_WEIGHT = 'encoder.patch_embed.weight';

/** Fresh weights for every spec, identical for identical (config, seed). */
export function initParams(config: ModelConfig, seed: number): NamedArrays {
  const random = seededRandom(seed);
  const weights: NamedArrays = new Map();
  for (const spec of paramSpecs(config)) {
    const data = new Float32Array(elementCount(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    if (spec.init === 'normal') {
      const std =
        spec.name === PATCH_EMBED_WEIGHT ? (config.patchEmbedInitStd ?? config.initStd) : config.initStd;
      for (let i = 0; i < data.length; i++) data[i] = truncatedNormal(random) * std;
    }
    weights.set(spec.name, { shape: [...spec.shape], data });
  }
  return weights;
}

/** Throws unless `weights` holds every spec with the declared shape. */
export function checkWeights(specs: readonly ParamSpec[], weights: NamedArrays): void {
  for (const spec of specs) {
    const weight = weights.get(spec.name);
    if (!weight) throw new MissingWeightError(spec.name);
    if (weight.shape.length !== spec.shape.length || weight.shape.some((size, i) => size !== spec.shape[i])) {
      throw new WeightShapeError(spec.name, spec.shape, weight.shape);
    }
  }
}

export { seededRandom };
