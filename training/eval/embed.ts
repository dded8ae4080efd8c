import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { featureBins } from '../../src/audio/frontend-config.js';
import {
  ENCODER_INPUT,
  ENCODER_OUTPUT,
  PREDICTOR_EMBEDDINGS_INPUT,
  PREDICTOR_INSTRUMENT_INPUT,
  PREDICTOR_OUTPUT,
} from '../../src/inference/graph-io.js';
import { loadManifest, type ModelManifest, numPatches } from '../../src/inference/manifest.js';
import type { PatchGrid } from '../../src/inference/pooling.js';
import { INSTRUMENTS, type Instrument } from '../../src/instruments.js';
import { ModelContractError, ModelNotFoundError } from './errors.js';

export interface EmbedderOptions {
  /** Chunks per onnxruntime call. */
  batchSize?: number;
  /** onnxruntime intra-op threads (the machine has two cores shared with other work). */
  threads?: number;
}

/**
 * The exported graphs run as the service runs them (onnxruntime-node, CPU), so the numbers
 * describe the shipped model: `encoder.onnx` (the EMA target encoder) embeds stems and mixes;
 * `predictor.onnx` maps a mix's patch embeddings to the predicted embeddings of a stem of the
 * requested instrument. Takes and returns one array per chunk and batches inside.
 */
export class ChunkEmbedder {
  readonly grid: PatchGrid;
  private readonly patchesPerChunk: number;
  private readonly batchSize: number;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly encoder: ort.InferenceSession,
    private readonly predictor: ort.InferenceSession,
    options: EmbedderOptions,
  ) {
    this.batchSize = options.batchSize ?? 16;
    this.patchesPerChunk = numPatches(manifest);
    this.grid = {
      gridFreq: manifest.patch.gridFreq,
      gridTime: manifest.patch.gridTime,
      dim: manifest.embeddingDim,
    };
  }

  static async load(modelDir: string, options: EmbedderOptions = {}): Promise<ChunkEmbedder> {
    if (!existsSync(join(modelDir, 'manifest.json'))) throw new ModelNotFoundError(modelDir);
    const manifest = loadManifest(modelDir);
    if (manifest.instruments.join(',') !== INSTRUMENTS.join(',')) {
      throw new ModelContractError(
        `model instruments [${manifest.instruments.join(',')}] differ from [${INSTRUMENTS.join(',')}]`,
      );
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.threads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const create = (file: string) => ort.InferenceSession.create(join(modelDir, file), sessionOptions);
    const encoder = await create(manifest.graphs.encoder.file);
    const predictor = await create(manifest.graphs.predictor.file);
    return new ChunkEmbedder(manifest, encoder, predictor, options);
  }

  /** Normalised log-mel chunks (mel-major `nMels × chunkFrames`) → patch embeddings `[numPatches × D]`. */
  async encode(logMels: readonly Float32Array[]): Promise<Float32Array[]> {
    const { frontEnd } = this.manifest;
    const [nMels, chunkFrames] = [featureBins(frontEnd), frontEnd.chunkFrames];
    const inputSize = nMels * chunkFrames;
    return this.inBatches(logMels.length, async (start, end) => {
      const input = new Float32Array((end - start) * inputSize);
      for (let i = start; i < end; i++) {
        if (logMels[i].length !== inputSize) {
          throw new ModelContractError(
            `log-mel chunk has ${logMels[i].length} values, model expects ${inputSize}`,
          );
        }
        input.set(logMels[i], (i - start) * inputSize);
      }
      const output = await this.encoder.run({
        [ENCODER_INPUT]: new ort.Tensor('float32', input, [end - start, 1, nMels, chunkFrames]),
      });
      return this.split(output[ENCODER_OUTPUT], end - start);
    });
  }

  /** Patch embeddings of mixes → predicted patch embeddings of each requested instrument's stem. */
  async predict(
    contexts: readonly Float32Array[],
    instruments: readonly Instrument[],
  ): Promise<Float32Array[]> {
    const chunkSize = this.patchesPerChunk * this.grid.dim;
    return this.inBatches(contexts.length, async (start, end) => {
      const context = new Float32Array((end - start) * chunkSize);
      const ids = new BigInt64Array(end - start);
      for (let i = start; i < end; i++) {
        context.set(contexts[i], (i - start) * chunkSize);
        ids[i - start] = BigInt(this.manifest.instruments.indexOf(instruments[i]));
      }
      const output = await this.predictor.run({
        [PREDICTOR_EMBEDDINGS_INPUT]: new ort.Tensor('float32', context, [
          end - start,
          this.patchesPerChunk,
          this.grid.dim,
        ]),
        [PREDICTOR_INSTRUMENT_INPUT]: new ort.Tensor('int64', ids, [end - start]),
      });
      return this.split(output[PREDICTOR_OUTPUT], end - start);
    });
  }

  async close(): Promise<void> {
    await this.encoder.release();
    await this.predictor.release();
  }

  private async inBatches(
    count: number,
    runBatch: (start: number, end: number) => Promise<Float32Array[]>,
  ): Promise<Float32Array[]> {
    const results: Float32Array[] = [];
    for (let start = 0; start < count; start += this.batchSize) {
      results.push(...(await runBatch(start, Math.min(count, start + this.batchSize))));
    }
    return results;
  }

  private split(tensor: ort.Tensor | undefined, batch: number): Float32Array[] {
    const chunkSize = this.patchesPerChunk * this.grid.dim;
    const expected = [batch, this.patchesPerChunk, this.grid.dim].join(',');
    if (!tensor || tensor.dims.join(',') !== expected || !(tensor.data instanceof Float32Array)) {
      throw new ModelContractError(
        `model output has shape [${tensor?.dims.join(',')}], expected [${expected}]`,
      );
    }
    const data = tensor.data;
    // Copies, so one kept chunk does not pin onnxruntime's whole batch buffer.
    return Array.from({ length: batch }, (_, i) => data.slice(i * chunkSize, (i + 1) * chunkSize));
  }
}
