import * as tf from '@tensorflow/tfjs';

/** Divides each vector along the last axis by its L2 norm (epsilon keeps zero vectors finite). */
export function l2Normalise<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), tf.scalar(1e-12))))) as T;
}

/**
 * Stem-JEPA objective: squared distance between L2-normalised predicted and target patch
 * embeddings, summed over channels and averaged over patches and batch. Equals `2 - 2 cos`
 * per patch, so it lies in [0, 4] and is 0 only when every prediction points at its target.
 */
export function jepaLoss(predicted: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const difference = tf.sub(l2Normalise(predicted), l2Normalise(target));
    return tf.mean(tf.sum(tf.square(difference), -1));
  });
}

/**
 * VICReg-style variance hinge on clip embeddings: patch embeddings `[B, N, D]` are averaged over
 * patches and L2-normalised, and every channel whose standard deviation across the batch is below
 * `target` is penalised linearly. Zero when the batch is spread out, up to `target` when collapsed.
 */
export function varianceHinge(embeddings: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => {
    const clips = l2Normalise(tf.mean(embeddings, 1));
    const { variance } = tf.moments(clips, 0);
    const std = tf.sqrt(tf.add(variance, tf.scalar(1e-8)));
    return tf.mean(tf.relu(tf.sub(tf.scalar(target), std)));
  });
}

/**
 * What retrieval compares: each patch L2-normalised, averaged over patches, normalised again
 * (the same pooling as `src/inference/pooling.ts`). `[B, N, D]` → `[B, D]`.
 */
export function clipEmbeddings(patches: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => l2Normalise(tf.mean(l2Normalise(patches), 1)) as tf.Tensor2D);
}

/**
 * InfoNCE between pooled predictions `[b, D]` and the pooled targets of the whole batch `[B, D]`:
 * prediction i should be closer (cosine / temperature) to target `positives[i]` than to every
 * other target. `excluded[i, j] = 1` removes target j from prediction i's candidates — crops of
 * the same stem that overlap in time are not negatives, they are near-copies of the positive.
 */
export function contrastiveLoss(
  predicted: tf.Tensor2D,
  targets: tf.Tensor2D,
  positives: tf.Tensor1D,
  excluded: tf.Tensor2D | undefined,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    let logits = tf.div(tf.matMul(predicted, targets, false, true), tf.scalar(temperature));
    if (excluded) logits = tf.sub(logits, tf.mul(excluded, tf.scalar(1e4)));
    const labels = tf.oneHot(positives, targets.shape[0]);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  });
}
