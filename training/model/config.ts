import { z } from 'zod';
import { DEFAULT_FRONT_END } from '../../src/audio/frontend-config.js';
import { INSTRUMENTS } from '../../src/instruments.js';
import { TEMPO_LAGS } from '../data/onsets.js';

/**
 * Everything that determines the Stem-JEPA network and its optimisation schedule. It is stored in
 * checkpoints and copied into `models/manifest.json` (`architecture`), so a model can always be
 * rebuilt from its own files.
 */
export const ModelConfigSchema = z
  .object({
    name: z.string().min(1),
    /**
     * Input geometry: must match the front end the model is trained on. `nMels` is its height in
     * bins whatever the kind (80 mel bands, 96 CQT bins: `featureBins(frontEnd)`); the name is
     * kept because checkpoints and manifests record it.
     */
    nMels: z.number().int().positive(),
    chunkFrames: z.number().int().positive(),
    /** Patch size in feature bins (height) and frames (width). */
    patchHeight: z.number().int().positive(),
    patchWidth: z.number().int().positive(),
    /** Encoder width (embedding dimension D), transformer depth, heads and MLP expansion. */
    dim: z.number().int().positive(),
    depth: z.number().int().nonnegative(),
    heads: z.number().int().positive(),
    mlpRatio: z.number().positive(),
    /** Number of linear layers in the per-patch predictor MLP (paper: 6). */
    predictorDepth: z.number().int().min(2),
    predictorHidden: z.number().int().positive(),
    /** Size of the learned instrument-label embedding the predictor is conditioned on. */
    labelDim: z.number().int().positive(),
    numInstruments: z.number().int().positive(),
    layerNormEpsilon: z.number().positive(),
    /** Standard deviation of the truncated-normal initialisation of linear layers. */
    initStd: z.number().positive(),
    /**
     * Initial std of the patch projection (default: `initStd`). At 0.02 the content part of a patch
     * is a third of the fixed sin-cos position added to it, every clip embedding starts nearly the
     * same (spread 0.004), and the contrastive gradient is too weak to leave that point; LeCun
     * scale (1/sqrt(patch size)) starts with three times the spread and learns at once.
     */
    patchEmbedInitStd: z.number().positive().optional(),
    schedule: z.object({
      /** Total optimisation steps: the learning-rate and EMA schedules are laid out over these. */
      totalSteps: z.number().int().positive(),
      warmupSteps: z.number().int().nonnegative(),
      peakLearningRate: z.number().positive(),
      finalLearningRate: z.number().nonnegative(),
      weightDecay: z.number().nonnegative(),
      adamBeta1: z.number().min(0).max(1),
      adamBeta2: z.number().min(0).max(1),
      adamEpsilon: z.number().positive(),
      /** EMA momentum of the target encoder, raised linearly from start to end (I-JEPA: 0.996 → 1). */
      emaMomentumStart: z.number().min(0).max(1),
      emaMomentumEnd: z.number().min(0).max(1),
      /**
       * Anti-collapse term added to the JEPA loss: `varianceWeight * mean(relu(varianceTarget - std))`
       * over the channels of the L2-normalised, patch-averaged context embeddings, std taken across the
       * (micro-)batch (VICReg's variance term). Without it the small CPU-trained model collapses to
       * position-only embeddings within a few hundred steps (measured: clip std 0.029 → 0.006,
       * retrieval at chance). Random unit vectors have a per-channel std of 1/sqrt(dim).
       */
      varianceWeight: z.number().nonnegative().default(0),
      varianceTarget: z.number().nonnegative().default(0),
      /**
       * Weight of an InfoNCE term between the pooled prediction and the pooled targets of the batch
       * (see `contrastiveLoss`), added to the JEPA loss. The JEPA loss alone, at the few tens of
       * thousands of examples a 2-core CPU trains on per hour, left retrieval at chance after
       * 32,000 examples (R@1 2.2 % vs random 3.0 %); the contrastive term trains exactly what
       * retrieval compares, with the other songs and other moments of the batch as negatives.
       */
      contrastiveWeight: z.number().nonnegative().default(0),
      /** Weight of the JEPA prediction loss itself (1 = the paper's objective). */
      predictionWeight: z.number().nonnegative().default(1),
      contrastiveTemperature: z.number().positive().default(0.1),
      /**
       * What the contrastive term compares: the pooled clip embedding (`clip`, what retrieval
       * ranks by), or each time column of the patch grid against the same column of the other
       * targets (`column`: gridTime contrastive pairs per example instead of one, and only the
       * columns' content can tell them apart, never their position). See `contrastiveLoss`.
       */
      contrastiveUnit: z.enum(['clip', 'column']).default('clip'),
      /**
       * Weight of the acoustic-teacher term (see `teacherLoss` and training/data/acoustic-teacher.ts):
       * the first channels of the context encoder's time columns regress the context's own chroma
       * and onset strength. 0 = the paper's objective only.
       */
      teacherWeight: z.number().nonnegative().default(0),
      /**
       * Log-spaced onset-autocorrelation bins the teacher appends to every column (see
       * AcousticTeacher): the crop's tempo and metre, which the column means otherwise lose.
       * 0 = chroma and onset strength only.
       */
      teacherTempoBins: z.number().int().nonnegative().max(TEMPO_LAGS).default(0),
    }),
  })
  .superRefine((config, ctx) => {
    if (config.nMels % config.patchHeight !== 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'nMels must be a multiple of patchHeight',
        path: ['patchHeight'],
      });
    }
    if (config.chunkFrames % config.patchWidth !== 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'chunkFrames must be a multiple of patchWidth',
        path: ['patchWidth'],
      });
    }
    if (config.dim % 4 !== 0) {
      // Two sin-cos halves (frequency row, time column), each split into sin and cos.
      ctx.addIssue({ code: 'custom', message: 'dim must be a multiple of 4', path: ['dim'] });
    }
    if (config.dim % config.heads !== 0) {
      ctx.addIssue({ code: 'custom', message: 'dim must be a multiple of heads', path: ['heads'] });
    }
  });

