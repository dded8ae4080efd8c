import * as tf from '@tensorflow/tfjs';
import type { TrainingBatch } from '../data/sampler.js';
import { clipEmbeddings, jepaLoss } from '../model/loss.js';
import type { StemJepa } from '../model/stem-jepa.js';

export interface ValidationResult {
  loss: number;
  /**
   * Retrieval among the validation examples, as in the evaluation's per-instrument galleries: the
   * share whose pooled prediction is closer to its own pooled target than to any other target of
   * the same instrument (all batches together).
   */
  recallAt1: number;
  /** recallAt1 of a random ranking: the mean of 1 / (targets of the example's instrument). */
  chanceRecallAt1: number;
  contextStd: number;
  targetStd: number;
  contextEffectiveRank: number;
}

/**
 * Loss and collapse monitors on fixed validation batches, without touching the weights. The same
 * batches are reused for the whole run so successive values are comparable.
 */
export function validate(model: StemJepa, batches: readonly TrainingBatch[]): ValidationResult {
  const { nMels, chunkFrames } = model.config;
  let loss = 0;
  const predictedClips: tf.Tensor[] = [];
  const targetClips: tf.Tensor[] = [];
  const collapse = { contextStd: 0, targetStd: 0, contextEffectiveRank: 0 };
  for (const batch of batches) {
    const shape: [number, number, number, number] = [batch.batchSize, 1, nMels, chunkFrames];
    const context = tf.tensor4d(batch.context, shape);
    const target = tf.tensor4d(batch.target, shape);
    const ids = tf.tensor1d(batch.instrumentIds, 'int32');
    const embeddings = model.embedContext(context);
    const targets = model.embedTarget(target);
    const predicted = model.predict(embeddings, ids);
    const value = jepaLoss(predicted, targets);
    loss += value.dataSync()[0];
    predictedClips.push(clipEmbeddings(predicted));
    targetClips.push(clipEmbeddings(targets));
    const monitors = model.measureCollapse(context);
    collapse.contextStd += monitors.contextStd;
    collapse.targetStd += monitors.targetStd;
    collapse.contextEffectiveRank += monitors.contextEffectiveRank;
    tf.dispose([context, target, ids, embeddings, targets, predicted, value]);
  }
  const n = batches.length;
  const examples = batches.reduce((sum, batch) => sum + batch.batchSize, 0);
  const instruments = batches.flatMap((batch) => [...batch.instrumentIds]);
  const recallAt1 = ownTargetNearest(predictedClips, targetClips, instruments) / examples;
  const sameInstrument = instruments.map((id) => instruments.filter((other) => other === id).length);
  const chanceRecallAt1 = sameInstrument.reduce((sum, count) => sum + 1 / count, 0) / examples;
  tf.dispose([...predictedClips, ...targetClips]);
  return {
    loss: loss / n,
    recallAt1,
    chanceRecallAt1,
    contextStd: collapse.contextStd / n,
    targetStd: collapse.targetStd / n,
    contextEffectiveRank: collapse.contextEffectiveRank / n,
  };
}

/** How many predictions have their own target as the nearest (cosine) target of their instrument. */
function ownTargetNearest(predicted: tf.Tensor[], targets: tf.Tensor[], instruments: number[]): number {
  const similarity = tf.tidy(() => tf.matMul(tf.concat(predicted, 0), tf.concat(targets, 0), false, true));
  const rows = similarity.arraySync() as number[][];
  similarity.dispose();
  let hits = 0;
  rows.forEach((row, i) => {
    let best = i;
    row.forEach((value, j) => {
      if (instruments[j] === instruments[i] && value > row[best]!) best = j;
    });
    if (best === i) hits++;
  });
  return hits;
}
