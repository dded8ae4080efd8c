import * as tf from '@tensorflow/tfjs';
import { AdamW } from './adamw.js';
import { readCheckpoint, readCheckpointHeader, writeCheckpoint } from './checkpoint.js';
import { type ModelConfig, ModelConfigSchema, patchGrid, type ScheduleConfig } from './config.js';
import { emaUpdate } from './ema.js';
import { encode } from './encoder.js';
import { InputShapeError } from './errors.js';
import {
  clipEmbeddings,
  columnEmbeddings,
  contrastiveLoss,
  jepaLoss,
  teacherLoss,
  varianceHinge,
} from './loss.js';
import { batchEmbeddingStd, clipEmbeddingStd, effectiveRank } from './monitors.js';
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
  /**
   * Extra negatives for the contrastive term: target embeddings `[Q, contrastiveWidth]` of earlier
   * batches (see `training/run/negative-queue.ts`). Absent: the batch's own targets only.
   */
  queuedNegatives?: Float32Array;
  /**
   * `[B, B + Q]` row-major, 1 where candidate j (the batch's targets, then the queued ones) must
   * not serve as a negative for prediction i in the contrastive term (a near-copy of i's own
   * target, or another instrument). Absent: every other candidate is one.
   */
  excludedNegatives?: Uint8Array;
  /**
   * The acoustic teacher's descriptors of each context, `[B, gridTime, channels]` (see
   * `schedule.teacherWeight`). Needed when that weight is above 0.
   */
  teacher?: Float32Array;
  /**
   * The same descriptors of each target, which the prediction's first channels should carry: the
   * predictor learns to say which pitch classes and onsets the missing part has.
   */
  targetTeacher?: Float32Array;
}

/** What the last `trainStep` measured, for logging. */
export interface TrainStepStats {
  /** 0-based index of the step these numbers belong to. */
  step: number;
  /** JEPA loss (L2-normalised MSE per patch) before the update. */
  loss: number;
  /** The contrastive term (unweighted; 0 when its weight is 0). */
  contrastiveLoss: number;
  /** The acoustic-teacher terms, context plus prediction (unweighted; 0 when their weight is 0). */
  teacherLoss: number;
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
   * The contrastive term's target embeddings `[B, contrastiveWidth]` of the last `trainStep`'s
   * batch, for a negative queue.
   */
  lastTargetEmbeddings: Float32Array | undefined;
  /**
   * The effective rank needs an eigen-decomposition (~0.2 s for dim 128), so `trainStep` measures
   * it only after every this-many steps (and on a model's first step); the steps in between repeat
   * the last value. The step counter makes this line up with logging every N steps.
   */
  effectiveRankEvery = 10;
  /**
   * Examples per forward/backward pass inside `trainStep` (gradients are accumulated across them).
   * TF.js keeps every intermediate of a backward pass alive until it ends, so memory and time per
   * example grow with the pass size; on the small preset (2-core CPU, native kernels) we measured
   * 115 ms/example at 8 versus 264-292 ms/example at 32.
   */
  microBatchSize = 8;
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

  /**
   * Values per target in the contrastive term: `dim` for pooled clips, `gridTime * dim` for
   * per-column embeddings (`schedule.contrastiveUnit`).
   */
  get contrastiveWidth(): number {
    return this.contrastiveShape().reduce((product, size) => product * size, 1);
  }

  /** Shape of one target in the contrastive term: `[dim]` or `[gridTime, dim]`. */
  private contrastiveShape(): number[] {
    const { dim, schedule } = this.config;
    return schedule.contrastiveUnit === 'column' ? [patchGrid(this.config).gridTime, dim] : [dim];
  }

