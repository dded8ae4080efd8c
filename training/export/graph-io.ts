/**
 * Names of the exported graphs' inputs and outputs: the contract documented in
 * `src/inference/manifest.ts`, which the service feeds and reads by name.
 */
export const ENCODER_IO = { input: 'log_mel', output: 'patch_embeddings' } as const;
export const PREDICTOR_IO = {
  embeddings: 'context_embeddings',
  instrumentId: 'instrument_id',
  output: 'predicted_embeddings',
} as const;

/** Name of the dynamic batch axis in every graph. */
export const BATCH_AXIS = 'batch';

/** Opset 17: the first with LayerNormalization; Erf, Softmax(axis), Split and Gather are all there. */
export const OPSET = 17;

export const PRODUCER = 'stemdex-training';

/**
 * Bumped whenever the exported graph structure changes (ops, initializer names, I/O), so cached
 * exports such as the dev model are rebuilt. Recorded as `architecture.exportFormat`.
 */
export const EXPORT_FORMAT = 2;
