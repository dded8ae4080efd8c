import { z } from 'zod';

/**
 * Everything that determines the model's input features. Training and serving both build their
 * log-mel spectrograms from one of these, and it is serialised into `models/manifest.json` so the
 * service can refuse a model trained on different features.
 */
export const FrontEndConfigSchema = z.object({
  /** Model sample rate in Hz (paper: 16 kHz). */
  sampleRate: z.number().int().positive(),
  /** Mel bands (paper: 80). */
  nMels: z.number().int().positive(),
  /** FFT size in samples (>= winLength, power of two). */
  nFft: z.number().int().positive(),
  /** Analysis window length in samples (25 ms at 16 kHz = 400). */
  winLength: z.number().int().positive(),
  /** Hop in samples (10 ms at 16 kHz = 160). */
  hopLength: z.number().int().positive(),
  fMin: z.number().nonnegative(),
  fMax: z.number().positive(),
  /** Added before the log so silence stays finite. */
  logEpsilon: z.number().positive(),
  /** Frames per model chunk (8 s at 10 ms hop = 800). */
  chunkFrames: z.number().int().positive(),
  /** Dataset normalisation applied after the log: (x - mean) / std. */
  normMean: z.number(),
  normStd: z.number().positive(),
});

export type FrontEndConfig = z.infer<typeof FrontEndConfigSchema>;

export const DEFAULT_FRONT_END: FrontEndConfig = Object.freeze({
  sampleRate: 16_000,
  nMels: 80,
  nFft: 512,
  winLength: 400,
  hopLength: 160,
  fMin: 0,
  fMax: 8_000,
  logEpsilon: 1e-6,
  chunkFrames: 800,
  normMean: 0,
  normStd: 1,
});

/** Samples in one model chunk (8 s at 16 kHz). */
export function chunkSamples(config: FrontEndConfig): number {
  return config.chunkFrames * config.hopLength;
}

const NORMALISATION_KEYS: ReadonlySet<string> = new Set(['normMean', 'normStd']);

/**
 * Names of the feature-defining fields that differ; empty when both configs compute the same
 * log-mel. Normalisation constants are excluded: they belong to a trained model, not to the front
 * end, so a service adopts the model's values instead of comparing them.
 */
export function frontEndDifferences(a: FrontEndConfig, b: FrontEndConfig): string[] {
  return (Object.keys(FrontEndConfigSchema.shape) as (keyof FrontEndConfig)[]).filter(
    (key) => !NORMALISATION_KEYS.has(key) && a[key] !== b[key],
  );
}
