import * as tf from '@tensorflow/tfjs';
import { AdamW } from './adamw.js';
import { readCheckpoint, readCheckpointHeader, writeCheckpoint } from './checkpoint.js';
import { type ModelConfig, ModelConfigSchema, type ScheduleConfig } from './config.js';
import { emaUpdate } from './ema.js';
import { encode } from './encoder.js';
import { InputShapeError } from './errors.js';
import { jepaLoss } from './loss.js';
import { batchEmbeddingStd, effectiveRank } from './monitors.js';
import { encoderParamSpecs, initParams, type NamedArrays, paramSpecs } from './params.js';
import { predict } from './predictor.js';
import { emaMomentum, learningRate } from './schedule.js';
import { mapLookup, tfOps } from './tf-ops.js';

/** One training batch: `batchSize` context/target log-mel pairs, flattened `[B, 1, nMels, chunkFrames]`. */
export interface TrainBatch {
  context: Float32Array;
  target: Float32Array;
  /** Instrument id (see `src/instruments.ts`) of each target stem. */
  instrumentIds: Int32Array;
  batchSize: number;
}

/** What the last `trainStep` measured, for logging. */
export interface TrainStepStats {
  /** 0-based index of the step these numbers belong to. */
  step: number;
  loss: number;
  learningRate: number;
  emaMomentum: number;
  /** `batchEmbeddingStd` of the context and target encoders' outputs: near 0 means collapse. */
  contextStd: number;
  targetStd: number;
  /**
   * `effectiveRank` of the context encoder's patch embeddings over the batch (1 … dim), measured
   * every `effectiveRankEvery` steps (see there).
   */
  contextEffectiveRank: number;
}

/**
 * Stem-JEPA: a context encoder and a per-patch predictor trained to predict the patch embeddings
 * that an EMA copy of the encoder (the target encoder, never trained by gradients) produces for a
 * held-out stem, conditioned on that stem's instrument.
 */
export class StemJepa {
  /** Context encoder + predictor weights (trained). */
  readonly online: Map<string, tf.Variable>;
  /** Target encoder weights (EMA of the context encoder's). */
  readonly target: Map<string, tf.Variable>;
  readonly optimizer: AdamW;
  lastStats: TrainStepStats | undefined;
  /**
   * The effective rank needs an eigen-decomposition (~0.2 s for dim 128), so `trainStep` measures
   * it only after every this-many steps (and on a model's first step); the steps in between repeat
   * the last value. The step counter makes this line up with logging every N steps.
   */
  effectiveRankEvery = 10;
  private currentStep = 0;

  constructor(
    readonly config: ModelConfig,
    readonly seed: number,
    initial: NamedArrays = initParams(config, seed),
  ) {
    const specs = paramSpecs(config);
    this.online = new Map(specs.map(({ name }) => [name, variableFrom(initial, name, true)]));
    this.target = new Map(
      encoderParamSpecs(config).map(({ name }) => [name, variableFrom(initial, name, false)]),
    );
    const decays = new Set(specs.filter((spec) => spec.decay).map((spec) => spec.name));
    this.optimizer = new AdamW(config.schedule, this.online, decays);
  }

  /** Number of optimisation steps taken (the next step's 0-based index). */
  get step(): number {
    return this.currentStep;
  }

  /** Moves the schedules to `step` (e.g. to continue a run whose state was restored elsewhere). */
  setStep(step: number): void {
    if (!Number.isInteger(step) || step < 0)
      throw new RangeError(`step must be a non-negative integer, got ${step}`);
    this.currentStep = step;
  }

  /** One optimisation step; returns the loss before the update. */
  trainStep(batch: TrainBatch): number {
    const { context, target, ids } = this.batchTensors(batch);
    const step = this.currentStep;
    const rate = learningRate(this.config.schedule, step);
    const momentum = emaMomentum(this.config.schedule, step);
    const onlineOps = tfOps(mapLookup(this.online));
    let contextEmbeddings: tf.Tensor | undefined;
    try {
      const measured = tf.tidy(() => {
        const targetEmbeddings = encode(tfOps(mapLookup(this.target)), this.config, target);
        const { value, grads } = tf.variableGrads(() => {
          const embeddings = encode(onlineOps, this.config, context);
          contextEmbeddings = tf.keep(embeddings);
          return jepaLoss(predict(onlineOps, this.config, embeddings, ids), targetEmbeddings);
        }, [...this.online.values()]);
        this.optimizer.apply(this.online, grads, step, rate);
        return [value, batchEmbeddingStd(contextEmbeddings!), batchEmbeddingStd(targetEmbeddings)];
      });
      const [loss, contextStd, targetStd] = measured.map((scalar) => scalar.dataSync()[0]);
      tf.dispose(measured);
      emaUpdate(this.target, this.online, momentum);
      const contextEffectiveRank = this.shouldMeasureRank(step)
        ? this.measureRank(contextEmbeddings!)
        : this.lastStats!.contextEffectiveRank;
      this.lastStats = {
        step,
        loss,
        learningRate: rate,
        emaMomentum: momentum,
        contextStd,
        targetStd,
        contextEffectiveRank,
      };
      this.currentStep = step + 1;
      return loss;
    } finally {
      tf.dispose([context, target, ids]);
      contextEmbeddings?.dispose();
    }
  }

  private shouldMeasureRank(step: number): boolean {
    return this.lastStats === undefined || (step + 1) % Math.max(1, this.effectiveRankEvery) === 0;
  }

