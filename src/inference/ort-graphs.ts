import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEFAULT_FRONT_END, featureBins, frontEndDifferences } from '../audio/frontend-config.js';
import type { ExecutionProviderName } from '../config.js';
import { INSTRUMENTS } from '../instruments.js';
import { InferenceError, ModelLoadError } from './errors.js';
import {
  ENCODER_INPUT,
  ENCODER_OUTPUT,
  PREDICTOR_EMBEDDINGS_INPUT,
  PREDICTOR_INSTRUMENT_INPUT,
  PREDICTOR_OUTPUT,
} from './graph-io.js';
import { type InferenceLogger, SILENT_LOGGER } from './logger.js';
import { ChunkGeometry, loadManifest, type ModelManifest } from './manifest.js';

/**
 * The two exported graphs in onnxruntime, on the current thread. `ModelSessions` (sessions.ts) is
 * the public face; it runs this in a worker thread by default, because onnxruntime-node runs a
 * session synchronously on the calling thread and would otherwise stall the event loop.
 *
 * Execution providers are tried one at a time in the configured order. A provider counts as working only
 * once both graphs have loaded *and* run a warm-up batch with it, because a CUDA build can load a
 * graph fine and then fail on the first run (no device, driver mismatch, out of memory). Every
 * attempt is logged and kept in `providerAttempts`, so `/readyz` can say what is active and why
 * the preferred ones were skipped.
 */

export interface OrtGraphsOptions {
  modelDir: string;
  /** Tried in order; default `['cuda', 'cpu']`. */
  executionProviders?: readonly ExecutionProviderName[];
  intraOpThreads?: number;
  interOpThreads?: number;
  logger?: InferenceLogger;
}

export interface ProviderAttempt {
  provider: ExecutionProviderName;
  ok: boolean;
  /** Why the provider was skipped; absent when it was chosen. */
  reason?: string;
}

interface GraphPair {
  encoder: ort.InferenceSession;
  predictor: ort.InferenceSession;
}

/** Providers this onnxruntime-node build can load at all (the npm package bundles only CPU). */
export function availableExecutionProviders(): string[] {
  return ort.listSupportedBackends().map((backend) => backend.name);
}

/**
 * GPU providers live in shared libraries that onnxruntime-node's installer downloads beside its
 * binding only on request (`--onnxruntime-node-install=cuda12`). Checking for them first turns a
 * missing install into one clear log line instead of onnxruntime's native error dump.
 */
const PROVIDER_LIBRARIES: Partial<Record<ExecutionProviderName, string[]>> = {
  cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
};

function missingProviderLibraries(provider: ExecutionProviderName): string[] {
  const libraries = PROVIDER_LIBRARIES[provider];
  if (!libraries || process.platform !== 'linux') return [];
  const bindingDir = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  return libraries.filter((file) => !existsSync(join(bindingDir, file)));
}

/** Why `provider` cannot even be tried here, or null when it is worth a try. */
function providerUnavailableReason(provider: ExecutionProviderName, supported: Set<string>): string | null {
  if (!supported.has(provider)) {
    return `not available in this onnxruntime-node build (it has: ${[...supported].join(', ')})`;
  }
  const missing = missingProviderLibraries(provider);
  if (missing.length > 0) {
    return `onnxruntime-node was installed without its ${provider} libraries (${missing.join(', ')}); reinstall it with --onnxruntime-node-install=cuda12 on a machine with CUDA 12`;
  }
  return null;
}

export class OrtGraphs extends ChunkGeometry {
  private closed = false;
  private warmUpDurationMs = 0;

  private constructor(
    override readonly manifest: ModelManifest,
    readonly activeProvider: ExecutionProviderName,
    readonly providerAttempts: readonly ProviderAttempt[],
    private readonly graphs: GraphPair,
  ) {
    super();
  }

