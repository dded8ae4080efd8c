/** Public API of the inference layer: model sessions, micro-batching, embedding, alignment. */
export {
  type Alignment,
  type AlignmentOptions,
  bestAlignment,
  DEFAULT_TIMELINE_STEP_SECONDS,
} from './alignment.js';
export {
  type BatchingOptions,
  type ChunkExtractor,
  type ChunkFeaturesLike,
  type EmbeddedChunk,
  Embedder,
  type EmbedderOptions,
  type EmbedOptions,
  type PooledEmbedding,
  type StemEmbedding,
} from './embedder.js';
export { BatcherClosedError, InferenceError, ModelLoadError, QueueFullError } from './errors.js';
export { type InferenceLogger, SILENT_LOGGER } from './logger.js';
export { loadManifest, type ModelManifest, numPatches } from './manifest.js';
export { createInferenceMetrics, type GraphName, type InferenceMetrics } from './metrics.js';
export {
  type BatchEvent,
  MicroBatcher,
  type MicroBatcherHooks,
  type MicroBatcherOptions,
} from './micro-batcher.js';
export { normaliseInPlace, type PatchGrid, type PooledChunk, poolPatches } from './pooling.js';
export {
  availableExecutionProviders,
  ModelSessions,
  type ModelSessionsOptions,
  type ProviderAttempt,
} from './sessions.js';
