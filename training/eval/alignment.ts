import type { PatchGrid } from '../../src/inference/pooling.js';

/**
 * Temporal alignment of predictions: the mean cosine similarity between the predicted and the
 * true target time sequences (patch embeddings averaged over frequency, one step per patch
 * column) when the target is shifted by −maxShift … +maxShift steps. A predictor that models
 * *when* the missing stem plays peaks at shift 0.
 */
export interface AlignmentCurve {
  /** Shift in patch columns; positive compares prediction step t with target step t + shift. */
  shiftSteps: number[];
  shiftSeconds: number[];
  meanCosine: number[];
  /** Pairs of sequences averaged into each point. */
  pairs: number;
  /** Shift (seconds) of the highest point. */
  peakShiftSeconds: number;
}

export class AlignmentAccumulator {
  private readonly sums: Float64Array;
  private pairs = 0;

  constructor(
    private readonly grid: PatchGrid,
    /** Largest shift in steps; must leave at least one overlapping step. */
    readonly maxShift: number,
    /** Duration of one patch column in seconds. */
    readonly stepSeconds: number,
  ) {
    if (maxShift >= grid.gridTime)
      throw new RangeError(`shift ${maxShift} leaves no overlap in ${grid.gridTime} steps`);
    this.sums = new Float64Array(2 * maxShift + 1);
  }

  /**
   * Adds one (prediction, target) pair of timelines: `[gridTime × D]`, unit-length rows, as
   * `poolPatches` returns them.
   */
  add(predicted: Float32Array, target: Float32Array): void {
    const curve = shiftedSimilarity(predicted, target, this.grid.gridTime, this.grid.dim, this.maxShift);
    for (let i = 0; i < curve.length; i++) this.sums[i] += curve[i];
    this.pairs++;
  }

  curve(): AlignmentCurve {
    const shiftSteps = Array.from(this.sums, (_, i) => i - this.maxShift);
    const meanCosine = Array.from(this.sums, (sum) => (this.pairs > 0 ? sum / this.pairs : Number.NaN));
    let peak = 0;
    for (let i = 1; i < meanCosine.length; i++) if (meanCosine[i] > meanCosine[peak]) peak = i;
    const shiftSeconds = shiftSteps.map((step) => round(step * this.stepSeconds));
    return { shiftSteps, shiftSeconds, meanCosine, pairs: this.pairs, peakShiftSeconds: shiftSeconds[peak] };
  }
}

/**
 * For each shift s in [−maxShift, maxShift]: the mean over the overlapping steps t of
 * cos(a[t], b[t + s]), for sequences of unit-length rows.
 */
export function shiftedSimilarity(
  a: Float32Array,
  b: Float32Array,
  steps: number,
  dim: number,
  maxShift: number,
): Float64Array {
  const curve = new Float64Array(2 * maxShift + 1);
  for (let shift = -maxShift; shift <= maxShift; shift++) {
    let sum = 0;
    let count = 0;
    for (let t = Math.max(0, -shift); t < Math.min(steps, steps - shift); t++) {
      const aOffset = t * dim;
      const bOffset = (t + shift) * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += a[aOffset + d] * b[bOffset + d];
      sum += dot;
      count++;
    }
    curve[shift + maxShift] = sum / count;
  }
  return curve;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
