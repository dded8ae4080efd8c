/** Base class of the model package's errors; `code` is stable and safe to match on. */
export class ModelError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class MissingWeightError extends ModelError {
  constructor(name: string) {
    super('MISSING_WEIGHT', `no weight named "${name}"`);
  }
}

export class WeightShapeError extends ModelError {
  constructor(name: string, expected: readonly number[], actual: readonly number[]) {
    super('WEIGHT_SHAPE', `weight "${name}" has shape [${actual}], expected [${expected}]`);
  }
}

export class InputShapeError extends ModelError {
  constructor(what: string, expected: string, actual: readonly number[]) {
    super('INPUT_SHAPE', `${what} has shape [${actual}], expected ${expected}`);
  }
}

export class CheckpointError extends ModelError {
  constructor(message: string) {
    super('CHECKPOINT', message);
  }
}
