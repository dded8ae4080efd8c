import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  defaultFrontEnd,
  FRONT_END_KINDS,
  type FrontEndConfig,
  featureBins,
} from '../../src/audio/frontend-config.js';
import { type ModelConfig, ModelConfigSchema, presetConfig } from '../model/config.js';

/** `training/config.json`: every hyper-parameter of a training run, in one file. */
export const TrainConfigSchema = z.object({
  preset: z.enum(['tiny', 'small', 'base']),
  /**
   * The audio front end the model is trained on, with its default settings (src/audio): the
   * 80-band log-mel or the 96-bin CQT. It sets the encoder's input height (`nMels`), and the
   * exported manifest records it; the service refuses a model whose front end is not its own.
   */
  frontEnd: z.enum(FRONT_END_KINDS).default('log-mel'),
  /**
   * Changes to the preset's network, e.g. `{ "patchHeight": 80 }` for patches spanning every mel
   * bin (one token per time column; `"full"` says the same for any front end's height). The
   * result is recorded in the manifest's `architecture`.
   */
  architecture: z
    .object({
      patchHeight: z.union([ModelConfigSchema.shape.patchHeight, z.literal('full')]),
      patchWidth: ModelConfigSchema.shape.patchWidth,
      dim: ModelConfigSchema.shape.dim,
      depth: ModelConfigSchema.shape.depth,
      heads: ModelConfigSchema.shape.heads,
      mlpRatio: ModelConfigSchema.shape.mlpRatio,
      patchEmbedInitStd: z.number().positive(),
    })
    .partial()
    .default({}),
  seed: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  schedule: ModelConfigSchema.shape.schedule.partial(),
  corpus: z.object({
    /** Songs the corpus generator is asked for when the corpus is missing or incomplete. */
    songs: z.number().int().positive(),
    /** Training starts only once at least this many training songs exist. */
    minTrainSongs: z.number().int().positive(),
  }),
  normalisation: z.object({ batches: z.number().int().positive() }),
  logEvery: z.number().int().positive(),
  validateEvery: z.number().int().positive(),
  validationBatches: z.number().int().positive(),
  checkpointEveryMinutes: z.number().positive(),
  exportEncoder: z.enum(['context', 'target']),
  /**
   * Negatives of the contrastive term: every other target of the batch (`all`), or only targets
   * of the same instrument (`same-instrument`, what retrieval's per-instrument galleries hold).
   * Near-copies of the positive (overlapping crops of the same stem) are never negatives.
   */
  contrastiveNegatives: z.enum(['all', 'same-instrument']).default('all'),
  /**
   * Pooled targets of earlier batches kept as extra contrastive negatives (MoCo-style queue, see
   * `training/run/negative-queue.ts`); 0 = the batch's own targets only.
   */
  contrastiveQueue: z.number().int().nonnegative().default(0),
  /**
   * Share of training examples whose context is the mix of all the other stems (see
   * ExampleSampler's `fullContextProbability`); validation always uses all of them, as the
   * evaluation does.
   */
  fullContextProbability: z.number().min(0).max(1).default(0),
  /**
   * Target-leak curriculum (see ExampleSampler's `targetLeak`): the leak starts at `targetLeakStart`
   * and falls linearly to 0 at step `targetLeakSteps`; the rest of the run is the real task.
   */
  curriculum: z
    .object({ targetLeakStart: z.number().min(0).max(1), targetLeakSteps: z.number().int().nonnegative() })
    .default({ targetLeakStart: 0, targetLeakSteps: 0 }),
  /**
   * Real retrieval during training (`npm run eval -- --quick` on the exported weights: a fixed
   * validation subset, chunk and product protocols) every `every` steps (0 = never). The
   * checkpoint with the best product-protocol R@10 is kept in `<run dir>/best-checkpoint` and, with
   * `exportBest`, is the one exported at the end.
   */
  quickEval: z
    .object({
      every: z.number().int().nonnegative().default(500),
      songs: z.number().int().positive().default(10),
      exportBest: z.boolean().default(true),
    })
    .prefault({}),
});

/** The curriculum's target leak at `step`. */
export function targetLeakAt(config: TrainConfig, step: number): number {
  const { targetLeakStart, targetLeakSteps } = config.curriculum;
  if (step >= targetLeakSteps) return 0;
  return targetLeakStart * (1 - step / targetLeakSteps);
}

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/** The front end a run trains on, before its normalisation constants are measured. */
export function baseFrontEnd(config: TrainConfig): FrontEndConfig {
  return defaultFrontEnd(config.frontEnd);
}

/**
 * The network a run trains: the preset with the config's overrides, its input height and width
 * taken from the run's front end (80 mel bands or 96 CQT bins by 800 frames), so the patch grid
 * follows the features; `patchHeight: "full"` is one patch row over every bin.
 */
export function runModelConfig(config: TrainConfig): ModelConfig {
  const frontEnd = baseFrontEnd(config);
  const height = featureBins(frontEnd);
  const { patchHeight, ...architecture } = config.architecture;
  return presetConfig(config.preset, {
    ...architecture,
    nMels: height,
    chunkFrames: frontEnd.chunkFrames,
    ...(patchHeight === undefined ? {} : { patchHeight: patchHeight === 'full' ? height : patchHeight }),
    schedule: config.schedule,
  });
}

export function readTrainConfig(path: string): TrainConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete raw.$comment;
  return TrainConfigSchema.parse(raw);
}
