import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import type { FrontEndConfig } from '../../src/audio/frontend-config.js';
import { type ModelConfig, patchGrid } from '../model/config.js';
import { encode } from '../model/encoder.js';
import { type NamedArrays, seededRandom } from '../model/params.js';
import { predict } from '../model/predictor.js';
import { tfOps } from '../model/tf-ops.js';
import { ENCODER_FILE, exportModel, PREDICTOR_FILE } from './export.js';
import { ENCODER_IO, PREDICTOR_IO } from './graph-io.js';

/** A labelled batch of normalised log-mels `[batch, 1, nMels, chunkFrames]`, flattened. */
export interface ParityInput {
  label: string;
  logMel: Float32Array;
  batch: number;
}

export interface ParityResult {
  label: string;
  batch: number;
  encoderMaxAbs: number;
  predictorMaxAbs: number;
}

/** Standard-normal log-mels: the value range a normalised front end produces. */
export function randomLogMels(config: ModelConfig, batch: number, seed: number): ParityInput {
  const random = seededRandom(seed);
  const logMel = new Float32Array(batch * config.nMels * config.chunkFrames);
  for (let i = 0; i < logMel.length; i++) {
    logMel[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  }
  return { label: `random x${batch}`, logMel, batch };
}

/**
 * Exports `weights` to `outDir` (a temporary directory when omitted), then runs every input
 * through the TF.js model and through the ONNX graphs in onnxruntime-node. The predictor graph is
 * fed the TF.js encoder output, so each number measures one graph. Instrument ids cycle through
 * the vocabulary.
 */
export async function checkParity(
  config: ModelConfig,
  weights: NamedArrays,
  inputs: readonly ParityInput[],
  outDir?: string,
  frontEnd?: FrontEndConfig,
): Promise<ParityResult[]> {
  const dir = outDir ?? mkdtempSync(join(tmpdir(), 'stemdex-parity-'));
  try {
    exportModel(weights, config, dir, { status: 'parity-check' }, frontEnd ? { frontEnd } : {});
    const encoder = await ort.InferenceSession.create(join(dir, ENCODER_FILE));
    const predictor = await ort.InferenceSession.create(join(dir, PREDICTOR_FILE));
    const results: ParityResult[] = [];
    for (const input of inputs) {
      results.push(await compareOne(config, weights, input, encoder, predictor));
    }
    await encoder.release();
    await predictor.release();
    return results;
  } finally {
    if (!outDir) rmSync(dir, { recursive: true, force: true });
  }
}

async function compareOne(
  config: ModelConfig,
  weights: NamedArrays,
  input: ParityInput,
  encoder: ort.InferenceSession,
  predictor: ort.InferenceSession,
): Promise<ParityResult> {
  const { batch, logMel } = input;
  const ids = Array.from({ length: batch }, (_, i) => i % config.numInstruments);
  const { embeddings, predicted } = tfForward(config, weights, logMel, batch, ids);
  const inputShape = [batch, 1, config.nMels, config.chunkFrames];
  const encoded = await encoder.run({ [ENCODER_IO.input]: new ort.Tensor('float32', logMel, inputShape) });
  const embeddingShape = [batch, patchGrid(config).numPatches, config.dim];
  const predictedOnnx = await predictor.run({
    [PREDICTOR_IO.embeddings]: new ort.Tensor('float32', embeddings, embeddingShape),
    [PREDICTOR_IO.instrumentId]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [batch]),
  });
  return {
    label: input.label,
    batch,
    encoderMaxAbs: maxAbsDifference(embeddings, encoded[ENCODER_IO.output].data as Float32Array),
    predictorMaxAbs: maxAbsDifference(predicted, predictedOnnx[PREDICTOR_IO.output].data as Float32Array),
  };
}

function tfForward(
  config: ModelConfig,
  weights: NamedArrays,
  logMel: Float32Array,
  batch: number,
  ids: number[],
): { embeddings: Float32Array; predicted: Float32Array } {
  return tf.tidy(() => {
    const ops = tfOps((name) => {
      const weight = weights.get(name);
      return weight && tf.tensor(weight.data, weight.shape, 'float32');
    });
    const embeddings = encode(ops, config, tf.tensor4d(logMel, [batch, 1, config.nMels, config.chunkFrames]));
    const predicted = predict(ops, config, embeddings, tf.tensor1d(ids, 'int32'));
    return {
      embeddings: embeddings.dataSync() as Float32Array,
      predicted: predicted.dataSync() as Float32Array,
    };
  });
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cannot compare outputs of ${a.length} and ${b.length} values`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]);
    // NaN must fail parity, not be skipped by the comparison.
    if (!(difference <= max)) max = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference;
  }
  return max;
}
