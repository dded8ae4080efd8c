import { z } from 'zod';

/**
 * Everything that determines the model's input features. Training and serving both build their
 * spectrograms from one of these, and it is serialised into `models/manifest.json` so the service
 * can refuse a model trained on different features. `kind` selects the transform; the fields every
 * kind shares (rate, hop, chunk, log and normalisation) mean the same in each.
 */
const SHARED_FIELDS = {
  /** Model sample rate in Hz (paper: 16 kHz). */
  sampleRate: z.number().int().positive(),
  /** Hop in samples (10 ms at 16 kHz = 160). */
  hopLength: z.number().int().positive(),
  /** Frames per model chunk (8 s at 10 ms hop = 800). */
  chunkFrames: z.number().int().positive(),
  /** Added to the power before the log so silence stays finite. */
  logEpsilon: z.number().positive(),
  /** Dataset normalisation applied after the log: (x - mean) / std. */
  normMean: z.number(),
  normStd: z.number().positive(),
};

/** Log-mel power spectrogram (see log-mel.ts): the paper's front end and the shipped model's. */
export const LogMelConfigSchema = z.object({
  kind: z.literal('log-mel'),
  ...SHARED_FIELDS,
  /** Mel bands (paper: 80). */
  nMels: z.number().int().positive(),
  /** FFT size in samples (>= winLength, power of two). */
  nFft: z.number().int().positive(),
  /** Analysis window length in samples (25 ms at 16 kHz = 400). */
  winLength: z.number().int().positive(),
  fMin: z.number().nonnegative(),
  fMax: z.number().positive(),
});

/**
 * Constant-Q (or variable-Q) power spectrogram (see cqt.ts): log-spaced bins that resolve
 * semitones down to the lowest octave, which a 512-point mel cannot below ~500 Hz.
 */
export const CqtConfigSchema = z.object({
  kind: z.literal('cqt'),
  ...SHARED_FIELDS,
  /** Centre frequency of bin 0 in Hz; bin k is at fMin · 2^(k / binsPerOctave). */
  fMin: z.number().positive(),
  nBins: z.number().int().positive(),
  binsPerOctave: z.number().int().positive(),
  /**
   * Bandwidth added to every bin, in Hz: bin k's bandwidth is f_k / Q + gamma with
   * Q = 1 / (2^(1/binsPerOctave) - 1). 0 is a constant-Q transform; > 0 a VQT, whose low bins
   * have shorter windows (better timing, less pitch resolution).
   */
  gamma: z.number().nonnegative(),
});

export type LogMelConfig = z.infer<typeof LogMelConfigSchema>;
export type CqtConfig = z.infer<typeof CqtConfigSchema>;
export const FRONT_END_KINDS = ['log-mel', 'cqt'] as const;
export type FrontEndKind = (typeof FRONT_END_KINDS)[number];

/**
 * One schema for every kind. A config without `kind` is a log-mel one: manifests written before
 * the CQT existed (models/manifest.json) still parse, and parse to what they always meant.
 */
export const FrontEndConfigSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value)
      ? { kind: 'log-mel', ...value }
      : value,
  z.discriminatedUnion('kind', [LogMelConfigSchema, CqtConfigSchema]),
);

export type FrontEndConfig = LogMelConfig | CqtConfig;

export const DEFAULT_FRONT_END: LogMelConfig = Object.freeze({
  kind: 'log-mel',
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

/**
 * The pitch-resolving front end: 84 semitone bins from C1 (32.7 Hz) to B7 (3951 Hz), on the same
 * 10 ms hop and 8 s chunk as the log-mel. PHALAR's CQT spans C0-B7 (96 bins); its lowest octave
 * holds almost no musical fundamentals and needs 1.2 s windows, so it is left out here.
 */
export const DEFAULT_CQT_FRONT_END: CqtConfig = Object.freeze({
  kind: 'cqt',
  sampleRate: 16_000,
  hopLength: 160,
  chunkFrames: 800,
  fMin: 440 * 2 ** (-45 / 12),
  nBins: 84,
  binsPerOctave: 12,
  gamma: 0,
  logEpsilon: 1e-6,
  normMean: 0,
  normStd: 1,
});

/** The default config of each kind: what `"frontEnd": "cqt"` in training/config.json trains on. */
export function defaultFrontEnd(kind: FrontEndKind): FrontEndConfig {
  return kind === 'cqt' ? DEFAULT_CQT_FRONT_END : DEFAULT_FRONT_END;
}

/** Samples in one model chunk (8 s at 16 kHz). */
export function chunkSamples(config: FrontEndConfig): number {
  return config.chunkFrames * config.hopLength;
}

/** Rows of the feature map (mel bands or CQT bins): the encoder input's height. */
export function featureBins(config: FrontEndConfig): number {
  return config.kind === 'cqt' ? config.nBins : config.nMels;
}

/** Bandwidth in Hz of a CQT bin centred at `centreHz`: centreHz / Q + gamma (see CqtConfigSchema). */
export function cqtBandwidth(config: CqtConfig, centreHz: number): number {
  const q = 1 / (2 ** (1 / config.binsPerOctave) - 1);
  return centreHz / q + config.gamma;
}

/**
 * The longest analysis window in samples: the log-mel's winLength, the CQT's lowest bin
 * (sampleRate / its bandwidth). Frames within half of it from a chunk's edge see the zero padding.
 */
export function longestWindow(config: FrontEndConfig): number {
  return config.kind === 'cqt'
    ? Math.ceil(config.sampleRate / cqtBandwidth(config, config.fMin))
    : config.winLength;
}

/** Values in one chunk's features: bins × chunkFrames. */
export function chunkFeatureSize(config: FrontEndConfig): number {
  return featureBins(config) * config.chunkFrames;
}

const NORMALISATION_KEYS: ReadonlySet<string> = new Set(['normMean', 'normStd']);

/**
 * Names of the feature-defining fields that differ; empty when both configs compute the same
 * features. Configs of different kinds differ in `kind` and every field either one has.
 * Normalisation constants are excluded: they belong to a trained model, not to the front end, so
 * a service adopts the model's values instead of comparing them.
 */
export function frontEndDifferences(a: FrontEndConfig, b: FrontEndConfig): string[] {
  const keys = new Set([...Object.keys(schemaOf(a).shape), ...Object.keys(schemaOf(b).shape)]);
  const valueA = a as Record<string, unknown>;
  const valueB = b as Record<string, unknown>;
  return [...keys].filter((key) => !NORMALISATION_KEYS.has(key) && valueA[key] !== valueB[key]);
}

function schemaOf(config: FrontEndConfig): typeof LogMelConfigSchema | typeof CqtConfigSchema {
  return config.kind === 'cqt' ? CqtConfigSchema : LogMelConfigSchema;
}
