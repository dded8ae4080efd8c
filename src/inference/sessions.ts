import type { ExecutionProviderName } from '../config.js';
import { type InferenceLogger, SILENT_LOGGER } from './logger.js';
import { ChunkGeometry, type ModelManifest } from './manifest.js';
import { ModelThread } from './model-thread.js';
import { OrtGraphs, type ProviderAttempt } from './ort-graphs.js';

export { availableExecutionProviders, type ProviderAttempt } from './ort-graphs.js';

/**
 * The exported encoder and predictor, ready to run: the manifest checked against this service's
 * front end and instrument vocabulary, the first working execution provider chosen (each attempt
 * is logged and kept in `providerAttempts`), a warm-up batch run.
 *
 * By default the sessions live in a worker thread: onnxruntime-node runs a session synchronously
 * on the calling thread, so on the main thread every batch would stall the HTTP server for its
 * whole duration. `thread: 'main'` keeps them in-process (scripts, benchmarks).
 */

export interface ModelSessionsOptions {
  modelDir: string;
  /** Tried in order; default `['cuda', 'cpu']`. */
  executionProviders?: readonly ExecutionProviderName[];
  intraOpThreads?: number;
  interOpThreads?: number;
  logger?: InferenceLogger;
  /** Where onnxruntime runs; default `worker`. */
  thread?: 'worker' | 'main';
}

interface GraphRunner {
  readonly manifest: ModelManifest;
  readonly activeProvider: ExecutionProviderName;
  readonly providerAttempts: readonly ProviderAttempt[];
  readonly warmUpMs: number;
  encode(logMels: Float32Array, batch: number): Promise<Float32Array>;
  predict(embeddings: Float32Array, instrumentIds: readonly number[], batch: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export class ModelSessions extends ChunkGeometry {
  private constructor(
    private readonly runner: GraphRunner,
    readonly thread: 'worker' | 'main',
  ) {
    super();
  }

  static async load(options: ModelSessionsOptions): Promise<ModelSessions> {
    const { logger = SILENT_LOGGER, thread = 'worker', ...graphOptions } = options;
    const runner =
      thread === 'main'
        ? await OrtGraphs.load({ ...graphOptions, logger })
        : await ModelThread.start(
            {
              ...graphOptions,
              executionProviders: [...(graphOptions.executionProviders ?? ['cuda', 'cpu'])],
            },
            logger,
          );
    return new ModelSessions(runner, thread);
  }

  override get manifest(): ModelManifest {
    return this.runner.manifest;
  }

  get activeProvider(): ExecutionProviderName {
    return this.runner.activeProvider;
  }

  get providerAttempts(): readonly ProviderAttempt[] {
    return this.runner.providerAttempts;
  }

  get warmUpMs(): number {
    return this.runner.warmUpMs;
  }

  /** `batch` chunks' features (bin-major, concatenated) → their patch embeddings, concatenated. */
  encode(logMels: Float32Array, batch: number): Promise<Float32Array> {
    return this.runner.encode(logMels, batch);
  }

  /**
   * Context patch embeddings of `batch` chunks + the instrument wanted for each → the predicted
   * patch embeddings of that instrument's stem.
   */
  predict(embeddings: Float32Array, instrumentIds: readonly number[], batch: number): Promise<Float32Array> {
    return this.runner.predict(embeddings, instrumentIds, batch);
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