  /** What the contrastive term compares, from patch embeddings `[B, numPatches, dim]`. */
  private contrastiveEmbeddings(patches: tf.Tensor): tf.Tensor2D | tf.Tensor3D {
    if (this.config.schedule.contrastiveUnit === 'clip') return clipEmbeddings(patches);
    const { gridFreq, gridTime } = patchGrid(this.config);
    return columnEmbeddings(patches, gridFreq, gridTime);
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

  /**
   * One optimisation step over the whole batch; returns its loss before the update. The batch is
   * processed in micro-batches of at most `microBatchSize` whose gradients are averaged (weighted
   * by size), so the update is that of the full batch while peak memory stays bounded.
   */
  trainStep(batch: TrainBatch): number {
    this.checkBatch(batch);
    const step = this.currentStep;
    const rate = learningRate(this.config.schedule, step);
    const momentum = emaMomentum(this.config.schedule, step);
    const measureRank = this.shouldMeasureRank(step);
    const gradients = new Map<string, tf.Tensor>();
    const contextClips: tf.Tensor[] = [];
    const rankRows: tf.Tensor[] = [];
    const passes = this.passes(batch.batchSize);
    // The target encoder gets no gradients, so the whole batch's targets are embedded first: the
    // contrastive term of every micro-batch then sees all of the batch's targets as candidates.
    const targetPatches = passes.map(({ start, size }) =>
      tf.tidy(() =>
        encode(tfOps(mapLookup(this.target)), this.config, this.sliceTensors(batch, start, size).target),
      ),
    );
    const queued = this.queuedCount(batch);
    const candidates = batch.batchSize + queued;
    const shared = tf.tidy(() => {
      const batchTargets = this.contrastiveEmbeddings(tf.concat(targetPatches, 0));
      this.lastTargetEmbeddings = Float32Array.from(batchTargets.dataSync() as Float32Array);
      const queuedTargets = () => tf.tensor(batch.queuedNegatives!, [queued, ...this.contrastiveShape()]);
      return {
        targets: queued
          ? (tf.concat([batchTargets, queuedTargets()], 0) as tf.Tensor2D | tf.Tensor3D)
          : batchTargets,
        excluded: batch.excludedNegatives
          ? tf.tensor2d(Float32Array.from(batch.excludedNegatives), [batch.batchSize, candidates])
          : undefined,
      };
    });
    let loss = 0;
    let contrastive = 0;
    let teacher = 0;
    try {
      passes.forEach(({ start, size }, index) => {
        const part = this.accumulate(
          batch,
          start,
          size,
          targetPatches[index]!,
          shared,
          gradients,
          measureRank,
        );
        loss += part.loss;
        contrastive += part.contrastive;
        teacher += part.teacher;
        contextClips.push(part.contextClips);
        if (part.rankRows) rankRows.push(part.rankRows);
      });
      this.optimizer.apply(this.online, gradients, { step, rate });
      emaUpdate(this.target, this.online, momentum);
      const [contextStd, targetStd] = tf
        .tidy(() => [
          clipEmbeddingStd(tf.concat(contextClips, 0)),
          clipEmbeddingStd(
            tf.concat(
              targetPatches.map((patches) => tf.mean(patches, 1)),
              0,
            ),
          ),
        ])
        .map((scalar) => {
          const value = scalar.dataSync()[0];
          scalar.dispose();
          return value;
        });
      const contextEffectiveRank = measureRank
        ? this.measureRank(rankRows)
        : this.lastStats!.contextEffectiveRank;
      this.lastStats = {
        step,
        loss,
        contrastiveLoss: contrastive,
        teacherLoss: teacher,
        learningRate: rate,
        emaMomentum: momentum,
        contextStd,
        targetStd,
        contextEffectiveRank,
      };
      this.currentStep = step + 1;
      return loss;
    } finally {
      tf.dispose([
        ...gradients.values(),
        ...contextClips,
        ...rankRows,
        ...targetPatches,
        shared.targets,
        ...(shared.excluded ? [shared.excluded] : []),
      ]);
    }
  }

  /** The micro-batches `[start, start + size)` a batch is processed in. */
  private passes(batchSize: number): { start: number; size: number }[] {
    const passSize = Math.max(1, Math.floor(this.microBatchSize));
    const passes = [];
    for (let start = 0; start < batchSize; start += passSize) {
      passes.push({ start, size: Math.min(passSize, batchSize - start) });
    }
    return passes;
  }

  /**
   * Forward and backward pass of examples `[start, start + size)`: adds their size-weighted
   * gradients into `sums` and returns their weighted losses and the (kept) tensors the monitors need.
   */
  private accumulate(
    batch: TrainBatch,
    start: number,
    size: number,
    targetEmbeddings: tf.Tensor,
    shared: { targets: tf.Tensor2D | tf.Tensor3D; excluded: tf.Tensor2D | undefined },
    sums: Map<string, tf.Tensor>,
    keepRankRows: boolean,
  ): { loss: number; contrastive: number; teacher: number; contextClips: tf.Tensor; rankRows?: tf.Tensor } {
    const weight = size / batch.batchSize;
    const onlineOps = tfOps(mapLookup(this.online));
    const variables = [...this.online.entries()];
    const {
      varianceWeight,
      varianceTarget,
      contrastiveWeight,
      contrastiveTemperature,
      predictionWeight,
      teacherWeight,
    } = this.config.schedule;
    const { gridFreq } = patchGrid(this.config);
    return tf.tidy(() => {
      const { context, ids } = this.sliceTensors(batch, start, size);
      const teacher = teacherWeight > 0 ? this.teacherSlice(batch.teacher!, batch, start, size) : undefined;
      const targetTeacher =
        teacherWeight > 0 ? this.teacherSlice(batch.targetTeacher!, batch, start, size) : undefined;
      const positives = tf.range(start, start + size, 1, 'int32') as tf.Tensor1D;
      const excluded = shared.excluded?.slice([start, 0], [size, shared.targets.shape[0]]);
      let contextEmbeddings: tf.Tensor | undefined;
      let predictionLoss: tf.Scalar | undefined;
      let contrastiveTerm: tf.Scalar | undefined;
      let teacherTerm: tf.Scalar | undefined;
      const { grads } = tf.variableGrads(
        () => {
          contextEmbeddings = tf.keep(encode(onlineOps, this.config, context));
          const predicted = predict(onlineOps, this.config, contextEmbeddings, ids);
          predictionLoss = tf.keep(jepaLoss(predicted, targetEmbeddings));
          let total: tf.Scalar =
            predictionWeight === 1 ? predictionLoss : tf.mul(predictionLoss, predictionWeight);
          if (varianceWeight > 0 && size >= 2) {
            total = tf.add(total, tf.mul(varianceHinge(contextEmbeddings, varianceTarget), varianceWeight));
          }
          if (contrastiveWeight > 0) {
            contrastiveTerm = tf.keep(
              contrastiveLoss(
                this.contrastiveEmbeddings(predicted),
                shared.targets,
                positives,
                excluded,
                contrastiveTemperature,
              ),
            );
            total = tf.add(total, tf.mul(contrastiveTerm, contrastiveWeight));
          }
          if (teacher && targetTeacher) {
            teacherTerm = tf.keep(
              tf.add(
                teacherLoss(contextEmbeddings, teacher, gridFreq),
                teacherLoss(predicted, targetTeacher, gridFreq),
              ),
            );
            total = tf.add(total, tf.mul(teacherTerm, teacherWeight));
          }
          return total;
        },
        variables.map(([, variable]) => variable),
      );
      for (const [name, variable] of variables) {
        const gradient = weight === 1 ? grads[variable.name] : tf.mul(grads[variable.name], weight);
        const previous = sums.get(name);
        sums.set(name, tf.keep(previous ? tf.add(previous, gradient) : gradient));
        previous?.dispose();
      }
      const embeddings = contextEmbeddings!;
      const result = {
        loss: predictionLoss!.dataSync()[0] * weight,
        contrastive: contrastiveTerm ? contrastiveTerm.dataSync()[0] * weight : 0,
        teacher: teacherTerm ? teacherTerm.dataSync()[0] * weight : 0,
        contextClips: tf.keep(tf.mean(embeddings, 1)),
        rankRows: keepRankRows ? tf.keep(tf.reshape(embeddings, [-1, this.config.dim])) : undefined,
      };
      tf.dispose([
        embeddings,
        predictionLoss!,
        ...(contrastiveTerm ? [contrastiveTerm] : []),
        ...(teacherTerm ? [teacherTerm] : []),
      ]);
      return result;
    });
  }

  private shouldMeasureRank(step: number): boolean {
    return this.lastStats === undefined || (step + 1) % Math.max(1, this.effectiveRankEvery) === 0;
  }

  private measureRank(parts: tf.Tensor[]): number {
    const rows = (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
    try {
      return effectiveRank(rows);
    } finally {
      if (parts.length > 1) rows.dispose();
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

  private checkBatch(batch: TrainBatch): void {
    const { nMels, chunkFrames } = this.config;
    const { batchSize } = batch;
    const values = batchSize * nMels * chunkFrames;
    const expected = `${values} values ([${batchSize},1,${nMels},${chunkFrames}])`;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new InputShapeError('batchSize', '>= 1', [batchSize]);
    if (batch.context.length !== values)
      throw new InputShapeError('context batch', expected, [batch.context.length]);
    if (batch.target.length !== values)
      throw new InputShapeError('target batch', expected, [batch.target.length]);
    if (batch.instrumentIds.length !== batchSize) {
      throw new InputShapeError('instrumentIds', `[${batchSize}]`, [batch.instrumentIds.length]);
    }
    if (this.config.schedule.teacherWeight > 0) {
      const { gridTime } = patchGrid(this.config);
      for (const [name, values] of [
        ['teacher', batch.teacher],
        ['targetTeacher', batch.targetTeacher],
      ] as const) {
        const length = values?.length ?? 0;
        if (length === 0 || length % (batchSize * gridTime) !== 0) {
          throw new InputShapeError(name, `[${batchSize}, ${gridTime}, channels]`, [length]);
        }
      }
    }
    const width = this.contrastiveWidth;
    if (batch.queuedNegatives && batch.queuedNegatives.length % width !== 0) {
      throw new InputShapeError('queuedNegatives', `[Q, ${width}]`, [batch.queuedNegatives.length]);
    }
    const candidates = batchSize + this.queuedCount(batch);
    if (batch.excludedNegatives && batch.excludedNegatives.length !== batchSize * candidates) {
      const expectedPairs = `[${batchSize}, ${candidates}]`;
      throw new InputShapeError('excludedNegatives', expectedPairs, [batch.excludedNegatives.length]);
    }
  }

  /** Teacher descriptors of examples `[start, start + size)`: `[size, gridTime, channels]`. */
  private teacherSlice(values: Float32Array, batch: TrainBatch, start: number, size: number): tf.Tensor3D {
    const width = values.length / batch.batchSize;
    const { gridTime } = patchGrid(this.config);
    return tf.tensor3d(values.subarray(start * width, (start + size) * width), [
      size,
      gridTime,
      width / gridTime,
    ]);
  }

  private queuedCount(batch: TrainBatch): number {
    return (batch.queuedNegatives?.length ?? 0) / this.contrastiveWidth;
  }

  private sliceTensors(
    batch: TrainBatch,
    start: number,
    size: number,
  ): { context: tf.Tensor4D; target: tf.Tensor4D; ids: tf.Tensor1D } {
    const { nMels, chunkFrames } = this.config;
    const perExample = nMels * chunkFrames;
    const shape: [number, number, number, number] = [size, 1, nMels, chunkFrames];
    const range = (data: Float32Array) => data.subarray(start * perExample, (start + size) * perExample);
    return {
      context: tf.tensor4d(range(batch.context), shape),
      target: tf.tensor4d(range(batch.target), shape),
      ids: tf.tensor1d(batch.instrumentIds.subarray(start, start + size), 'int32'),
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
