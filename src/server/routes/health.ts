import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ErrorResponse } from '../schemas.js';
import type { ZodRouteSchema } from '../zod-schema.js';

const HealthResponse = z.object({ status: z.literal('ok') });

const ReadyResponse = z.object({
  status: z.literal('ready'),
  model: z.object({
    id: z.string(),
    provider: z.string().describe('Active onnxruntime execution provider'),
    provider_attempts: z
      .array(z.object({ provider: z.string(), ok: z.boolean(), reason: z.string().optional() }))
      .describe('Providers tried in configured order, with the reason each skipped one failed'),
  }),
  index: z.object({ stems: z.number().int(), chunks: z.number().int(), index_size: z.number().int() }),
});

const healthSchema: ZodRouteSchema = {
  summary: 'Liveness: the process is up',
  tags: ['health'],
  response: { 200: HealthResponse },
};

const readySchema: ZodRouteSchema = {
  summary: 'Readiness: model and catalog index loaded, not shutting down',
  tags: ['health'],
  response: { 200: ReadyResponse, 503: ErrorResponse },
};

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: healthSchema, config: { rateLimit: false } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { schema: readySchema, config: { rateLimit: false } }, async () => {
    if (ctx.state.closing) throw new ApiError('NOT_READY', 'shutting down');
    const stats = await ctx.catalog.stats();
    return {
      status: 'ready' as const,
      model: {
        id: ctx.model.modelId,
        provider: ctx.model.activeProvider,
        provider_attempts: ctx.model.providerAttempts ?? [],
      },
      index: { stems: stats.stems, chunks: stats.chunks, index_size: stats.indexSize },
    };
  });
}
