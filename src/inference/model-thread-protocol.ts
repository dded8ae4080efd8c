import type { ModelManifest } from './manifest.js';
import type { OrtGraphsOptions, ProviderAttempt } from './ort-graphs.js';

/** Messages between `ModelThread` (main thread) and `model-worker.ts` (the worker). */

export type ThreadOptions = Omit<OrtGraphsOptions, 'logger'>;

export interface SerializedError {
  code: string;
  message: string;
}

export type WorkerMessage =
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; details: object; message: string }
  | {
      type: 'ready';
      manifest: ModelManifest;
      activeProvider: ProviderAttempt['provider'];
      providerAttempts: ProviderAttempt[];
      warmUpMs: number;
    }
  | { type: 'load-failed'; error: SerializedError }
  | { type: 'result'; id: number; data: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };

export type MainMessage =
  | { type: 'encode'; id: number; logMels: Float32Array; batch: number }
  | { type: 'predict'; id: number; embeddings: Float32Array; instrumentIds: number[]; batch: number }
  | { type: 'close' };

export function serializeError(error: unknown): SerializedError {
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'INFERENCE_FAILED';
  return { code, message: error instanceof Error ? error.message : String(error) };
}
