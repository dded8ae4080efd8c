import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface MetricsOptions {
  registry: Registry;
  /** Read at each scrape, so the catalog gauges never go stale. */
  catalogStats: () => Promise<{ stems: number; chunks: number; indexSize: number }>;
}

/**
 * HTTP latency per route and catalog size, on the shared registry (the inference layer adds its
 * batch-size and queue-depth metrics to the same one), exposed at `GET /metrics`.
 */
export function installMetrics(app: FastifyInstance, { registry, catalogStats }: MetricsOptions): void {
  // Gauge `collect` callbacks are synchronous, so the scrape handler refreshes this first.
  let stats = { stems: 0, chunks: 0, indexSize: 0 };
  const latency = new Histogram({
    name: 'stemdex_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'stemdex_index_stems',
    help: 'Stems in the catalog',
    registers: [registry],
    collect() {
      this.set(stats.stems);
    },
  });
  new Gauge({
    name: 'stemdex_index_chunks',
    help: 'Chunks stored in the catalog (silent ones included)',
    registers: [registry],
    collect() {
      this.set(stats.chunks);
    },
  });
  new Gauge({
    name: 'stemdex_index_vectors',
    help: 'Live vectors in the ANN indexes',
    registers: [registry],
    collect() {
      this.set(stats.indexSize);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label so scanners cannot blow up the label cardinality.
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    const { stems, chunks, indexSize } = await catalogStats();
    stats = { stems, chunks, indexSize };
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