export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type ScheduleConfig = ModelConfig['schedule'];

export interface PatchGrid {
  /** Rows along frequency (nMels / patchHeight). */
  gridFreq: number;
  /** Columns along time (chunkFrames / patchWidth). */
  gridTime: number;
  numPatches: number;
  /** Values in one flattened patch (patchHeight * patchWidth). */
  patchSize: number;
}

/**
 * Patches are numbered frequency-row-major: patch `f * gridTime + t` covers mel rows
 * `[f * patchHeight, (f + 1) * patchHeight)` and frames `[t * patchWidth, (t + 1) * patchWidth)`.
 * Reshaping `[numPatches, D]` to `[gridFreq, gridTime, D]` and averaging axis 0 gives a time
 * sequence of `gridTime` steps.
 */
export function patchGrid(config: ModelConfig): PatchGrid {
  const gridFreq = config.nMels / config.patchHeight;
  const gridTime = config.chunkFrames / config.patchWidth;
  return {
    gridFreq,
    gridTime,
    numPatches: gridFreq * gridTime,
    patchSize: config.patchHeight * config.patchWidth,
  };
}

export function mlpHidden(config: ModelConfig): number {
  return Math.round(config.dim * config.mlpRatio);
}

const DEFAULT_SCHEDULE: ScheduleConfig = {
  totalSteps: 10_000,
  warmupSteps: 500,
  peakLearningRate: 1e-3,
  finalLearningRate: 1e-5,
  weightDecay: 0.04,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  emaMomentumStart: 0.996,
  emaMomentumEnd: 1,
  varianceWeight: 0,
  varianceTarget: 0,
  contrastiveWeight: 0,
  predictionWeight: 1,
  contrastiveTemperature: 0.1,
  contrastiveUnit: 'clip',
  teacherWeight: 0,
  teacherTempoBins: 0,
};

const SHARED = {
  nMels: DEFAULT_FRONT_END.nMels,
  chunkFrames: DEFAULT_FRONT_END.chunkFrames,
  patchHeight: 16,
  patchWidth: 16,
  predictorDepth: 6,
  numInstruments: INSTRUMENTS.length,
  layerNormEpsilon: 1e-6,
  initStd: 0.02,
  schedule: DEFAULT_SCHEDULE,
} as const;

/** Named sizes. `tiny` is for tests; `small` trains in hours on two CPU cores; `base` is the next step up. */
export const MODEL_PRESETS = {
  tiny: {
    ...SHARED,
    name: 'tiny',
    dim: 32,
    depth: 1,
    heads: 2,
    mlpRatio: 2,
    predictorHidden: 64,
    labelDim: 8,
  },
  small: {
    ...SHARED,
    name: 'small',
    patchEmbedInitStd: 1 / 16,
    dim: 128,
    depth: 4,
    heads: 4,
    mlpRatio: 4,
    predictorHidden: 256,
    labelDim: 32,
  },
  base: {
    ...SHARED,
    name: 'base',
    patchEmbedInitStd: 1 / 16,
    dim: 256,
    depth: 6,
    heads: 8,
    mlpRatio: 4,
    predictorHidden: 512,
    labelDim: 64,
  },
} as const satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof MODEL_PRESETS;

export function isPresetName(value: string): value is PresetName {
  return Object.hasOwn(MODEL_PRESETS, value);
}

/** A validated copy of a preset, with optional overrides (e.g. a longer schedule). */
export function presetConfig(
  preset: PresetName,
  overrides: Partial<Omit<ModelConfig, 'schedule'>> & { schedule?: Partial<ScheduleConfig> } = {},
): ModelConfig {
  const base = MODEL_PRESETS[preset];
  return ModelConfigSchema.parse({
    ...base,
    ...overrides,
    schedule: { ...base.schedule, ...overrides.schedule },
  });
}
