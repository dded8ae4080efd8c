import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { FrontEndPool } from '../audio/worker-pool.js';
import type { Config } from '../config.js';
import { openLocalCatalog } from '../index/index.js';
import { isPostgresUrl, openPostgresCatalog, parsePostgresStore } from '../index/postgres/index.js';
import type { CatalogStore } from '../index/types.js';
import { Embedder } from '../inference/embedder.js';
import type { InferenceLogger } from '../inference/logger.js';
import { ModelSessions } from '../inference/sessions.js';
import type { Instrument } from '../instruments.js';
import type { EmbeddingModel, StemEmbedding, TimelineGeometry } from './ports.js';

interface ServiceLogger extends InferenceLogger {
  child(bindings: Record<string, unknown>): ServiceLogger;
  error(details: object, message: string): void;
}

/**
 * The model as the service runs it: onnxruntime sessions, audio worker threads and the
 * micro-batching embedder, owned together so one `close()` releases all three.
 */
class ServiceModel implements EmbeddingModel {
  readonly modelId: string;
  readonly geometry: TimelineGeometry;

  constructor(
    private readonly sessions: ModelSessions,
    private readonly frontEnd: FrontEndPool,
    private readonly embedder: Embedder,
  ) {
    const { manifest } = sessions;
    this.modelId = `${manifest.name}@${manifest.version}`;
    this.geometry = {
      gridTime: embedder.grid.gridTime,
      dim: embedder.grid.dim,
      secondsPerStep: embedder.stepSeconds,
    };
  }

  get activeProvider(): string {
    return this.sessions.activeProvider;
  }

  get providerAttempts(): ReadonlyArray<{ provider: string; ok: boolean; reason?: string }> {
    return this.sessions.providerAttempts;
  }

  embedStem(bytes: Uint8Array, options: { maxDurationSeconds?: number }): Promise<StemEmbedding> {
    return this.embedder.embedStem(bytes, options);
  }

  embedQuery(
    bytes: Uint8Array,
    instrument: Instrument,
    options: { maxDurationSeconds?: number },
  ): Promise<StemEmbedding> {
    return this.embedder.embedQuery(bytes, instrument, options);
  }

  async predictFromPatchEmbeddings(
    chunks: ReadonlyArray<{ index: number; offsetSeconds: number; silent: boolean; patches: Float32Array }>,
    instrument: Instrument,
  ): Promise<StemEmbedding> {
    const pooled = await this.embedder.predictFromPatchEmbeddings(
      chunks.map((chunk) => chunk.patches),
      instrument,
    );
    const embedded = chunks.map((chunk, i) => ({
      index: chunk.index,
      offsetSeconds: chunk.offsetSeconds,
      padded: false,
      silent: chunk.silent,
      ...pooled[i],
    }));
    const last = chunks.at(-1);
    return { durationSeconds: last === undefined ? 0 : last.offsetSeconds, chunks: embedded };
  }

  async close(): Promise<void> {
    await this.embedder.close();
    await this.frontEnd.destroy();
    await this.sessions.close();
  }
}

/** Loads the model named by the configuration (provider fallback and warm-up happen here). */
export async function openEmbeddingModel(
  config: Config,
  options: { logger: ServiceLogger; registry?: Registry },
): Promise<EmbeddingModel> {
  const sessions = await ModelSessions.load({
    modelDir: config.modelDir,
    executionProviders: config.executionProviders,
    intraOpThreads: config.intraOpThreads,
    interOpThreads: config.interOpThreads,
    logger: options.logger,
  });
  const frontEnd = new FrontEndPool({ config: sessions.manifest.frontEnd, threads: config.audioWorkers });
  const embedder = new Embedder({
    sessions,
    frontEnd,
    batching: {
      maxBatchSize: config.batchMaxSize,
      maxQueue: config.queueMax,
    },
    hopSeconds: config.chunkHopSeconds,
    maxDurationSeconds: config.maxAudioSeconds,
    registry: options.registry,
    logger: options.logger,
  });
  return new ServiceModel(sessions, frontEnd, embedder);
}

/**
 * Opens the catalog the configuration names: `local` (SQLite + HNSW under the data dir) or a
 * `postgres://…` URL (PostgreSQL + pgvector, shared by every replica pointed at it).
 */
export async function openCatalog(
  config: Config,
  model: Pick<EmbeddingModel, 'geometry' | 'modelId'>,
  logger: ServiceLogger,
): Promise<CatalogStore> {
  if (isPostgresUrl(config.store)) {
    const { connectionString, schema, poolSize } = parsePostgresStore(config.store);
    return openPostgresCatalog({
      connectionString,
      schema,
      poolSize,
      dim: model.geometry.dim,
      modelId: model.modelId,
      // Uploads are staged under this replica's data dir, so only this replica can ingest them.
      replicaId: `${hostname()}:${resolve(config.dataDir)}`,
    });
  }
  if (config.store !== 'local') {
    throw new Error(`STEMDEX_STORE=${config.store}: expected \`local\` or a postgres:// URL`);
  }
  return openLocalCatalog({
    dataDir: config.dataDir,
    dim: model.geometry.dim,
    modelId: model.modelId,
    logger: logger.child({ component: 'catalog' }),
    snapshotIntervalMs: config.snapshotIntervalMs,
  });
}
