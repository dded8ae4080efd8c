import type { Spectrogram } from './spectrogram.js';

/**
 * Running mean and standard deviation of log-feature values (log-mel or CQT), for the dataset
 * normalisation constants (FrontEndConfig.normMean / normStd) stored with a model. Feed it
 * spectrograms computed with normMean 0 and normStd 1. Batches are merged with Chan et al.'s pairwise update in float64, so
 * the result does not depend on how the data is split and does not lose precision over millions
 * of values.
 */
export class LogMelStatistics {
  private n = 0;
  private mean = 0;
  /** Sum of squared deviations from the mean. */
  private m2 = 0;

  get count(): number {
    return this.n;
  }

  add(values: Spectrogram | Float32Array): void {
    const data = values instanceof Float32Array ? values : values.data;
    if (data.length === 0) return;
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += data[i];
    const batchMean = sum / data.length;
    let batchM2 = 0;
    for (let i = 0; i < data.length; i++) batchM2 += (data[i] - batchMean) ** 2;
    const total = this.n + data.length;
    const delta = batchMean - this.mean;
    this.m2 += batchM2 + (delta * delta * this.n * data.length) / total;
    this.mean += (delta * data.length) / total;
    this.n = total;
  }

  /** Population mean and standard deviation of everything added. */
  result(): { normMean: number; normStd: number } {
    if (this.n === 0) throw new RangeError('LogMelStatistics.result() needs at least one value');
    const normStd = Math.sqrt(this.m2 / this.n);
    // A constant input has no spread; 1 keeps the normalisation a pure shift instead of a division by 0.
    return { normMean: this.mean, normStd: normStd > 0 ? normStd : 1 };
  }
}