  private measureRank(embeddings: tf.Tensor): number {
    const rows = tf.reshape(embeddings, [-1, this.config.dim]) as tf.Tensor2D;
    try {
      return effectiveRank(rows);
    } finally {
      rows.dispose();
    }
  }

  /** Context-encoder patch embeddings `[B, numPatches, dim]` (caller disposes). */
  embedContext(logMel: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => encode(tfOps(mapLookup(this.online)), this.config, logMel) as tf.Tensor3D);
  }

  /** Target-encoder patch embeddings `[B, numPatches, dim]` (caller disposes). */
  embedTarget(logMel: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => encode(tfOps(mapLookup(this.target)), this.config, logMel) as tf.Tensor3D);
  }

  /** Predicted target embeddings for instrument ids `[B]` (int32; caller disposes). */
  predict(embeddings: tf.Tensor3D, instrumentIds: tf.Tensor1D): tf.Tensor3D {
    return tf.tidy(
      () => predict(tfOps(mapLookup(this.online)), this.config, embeddings, instrumentIds) as tf.Tensor3D,
    );
  }

  /** Collapse monitors on arbitrary log-mels (e.g. a fixed validation batch), without training. */
  measureCollapse(logMel: tf.Tensor4D): {
    contextStd: number;
    targetStd: number;
    contextEffectiveRank: number;
  } {
    const context = this.embedContext(logMel);
    const target = this.embedTarget(logMel);
    const stds = tf.tidy(() => [batchEmbeddingStd(context), batchEmbeddingStd(target)]);
    const [contextStd, targetStd] = stds.map((scalar) => scalar.dataSync()[0]);
    const flat = tf.reshape(context, [-1, this.config.dim]) as tf.Tensor2D;
    const contextEffectiveRank = effectiveRank(flat);
    tf.dispose([context, target, flat, ...stds]);
    return { contextStd, targetStd, contextEffectiveRank };
  }

  /**
   * Weights to export: the chosen encoder's `encoder.*` weights and the predictor's. The context
   * encoder is the default, since the predictor was trained on its outputs.
   */
  exportWeights(encoder: 'context' | 'target' = 'context'): NamedArrays {
    const weights: NamedArrays = new Map();
    for (const [name, variable] of this.online) {
      const source = encoder === 'target' && name.startsWith('encoder.') ? this.target.get(name)! : variable;
      weights.set(name, {
        shape: [...source.shape],
        data: Float32Array.from(source.dataSync() as Float32Array),
      });
    }
    return weights;
  }

  /** Weights, both Adam moments, EMA weights and step, written atomically into `dir`. */
  saveCheckpoint(dir: string): void {
    writeCheckpoint(dir, this);
  }

  /**
   * Restores a checkpoint written by a model of the same architecture. With the same schedule,
   * later steps are bit-identical to an uninterrupted run; otherwise this model's schedule applies.
   */
  loadCheckpoint(dir: string): void {
    readCheckpoint(dir, this);
  }

  dispose(): void {
    for (const variable of [...this.online.values(), ...this.target.values()]) variable.dispose();
    this.optimizer.dispose();
  }

  private batchTensors(batch: TrainBatch): { context: tf.Tensor4D; target: tf.Tensor4D; ids: tf.Tensor1D } {
    const { nMels, chunkFrames } = this.config;
    const { batchSize } = batch;
    const values = batchSize * nMels * chunkFrames;
    const shape: [number, number, number, number] = [batchSize, 1, nMels, chunkFrames];
    const expected = `${values} values ([${shape}])`;
    if (batch.context.length !== values)
      throw new InputShapeError('context batch', expected, [batch.context.length]);
    if (batch.target.length !== values)
      throw new InputShapeError('target batch', expected, [batch.target.length]);
    if (batch.instrumentIds.length !== batchSize) {
      throw new InputShapeError('instrumentIds', `[${batchSize}]`, [batch.instrumentIds.length]);
    }
    return {
      context: tf.tensor4d(batch.context, shape),
      target: tf.tensor4d(batch.target, shape),
      ids: tf.tensor1d(batch.instrumentIds, 'int32'),
    };
  }
}

function variableFrom(weights: NamedArrays, name: string, trainable: boolean): tf.Variable {
  const weight = weights.get(name);
  if (!weight) throw new Error(`initial weights lack "${name}"`);
  // tidy frees the initial tensor; the variable holds its own reference to the data.
  return tf.tidy(() => tf.variable(tf.tensor(weight.data, weight.shape, 'float32'), trainable));
}

/** A fresh, seeded model: same (config, seed) → same initial weights. */
export function createStemJepa(config: ModelConfig, seed: number): StemJepa {
  return new StemJepa(ModelConfigSchema.parse(config), seed);
}

/**
 * A model rebuilt from a checkpoint directory (its config, weights, optimizer state and step).
 * `schedule` overrides parts of the saved schedule, e.g. more `totalSteps` to extend a run.
 */
export function restoreStemJepa(dir: string, schedule: Partial<ScheduleConfig> = {}): StemJepa {
  const header = readCheckpointHeader(dir);
  const config = ModelConfigSchema.parse({
    ...header.config,
    schedule: { ...header.config.schedule, ...schedule },
  });
  const model = new StemJepa(config, header.seed);
  model.loadCheckpoint(dir);
  return model;
}
