import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';

export interface MetricsOptions {
  registry: Registry;
  /** Read at scrape time so the gauges never go stale. */
  indexStats: () => { stems: number; chunks: number };
}

/**
 * HTTP latency per route and catalog size, on the shared registry (the inference layer adds its
 * batch-size and queue-depth metrics to the same one), exposed at `GET /metrics`.
 */
export function installMetrics(app: FastifyInstance, { registry, indexStats }: MetricsOptions): void {
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
      this.set(indexStats().stems);
    },
  });
  new Gauge({
    name: 'stemdex_index_chunks',
    help: 'Chunk vectors in the catalog index',
    registers: [registry],
    collect() {
      this.set(indexStats().chunks);
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
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
