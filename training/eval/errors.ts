/** Typed evaluation errors, each with a stable `code` so scripts can tell failures apart. */

/** `--model <dir>` has no exported model (manifest + graphs) to evaluate. */
export class ModelNotFoundError extends Error {
  readonly code = 'EVAL_MODEL_NOT_FOUND';
  constructor(readonly modelDir: string) {
    super(
      `no model in ${modelDir} (expected manifest.json, encoder.onnx and predictor.onnx): ` +
        'train and export one, or pass --model <dir> (e.g. the dev model in .cache/dev-model)',
    );
    this.name = 'ModelNotFoundError';
  }
}

/** The model's manifest does not fit what the evaluation feeds it. */
export class ModelContractError extends Error {
  readonly code = 'EVAL_MODEL_CONTRACT';
  constructor(message: string) {
    super(message);
    this.name = 'ModelContractError';
  }
}

/** The corpus split has nothing to evaluate. */
export class EmptySplitError extends Error {
  readonly code = 'EVAL_EMPTY_SPLIT';
  constructor(
    /** The corpus folder, or a description of the songs that were tried. */
    readonly where: string,
    readonly split: string,
  ) {
    super(
      `split "${split}" (${where}) has no songs with an audible stem to query (generate some with npm run corpus)`,
    );
    this.name = 'EmptySplitError';
  }
}
