/**
 * Typed inference errors. Each carries a stable `code` the HTTP layer maps to a status and shows
 * to clients; messages are for humans and may change.
 */

/** The batching queue is full; the client should retry after `retryAfterSeconds` (HTTP 503). */
export class QueueFullError extends Error {
  readonly code = 'QUEUE_FULL';
  constructor(
    readonly retryAfterSeconds: number,
    readonly queueDepth: number,
  ) {
    super(`inference queue is full (${queueDepth} chunks waiting); retry in ${retryAfterSeconds} s`);
    this.name = 'QueueFullError';
  }
}

/** Work submitted after `close()` began: the service is shutting down (HTTP 503). */
export class BatcherClosedError extends Error {
  readonly code = 'SHUTTING_DOWN';
  constructor(name: string) {
    super(`${name} batcher is closed: the service is shutting down`);
    this.name = 'BatcherClosedError';
  }
}

/** The model files are missing, corrupt, or do not fit this service's contract. */
export class ModelLoadError extends Error {
  readonly code = 'MODEL_LOAD_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** A model run failed or returned tensors of an unexpected shape (HTTP 500). */
export class InferenceError extends Error {
  readonly code = 'INFERENCE_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InferenceError';
  }
}