  static async load(options: OrtGraphsOptions): Promise<OrtGraphs> {
    const logger = options.logger ?? SILENT_LOGGER;
    const manifest = readCompatibleManifest(options.modelDir);
    const providers = options.executionProviders ?? ['cuda', 'cpu'];
    const supported = new Set(availableExecutionProviders());
    const attempts: ProviderAttempt[] = [];

    for (const provider of providers) {
      const reason = providerUnavailableReason(provider, supported);
      if (reason !== null) {
        attempts.push({ provider, ok: false, reason });
        logger.warn({ provider, reason }, 'execution provider skipped');
        continue;
      }
      let graphs: GraphPair | null = null;
      try {
        graphs = await createGraphs(options, manifest, provider);
        const sessions = new OrtGraphs(manifest, provider, attempts, graphs);
        sessions.warmUpDurationMs = await sessions.warmUp();
        attempts.push({ provider, ok: true });
        logger.info(
          {
            provider,
            model: `${manifest.name}@${manifest.version}`,
            warmUpMs: Math.round(sessions.warmUpMs),
          },
          'model loaded',
        );
        return sessions;
      } catch (error) {
        if (graphs) await releaseGraphs(graphs);
        if (error instanceof ModelLoadError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        attempts.push({ provider, ok: false, reason });
        logger.warn({ provider, reason }, 'execution provider failed; trying the next one');
      }
    }
    throw new ModelLoadError(
      `no execution provider could run the model in ${options.modelDir}: ${attempts
        .map((attempt) => `${attempt.provider}: ${attempt.reason}`)
        .join('; ')}`,
    );
  }

  /** How long the warm-up run of both graphs took. */
  get warmUpMs(): number {
    return this.warmUpDurationMs;
  }

  /** `batch` chunks' features (bin-major, concatenated) → their patch embeddings, concatenated. */
  async encode(features: Float32Array, batch: number): Promise<Float32Array> {
    this.assertOpen();
    const { frontEnd } = this.manifest;
    expectLength('encoder input', features, batch * this.featureSize);
    const shape = [batch, 1, featureBins(frontEnd), frontEnd.chunkFrames];
    const feeds = { [ENCODER_INPUT]: new ort.Tensor('float32', features, shape) };
    return this.runGraph(this.graphs.encoder, feeds, ENCODER_OUTPUT, batch);
  }

  /**
   * Context patch embeddings of `batch` chunks + the instrument wanted for each → the predicted
   * patch embeddings of that instrument's stem.
   */
  async predict(
    embeddings: Float32Array,
    instrumentIds: readonly number[],
    batch: number,
  ): Promise<Float32Array> {
    this.assertOpen();
    expectLength('context embeddings', embeddings, batch * this.patchEmbeddingSize);
    if (instrumentIds.length !== batch) {
      throw new InferenceError(`expected ${batch} instrument ids, got ${instrumentIds.length}`);
    }
    for (const id of instrumentIds) {
      if (!Number.isInteger(id) || id < 0 || id >= this.manifest.instruments.length) {
        throw new InferenceError(`instrument id ${id} is outside the model's vocabulary`);
      }
    }
    const feeds = {
      [PREDICTOR_EMBEDDINGS_INPUT]: new ort.Tensor('float32', embeddings, [
        batch,
        this.numPatches,
        this.embeddingDim,
      ]),
      [PREDICTOR_INSTRUMENT_INPUT]: new ort.Tensor('int64', BigInt64Array.from(instrumentIds, BigInt), [
        batch,
      ]),
    };
    return this.runGraph(this.graphs.predictor, feeds, PREDICTOR_OUTPUT, batch);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseGraphs(this.graphs);
  }

  /** One run of each graph, so the first request does not pay for allocation and kernel set-up. */
  private async warmUp(): Promise<number> {
    const started = performance.now();
    const patches = await this.encode(new Float32Array(this.featureSize), 1);
    await this.predict(patches, [0], 1);
    return performance.now() - started;
  }

  private async runGraph(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    outputName: string,
    batch: number,
  ): Promise<Float32Array> {
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new InferenceError(`model run failed: ${error instanceof Error ? error.message : error}`, {
        cause: error,
      });
    }
    const output = results[outputName];
    if (!output || !(output.data instanceof Float32Array)) {
      throw new InferenceError(`model returned no float32 output named ${outputName}`);
    }
    expectLength(outputName, output.data, batch * this.patchEmbeddingSize);
    return output.data;
  }

