/**
 * Linear probes on frozen embeddings: a multinomial logistic regression trained by full-batch
 * gradient descent on standardised features. Reported next to the majority-class accuracy, the
 * score a probe gets when the embedding carries no information about the label.
 */

export interface LabeledSet {
  features: readonly Float32Array[];
  labels: readonly number[];
}

export interface ProbeOptions {
  /** L2 penalty on the weights. */
  l2?: number;
  iterations?: number;
  learningRate?: number;
}

export interface ProbeResult {
  accuracy: number;
  majority_accuracy: number;
  train_examples: number;
  test_examples: number;
  classes: number;
}

export class SoftmaxProbe {
  private constructor(
    private readonly mean: Float64Array,
    private readonly scale: Float64Array,
    /** `[classes × (dim + 1)]`, bias last. */
    private readonly weights: Float64Array,
    readonly classes: number,
  ) {}

  static train(train: LabeledSet, classes: number, options: ProbeOptions = {}): SoftmaxProbe {
    const { l2 = 1e-3, iterations = 300, learningRate = 0.5 } = options;
    if (train.features.length === 0) throw new RangeError('probe needs at least one training example');
    const dim = train.features[0].length;
    const { mean, scale } = standardisation(train.features, dim);
    const inputs = train.features.map((x) => standardise(x, mean, scale));
    const stride = dim + 1;
    const weights = new Float64Array(classes * stride);
    const velocity = new Float64Array(weights.length);
    const gradient = new Float64Array(weights.length);
    const probabilities = new Float64Array(classes);
    for (let iteration = 0; iteration < iterations; iteration++) {
      gradient.fill(0);
      inputs.forEach((x, n) => {
        softmax(weights, x, classes, probabilities);
        probabilities[train.labels[n]] -= 1;
        for (let c = 0; c < classes; c++) {
          const error = probabilities[c];
          const row = c * stride;
          for (let d = 0; d < dim; d++) gradient[row + d] += error * x[d];
          gradient[row + dim] += error;
        }
      });
      // Heavy-ball momentum: converges in a few hundred steps on standardised inputs.
      for (let i = 0; i < weights.length; i++) {
        const penalty = i % stride === dim ? 0 : l2 * weights[i];
        velocity[i] = 0.9 * velocity[i] - learningRate * (gradient[i] / inputs.length + penalty);
        weights[i] += velocity[i];
      }
    }
    return new SoftmaxProbe(mean, scale, weights, classes);
  }

  predict(features: Float32Array): number {
    const probabilities = new Float64Array(this.classes);
    softmax(this.weights, standardise(features, this.mean, this.scale), this.classes, probabilities);
    let best = 0;
    for (let c = 1; c < this.classes; c++) if (probabilities[c] > probabilities[best]) best = c;
    return best;
  }
}

export function majorityClass(labels: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let best = labels[0];
  for (const [label, count] of counts) {
    if (count > (counts.get(best) ?? 0) || (count === counts.get(best) && label < best)) best = label;
  }
  return best;
}

/**
 * Trains on `train`, scores on `test` with `isCorrect(predicted, index)` (exact class match by
 * default), and scores the train split's majority class the same way.
 */
export function evaluateProbe(
  train: LabeledSet,
  test: LabeledSet,
  classes: number,
  options: ProbeOptions = {},
  isCorrect: (predicted: number, index: number) => boolean = (predicted, index) =>
    predicted === test.labels[index],
): ProbeResult {
  const probe = SoftmaxProbe.train(train, classes, options);
  const majority = majorityClass(train.labels);
  let correct = 0;
  let majorityCorrect = 0;
  test.features.forEach((x, index) => {
    if (isCorrect(probe.predict(x), index)) correct++;
    if (isCorrect(majority, index)) majorityCorrect++;
  });
  return {
    accuracy: correct / test.features.length,
    majority_accuracy: majorityCorrect / test.features.length,
    train_examples: train.features.length,
    test_examples: test.features.length,
    classes,
  };
}

/**
 * Log-spaced tempo classes whose centres are within ±`tolerance` of every tempo in the class, so
 * "predicted class centre within ±4 % of the true tempo" is a fair accuracy for a classifier.
 */
export class TempoBins {
  readonly count: number;
  private readonly logWidth: number;

  constructor(
    readonly minBpm: number,
    readonly maxBpm: number,
    readonly tolerance = 0.04,
  ) {
    // The widest class [lo, hi] whose centre c is within tolerance of both ends:
    // c = lo·(1 + tol) = hi·(1 − tol).
    this.logWidth = Math.log((1 + tolerance) / (1 - tolerance));
    this.count = Math.max(1, Math.ceil(Math.log(maxBpm / minBpm) / this.logWidth));
  }

  binOf(bpm: number): number {
    const bin = Math.floor(Math.log(bpm / this.minBpm) / this.logWidth);
    return Math.min(this.count - 1, Math.max(0, bin));
  }

  centre(bin: number): number {
    return this.minBpm * Math.exp(bin * this.logWidth) * (1 + this.tolerance);
  }

  /** Whether `bin`'s centre is within the tolerance of `bpm`. */
  matches(bin: number, bpm: number): boolean {
    return Math.abs(this.centre(bin) - bpm) <= this.tolerance * bpm * (1 + 1e-9);
  }
}

function standardisation(
  features: readonly Float32Array[],
  dim: number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (const x of features) for (let d = 0; d < dim; d++) mean[d] += x[d] / features.length;
  for (const x of features) for (let d = 0; d < dim; d++) scale[d] += (x[d] - mean[d]) ** 2 / features.length;
  // Constant features get scale 1 so they stay finite (and zero after centring).
  for (let d = 0; d < dim; d++) scale[d] = scale[d] > 1e-12 ? 1 / Math.sqrt(scale[d]) : 1;
  return { mean, scale };
}

function standardise(x: Float32Array, mean: Float64Array, scale: Float64Array): Float64Array {
  const out = new Float64Array(mean.length);
  for (let d = 0; d < mean.length; d++) out[d] = (x[d] - mean[d]) * scale[d];
  return out;
}

function softmax(weights: Float64Array, x: Float64Array, classes: number, out: Float64Array): void {
  const dim = x.length;
  const stride = dim + 1;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classes; c++) {
    const row = c * stride;
    let logit = weights[row + dim];
    for (let d = 0; d < dim; d++) logit += weights[row + d] * x[d];
    out[c] = logit;
    if (logit > max) max = logit;
  }
  let total = 0;
  for (let c = 0; c < classes; c++) {
    out[c] = Math.exp(out[c] - max);
    total += out[c];
  }
  for (let c = 0; c < classes; c++) out[c] /= total;
}
