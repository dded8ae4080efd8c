import type { EmbeddedChunk, StemEmbedding } from '../inference/embedder.js';
import type { Instrument } from '../instruments.js';

export type { EmbeddedChunk, StemEmbedding };

/**
 * What the HTTP layer needs from the inference layer, stated structurally so the routes depend on
 * a capability rather than on how sessions, batchers and audio workers are wired together.
 */

/** The time geometry of one model chunk's timeline, needed to turn alignment steps into seconds. */
export interface TimelineGeometry {
  gridTime: number;
  dim: number;
  /** Seconds one timeline column covers. */
  secondsPerStep: number;
}

export interface EmbeddingModel {
  /** e.g. `name@version` of the loaded model; stored with the catalog. */
  readonly modelId: string;
  /** The onnxruntime execution provider that actually runs the model. */
  readonly activeProvider: string;
  /** Providers tried before the active one, and why each was skipped. */
  readonly providerAttempts?: ReadonlyArray<{ provider: string; ok: boolean; reason?: string }>;
  readonly geometry: TimelineGeometry;
  embedStem(bytes: Uint8Array, options: { maxDurationSeconds?: number }): Promise<StemEmbedding>;
  embedQuery(
    bytes: Uint8Array,
    instrument: Instrument,
    options: { maxDurationSeconds?: number },
  ): Promise<StemEmbedding>;
  /** The query for "what fits with this already-embedded audio", from its stored patch embeddings. */
  predictFromPatchEmbeddings(
    chunks: ReadonlyArray<{ index: number; offsetSeconds: number; silent: boolean; patches: Float32Array }>,
    instrument: Instrument,
  ): Promise<StemEmbedding>;
  close(): Promise<void>;
}
