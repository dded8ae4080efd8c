import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadManifest, type ModelManifest, numPatches } from '../../src/inference/manifest.js';
import { INSTRUMENTS, type Instrument } from '../../src/instruments.js';
import { ModelContractError, ModelNotFoundError } from './errors.js';
import type { PatchLayout } from './pooling.js';

export interface EmbedderOptions {
  /** Chunks per onnxruntime call. */
  batchSize?: number;
  /** onnxruntime intra-op threads (the machine has two cores shared with other work). */
  threads?: number;
}

/**
 * The exported Stem-JEPA graphs run exactly as the service runs them (onnxruntime-node, CPU):
 * `encoder.onnx` (the EMA target encoder) embeds stems and mixes, `predictor.onnx` maps a mix's
 * patch embeddings to the predicted embeddings of a stem of a given instrument.
 */
export class OnnxStemJepa {
  readonly layout: PatchLayout;
  readonly patchesPerChunk: number;
  private readonly batchSize: number;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly encoder: ort.InferenceSession,
    private readonly predictor: ort.InferenceSession,
    options: EmbedderOptions,
  ) {
    this.batchSize = options.batchSize ?? 16;
    this.patchesPerChunk = numPatches(manifest);
    this.layout = {
      gridFreq: manifest.patch.gridFreq,
      gridTime: manifest.patch.gridTime,
      dim: manifest.embeddingDim,
    };
  }

  static async load(modelDir: string, options: EmbedderOptions = {}): Promise<OnnxStemJepa> {
    if (!existsSync(join(modelDir, 'manifest.json'))) throw new ModelNotFoundError(modelDir);
    const manifest = loadManifest(modelDir);
    const vocabulary = manifest.instruments.join(',');
    if (vocabulary !== INSTRUMENTS.join(',')) {
      throw new ModelContractError(
        `model instruments [${vocabulary}] differ from [${INSTRUMENTS.join(',')}]`,
      );
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const encoder = await ort.InferenceSession.create(
      join(modelDir, manifest.graphs.encoder.file),
      sessionOptions,
    );
    const predictor = await ort.InferenceSession.create(
      join(modelDir, manifest.graphs.predictor.file),
      sessionOptions,
    );
    return new OnnxStemJepa(manifest, encoder, predictor, options);
  }

  /** Normalised log-mel chunks `[nMels × chunkFrames]`, mel-major → patch embeddings `[numPatches × D]` each. */
  async encode(logMels: readonly Float32Array[]): Promise<Float32Array[]> {
    const { nMels, chunkFrames } = this.manifest.frontEnd;
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
        log_mel: new ort.Tensor('float32', input, [end - start, 1, nMels, chunkFrames]),
      });
      return this.splitOutput(output.patch_embeddings, end - start);
    });
  }

  /** Patch embeddings of mixes → predicted patch embeddings of the named instrument's stem. */
  async predict(
    contexts: readonly Float32Array[],
    instruments: readonly Instrument[],
  ): Promise<Float32Array[]> {
    const chunkSize = this.patchesPerChunk * this.layout.dim;
    return this.inBatches(contexts.length, async (start, end) => {
      const context = new Float32Array((end - start) * chunkSize);
      const ids = new BigInt64Array(end - start);
      for (let i = start; i < end; i++) {
        context.set(contexts[i], (i - start) * chunkSize);
        ids[i - start] = BigInt(this.manifest.instruments.indexOf(instruments[i]));
      }
      const output = await this.predictor.run({
        context_embeddings: new ort.Tensor('float32', context, [
          end - start,
          this.patchesPerChunk,
          this.layout.dim,
        ]),
        instrument_id: new ort.Tensor('int64', ids, [end - start]),
      });
      return this.splitOutput(output.predicted_embeddings, end - start);
    });
  }

  async release(): Promise<void> {
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

  private splitOutput(tensor: ort.Tensor | undefined, batch: number): Float32Array[] {
    const chunkSize = this.patchesPerChunk * this.layout.dim;
    const expected = [batch, this.patchesPerChunk, this.layout.dim].join(',');
    if (!tensor || tensor.dims.join(',') !== expected || !(tensor.data instanceof Float32Array)) {
      throw new ModelContractError(
        `model output has shape [${tensor?.dims.join(',')}], expected [${expected}]`,
      );
    }
    const data = tensor.data;
    // Copies, so the caller does not keep onnxruntime's whole batch buffer alive.
    return Array.from({ length: batch }, (_, i) => data.slice(i * chunkSize, (i + 1) * chunkSize));
  }
}
