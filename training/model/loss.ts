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
 * Per-time-column embeddings: each patch L2-normalised, averaged over the frequency rows of its
 * column, normalised again. `[B, gridFreq * gridTime, D]` (frequency-row-major) → `[B, gridTime, D]`.
 * Averaging these over time gives the direction of `clipEmbeddings`.
 */
export function columnEmbeddings(patches: tf.Tensor, gridFreq: number, gridTime: number): tf.Tensor3D {
  return tf.tidy(() => l2Normalise(columnMeans(l2Normalise(patches), gridFreq, gridTime)));
}

/** Patches `[B, gridFreq * gridTime, D]` (frequency-row-major) averaged per time column: `[B, gridTime, D]`. */
function columnMeans(patches: tf.Tensor, gridFreq: number, gridTime: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, , dim] = patches.shape as [number, number, number];
    return tf.mean(tf.reshape(patches, [batch, gridFreq, gridTime, dim]), 1) as tf.Tensor3D;
  });
}

/**
 * InfoNCE between predictions and the targets of the whole batch (plus any queued ones): prediction
 * i should be closer (cosine / temperature) to target `positives[i]` than to every other target.
 * Either pooled embeddings (`[b, D]` against `[C, D]`) or per-column ones (`[b, G, D]` against
 * `[C, G, D]`), where each column is contrasted only with the same column of the other targets:
 * a column's time position is then no clue, only its content is, and one example gives G
 * contrastive pairs instead of one. The loss is averaged over columns and predictions.
 * `excluded[i, j] = 1` removes target j from prediction i's candidates — crops of the same stem
 * that overlap in time are not negatives, they are near-copies of the positive.
 */
export function contrastiveLoss(
  predicted: tf.Tensor2D | tf.Tensor3D,
  targets: tf.Tensor2D | tf.Tensor3D,
  positives: tf.Tensor1D,
  excluded: tf.Tensor2D | undefined,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    const columnsFirst = (x: tf.Tensor) => (x.rank === 2 ? tf.expandDims(x, 0) : tf.transpose(x, [1, 0, 2]));
    // [G, b, D] x [G, C, D]^T → [G, b, C]
    let logits = tf.div(
      tf.matMul(columnsFirst(predicted), columnsFirst(targets), false, true),
      tf.scalar(temperature),
    );
    if (excluded) logits = tf.sub(logits, tf.mul(excluded, tf.scalar(1e4)));
    const labels = tf.oneHot(positives, targets.shape[0]);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
  });
}

/**
 * The teacher's descriptors are scaled to about unit size per channel (unit chroma spreads over 12
 * channels), like the encoder's layer-normalised channels: at their raw size they would hold about
 * 1 % of an embedding's energy and count for nothing in a cosine.
 */
const TEACHER_SCALE = 3;

/**
 * Acoustic-teacher term: the first `channels` channels of each time column of the embeddings
 * (patches averaged over the column's frequency rows, not normalised) should equal the teacher's
 * descriptors `[B, gridTime, channels]` times TEACHER_SCALE; mean squared error over all of them.
 */
export function teacherLoss(patches: tf.Tensor, teacher: tf.Tensor3D, gridFreq: number): tf.Scalar {
  return tf.tidy(() => {
    const [batch, gridTime, channels] = teacher.shape;
    const columns = columnMeans(patches, gridFreq, gridTime);
    const taught = tf.slice(columns, [0, 0, 0], [batch, gridTime, channels]);
    return tf.mean(tf.squaredDifference(taught, tf.mul(teacher, tf.scalar(TEACHER_SCALE))));
  });
}
