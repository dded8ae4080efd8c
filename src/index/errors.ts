/**
 * Typed catalog errors. Each carries a stable `code` that the HTTP layer maps to a status and
 * exposes to clients, so callers branch on `code`, never on message text.
 */
export type CatalogErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_CURSOR'
  | 'DIMENSION_MISMATCH'
  | 'INVALID_CHUNKS'
  | 'INVALID_ARGUMENT'
  | 'MODEL_MISMATCH'
  | 'CATALOG_CLOSED'
  | 'DATA_DIR_LOCKED'
  | 'JOB_NOT_FOUND'
  | 'INVALID_JOB';

export class CatalogError extends Error {
  readonly code: CatalogErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: CatalogErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class StemNotFoundError extends CatalogError {
  constructor(stemId: string) {
    super('NOT_FOUND', `stem ${stemId} does not exist`, { stemId });
  }
}

export class InvalidCursorError extends CatalogError {
  constructor(reason: string) {
    super('INVALID_CURSOR', `invalid pagination cursor: ${reason}`);
  }
}

export class DimensionMismatchError extends CatalogError {
  constructor(what: string, expected: number, actual: number) {
    super('DIMENSION_MISMATCH', `${what} has ${actual} values, the catalog expects ${expected}`, {
      what,
      expected,
      actual,
    });
  }
}

export class InvalidChunksError extends CatalogError {
  constructor(message: string) {
    super('INVALID_CHUNKS', message);
  }
}

/** The data directory was built with another model: its vectors live in a different space. */
export class ModelMismatchError extends CatalogError {
  constructor(stored: { modelId: string; dim: number }, requested: { modelId: string; dim: number }) {
    super(
      'MODEL_MISMATCH',
      `catalog was built with model ${stored.modelId} (dim ${stored.dim}) but the service loaded ` +
        `${requested.modelId} (dim ${requested.dim}); use another data directory or re-ingest`,
      { stored, requested },
    );
  }
}

export class CatalogClosedError extends CatalogError {
  constructor() {
    super('CATALOG_CLOSED', 'the catalog has been closed');
  }
}

/** Another process (or another open catalog in this one) holds the data directory. */
export class DataDirLockedError extends CatalogError {
  constructor(dataDir: string) {
    super('DATA_DIR_LOCKED', `data directory ${dataDir} is in use by another catalog (a running server?)`, {
      dataDir,
    });
  }
}

export class JobNotFoundError extends CatalogError {
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `job ${jobId} does not exist`, { jobId });
  }
}

export class InvalidJobError extends CatalogError {
  constructor(message: string) {
    super('INVALID_JOB', message);
  }
}

export class InvalidArgumentError extends CatalogError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
