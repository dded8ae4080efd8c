import * as tf from '@tensorflow/tfjs';
import { l2Normalise } from './loss.js';

/**
 * Spread of clip-level embeddings across the batch: patch embeddings `[B, N, D]` are averaged
 * over patches, L2-normalised, and the per-channel standard deviation over the batch is averaged
 * over channels. A collapsed encoder (same output for every input) drives this to 0; for random
 * unit vectors it is about 1/sqrt(D).
 */
export function batchEmbeddingStd(embeddings: tf.Tensor): tf.Scalar {
  return tf.tidy(() => clipEmbeddingStd(tf.mean(embeddings, 1)));
}

/** `batchEmbeddingStd` from clip embeddings `[B, D]` already averaged over patches. */
export function clipEmbeddingStd(clips: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { variance } = tf.moments(l2Normalise(clips), 0);
    return tf.mean(tf.sqrt(variance));
  });
}

/**
 * Effective rank (Roy & Vetterli 2007) of a `[rows, columns]` matrix of embeddings, centred per
 * column: exp of the entropy of its normalised singular values. Ranges from 1 (all embeddings on
 * one line: dimensional collapse) to `columns` (spread evenly over every direction).
 */
export function effectiveRank(embeddings: tf.Tensor2D): number {
  const gram = tf.tidy(() => {
    const centred = tf.sub(embeddings, tf.mean(embeddings, 0, true));
    return tf.matMul(centred, centred, true, false);
  });
  const columns = gram.shape[0];
  const eigenvalues = symmetricEigenvalues(gram.dataSync() as Float32Array, columns);
  gram.dispose();
  const singular = eigenvalues.map((value) => Math.sqrt(Math.max(0, value)));
  const total = singular.reduce((sum, value) => sum + value, 0);
  if (total === 0) return 0;
  let entropy = 0;
  for (const value of singular) {
    const p = value / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (small matrices, double precision). */
export function symmetricEigenvalues(values: ArrayLike<number>, size: number, maxSweeps = 50): number[] {
  const a = Float64Array.from(values);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let offDiagonal = 0;
    let diagonal = 0;
    for (let i = 0; i < size; i++) {
      diagonal += a[i * size + i] ** 2;
      for (let j = i + 1; j < size; j++) offDiagonal += a[i * size + j] ** 2;
    }
    if (offDiagonal <= 1e-22 * diagonal || offDiagonal === 0) break;
    for (let p = 0; p < size - 1; p++) {
      for (let q = p + 1; q < size; q++) rotate(a, size, p, q);
    }
  }
  return Array.from({ length: size }, (_, i) => a[i * size + i]);
}

/** Zeroes a[p][q] with one Jacobi rotation applied on both sides. */
function rotate(a: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q];
  if (apq === 0) return;
  const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p];
    const akq = a[k * n + q];
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k];
    const aqk = a[q * n + k];
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
}
