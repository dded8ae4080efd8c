/**
 * Input and output names of the exported graphs, as documented in `manifest.ts`. The exporter
 * (`training/export/graph-io.ts`) writes the same names; the service checks them when it loads a
 * model so a mismatch fails at start-up rather than on the first request.
 */
export const ENCODER_INPUT = 'log_mel';
export const ENCODER_OUTPUT = 'patch_embeddings';
export const PREDICTOR_EMBEDDINGS_INPUT = 'context_embeddings';
export const PREDICTOR_INSTRUMENT_INPUT = 'instrument_id';
export const PREDICTOR_OUTPUT = 'predicted_embeddings';