  private assertOpen(): void {
    if (this.closed) throw new InferenceError('model sessions are closed');
  }
}

function expectLength(what: string, values: Float32Array, expected: number): void {
  if (values.length !== expected) {
    throw new InferenceError(`${what} holds ${values.length} values, expected ${expected}`);
  }
}

/** Loads the manifest and refuses models this service would feed or read wrongly. */
function readCompatibleManifest(modelDir: string): ModelManifest {
  let manifest: ModelManifest;
  try {
    manifest = loadManifest(modelDir);
  } catch (error) {
    throw new ModelLoadError(
      `cannot load the model manifest in ${modelDir}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  const all = frontEndDifferences(manifest.frontEnd, DEFAULT_FRONT_END);
  // Across kinds the other fields do not correspond; the kind says it all.
  const differences = all.includes('kind') ? ['kind'] : all;
  if (differences.length > 0) {
    throw new ModelLoadError(
      `model ${manifest.name} was trained on a different audio front end (${differences
        .map(
          (key) => `${key}: model ${field(manifest.frontEnd, key)}, service ${field(DEFAULT_FRONT_END, key)}`,
        )
        .join(', ')}); re-export it with the service's front end`,
    );
  }
  if (manifest.instruments.join(',') !== INSTRUMENTS.join(',')) {
    throw new ModelLoadError(
      `model ${manifest.name} was trained on instruments [${manifest.instruments.join(', ')}], the service uses [${INSTRUMENTS.join(', ')}]`,
    );
  }
  const { patch, frontEnd } = manifest;
  const bins = featureBins(frontEnd);
  if (patch.gridFreq * patch.height > bins || patch.gridTime * patch.width > frontEnd.chunkFrames) {
    throw new ModelLoadError(
      `model ${manifest.name}: a ${patch.gridFreq}×${patch.gridTime} grid of ${patch.height}×${patch.width} patches does not fit a ${bins}×${frontEnd.chunkFrames} ${frontEnd.kind} input`,
    );
  }
  return manifest;
}

async function createGraphs(
  options: OrtGraphsOptions,
  manifest: ModelManifest,
  provider: ExecutionProviderName,
): Promise<GraphPair> {
  const interOpThreads = options.interOpThreads ?? 1;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: interOpThreads > 1 ? 'parallel' : 'sequential',
    interOpNumThreads: interOpThreads,
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // Warnings about nodes placed on the CPU are expected with CUDA; errors still surface as throws.
    logSeverityLevel: 3,
  };
  const encoder = await ort.InferenceSession.create(
    join(options.modelDir, manifest.graphs.encoder.file),
    sessionOptions,
  );
  let predictor: ort.InferenceSession;
  try {
    predictor = await ort.InferenceSession.create(
      join(options.modelDir, manifest.graphs.predictor.file),
      sessionOptions,
    );
  } catch (error) {
    await encoder.release();
    throw error;
  }
  const graphs = { encoder, predictor };
  try {
    expectNames('encoder', encoder, [ENCODER_INPUT], [ENCODER_OUTPUT]);
    expectNames(
      'predictor',
      predictor,
      [PREDICTOR_EMBEDDINGS_INPUT, PREDICTOR_INSTRUMENT_INPUT],
      [PREDICTOR_OUTPUT],
    );
  } catch (error) {
    await releaseGraphs(graphs);
    throw error;
  }
  return graphs;
}

function expectNames(
  graph: string,
  session: ort.InferenceSession,
  inputs: string[],
  outputs: string[],
): void {
  const missing = [
    ...inputs.filter((name) => !session.inputNames.includes(name)).map((name) => `input ${name}`),
    ...outputs.filter((name) => !session.outputNames.includes(name)).map((name) => `output ${name}`),
  ];
  if (missing.length > 0) {
    throw new ModelLoadError(
      `${graph}.onnx lacks ${missing.join(', ')} (has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`,
    );
  }
}

async function releaseGraphs(graphs: GraphPair): Promise<void> {
  await Promise.allSettled([graphs.encoder.release(), graphs.predictor.release()]);
}

function field(config: object, key: string): unknown {
  return (config as Record<string, unknown>)[key];
}
