import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MicroBatcherHooks } from './micro-batcher.js';

/**
 * Prometheus metrics of the inference layer, registered in the registry the server owns. Each
 * graph (`encoder`, `predictor`) is a label value, so one dashboard panel shows both queues.
 */

export type GraphName = 'encoder' | 'predictor';

export interface InferenceMetrics {
  hooksFor(graph: GraphName): MicroBatcherHooks;
  setActiveProvider(provider: string): void;
}

const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const BATCH_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Reuses metrics already in the registry, so two embedders (tests, reloads) can share one. */
function registered<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createInferenceMetrics(registry: Registry): InferenceMetrics {
  const registers = [registry];
  const batchSize = registered(
    registry,
    'stemdex_inference_batch_size',
    () =>
      new Histogram({
        name: 'stemdex_inference_batch_size',
        help: 'Chunks per model call.',
        labelNames: ['graph'],
        buckets: BATCH_SIZE_BUCKETS,
        registers,
      }),
  );
  const batchSeconds = registered(
    registry,
    'stemdex_inference_batch_seconds',
    () =>
      new Histogram({
        name: 'stemdex_inference_batch_seconds',
        help: 'Duration of one model call.',
        labelNames: ['graph'],
        buckets: BATCH_SECONDS_BUCKETS,
        registers,
      }),
  );
  const failures = registered(
    registry,
    'stemdex_inference_batch_failures_total',
    () =>
      new Counter({
        name: 'stemdex_inference_batch_failures_total',
        help: 'Model calls that failed.',
        labelNames: ['graph'],
        registers,
      }),
  );
  const queueDepth = registered(
    registry,
    'stemdex_inference_queue_depth',
    () =>
      new Gauge({
        name: 'stemdex_inference_queue_depth',
        help: 'Chunks waiting for a model call.',
        labelNames: ['graph'],
        registers,
      }),
  );
  const provider = registered(
    registry,
    'stemdex_inference_provider_info',
    () =>
      new Gauge({
        name: 'stemdex_inference_provider_info',
        help: 'Execution provider running the model (value 1).',
        labelNames: ['provider'],
        registers,
      }),
  );

  return {
    hooksFor(graph) {
      return {
        onBatch({ size, durationMs, failed }) {
          batchSize.observe({ graph }, size);
          batchSeconds.observe({ graph }, durationMs / 1000);
          if (failed) failures.inc({ graph });
        },
        onQueueDepth(depth) {
          queueDepth.set({ graph }, depth);
        },
      };
    },
    setActiveProvider(name) {
      provider.reset();
      provider.set({ provider: name }, 1);
    },
  };
}
