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
