/**
 * Time alignment of a catalog stem against a mix, on their timelines (one unit vector per patch
 * column, `stepSeconds` apart). A shift of `s` steps places stem column `j` under mix column
 * `j + s`: positive shifts mean the stem should start later than the mix chunk, negative earlier.
 * The score of a shift is the mean cosine over the columns that overlap; shifts that leave less
 * than `minOverlapSteps` columns overlapping are not considered, because a handful of columns can
 * match by chance.
 */

/** Default timeline step: 16-frame patches at a 10 ms hop. */
export const DEFAULT_TIMELINE_STEP_SECONDS = 0.16;

export interface AlignmentOptions {
  /** Seconds between timeline columns (patch width × hop / sample rate). */
  stepSeconds?: number;
  /** Fewest overlapping columns a shift must leave; default half the timeline. */
  minOverlapSteps?: number;
}

export interface Alignment {
  shiftSteps: number;
  shiftSeconds: number;
  /** Mean cosine similarity of the overlapping columns, in [-1, 1]. */
  score: number;
}

export function bestAlignment(
  queryTimeline: Float32Array,
  stemTimeline: Float32Array,
  gridTime: number,
  dim: number,
  maxShiftSteps: number,
  options: AlignmentOptions = {},
): Alignment {
  const expected = gridTime * dim;
  if (queryTimeline.length !== expected || stemTimeline.length !== expected) {
    throw new RangeError(
      `timelines must hold ${gridTime}×${dim} values, got ${queryTimeline.length} and ${stemTimeline.length}`,
    );
  }
  const stepSeconds = options.stepSeconds ?? DEFAULT_TIMELINE_STEP_SECONDS;
  const minOverlap = Math.max(1, Math.min(gridTime, options.minOverlapSteps ?? Math.ceil(gridTime / 2)));
  const limit = Math.max(0, Math.min(Math.floor(maxShiftSteps), gridTime - minOverlap));

  let best: Alignment = { shiftSteps: 0, shiftSeconds: 0, score: -Infinity };
  // Visit shifts nearest zero first so that ties resolve to the smallest adjustment.
  for (const shift of shiftsByDistance(limit)) {
    const score = meanColumnCosine(queryTimeline, stemTimeline, gridTime, dim, shift);
    if (score > best.score) best = { shiftSteps: shift, shiftSeconds: shift * stepSeconds, score };
  }
  return best;
}

function* shiftsByDistance(limit: number): Generator<number> {
  yield 0;
  for (let distance = 1; distance <= limit; distance++) {
    yield distance;
    yield -distance;
  }
}

function meanColumnCosine(
  query: Float32Array,
  stem: Float32Array,
  gridTime: number,
  dim: number,
  shift: number,
): number {
  const firstStemColumn = Math.max(0, -shift);
  const endStemColumn = Math.min(gridTime, gridTime - shift);
  let total = 0;
  for (let j = firstStemColumn; j < endStemColumn; j++) {
    const stemOffset = j * dim;
    const queryOffset = (j + shift) * dim;
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += stem[stemOffset + d]! * query[queryOffset + d]!;
    total += dot;
  }
  return total / (endStemColumn - firstStemColumn);
}
