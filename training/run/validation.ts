import * as tf from '@tensorflow/tfjs';
import type { TrainingBatch } from '../data/sampler.js';
import { jepaLoss } from '../model/loss.js';
import type { StemJepa } from '../model/stem-jepa.js';

export interface ValidationResult {
  loss: number;
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
    const monitors = model.measureCollapse(context);
    collapse.contextStd += monitors.contextStd;
    collapse.targetStd += monitors.targetStd;
    collapse.contextEffectiveRank += monitors.contextEffectiveRank;
    tf.dispose([context, target, ids, embeddings, targets, predicted, value]);
  }
  const n = batches.length;
  return {
    loss: loss / n,
    contextStd: collapse.contextStd / n,
    targetStd: collapse.targetStd / n,
    contextEffectiveRank: collapse.contextEffectiveRank / n,
  };
}
