import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CatalogStats } from '../../index/types.js';
import type { AppContext } from '../context.js';
import { ErrorResponse } from '../schemas.js';
import type { ZodRouteSchema } from '../zod-schema.js';

const KEY_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

const StatsResponse = z.object({
  stems: z.number().int(),
  chunks: z.number().int(),
  index_size: z.number().int().describe('Live vectors in the ANN indexes'),
  deleted_in_index: z
    .number()
    .int()
    .describe('Deleted vectors still held by the ANN indexes until compaction'),
  by_instrument: z.record(
    z.string(),
    z.object({ stems: z.number().int(), chunks: z.number().int(), indexed: z.number().int() }),
  ),
  store_bytes: z.number().int(),
});

function statsJson(stats: CatalogStats): z.infer<typeof StatsResponse> {
  const byInstrument = Object.entries(stats.byInstrument);
  return {
    stems: stats.stems,
    chunks: stats.chunks,
    index_size: stats.indexSize,
    deleted_in_index: byInstrument.reduce((sum, [, s]) => sum + (s?.deletedInIndex ?? 0), 0),
    by_instrument: Object.fromEntries(
      byInstrument.map(([name, s]) => [
        name,
        { stems: s?.stems ?? 0, chunks: s?.chunks ?? 0, indexed: s?.indexed ?? 0 },
      ]),
    ),
    store_bytes: stats.storeBytes,
  };
}

const statsSchema: ZodRouteSchema = {
  summary: 'Catalog size: stems, chunks and index entries per instrument (all catalogs; admin key)',
  tags: ['admin'],
  security: KEY_SECURITY,
  response: { 200: StatsResponse, 401: ErrorResponse, 403: ErrorResponse },
};

const compactSchema: ZodRouteSchema = {
  summary: 'Drop deleted entries from the ANN indexes and reclaim store space, then snapshot (admin key)',
  tags: ['admin'],
  security: KEY_SECURITY,
  response: { 200: StatsResponse, 401: ErrorResponse, 403: ErrorResponse },
};

export function registerAdminRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Catalog-wide: they span every catalog, so only admin keys (never limited to catalogs) may.
  app.get('/v1/stats', { schema: statsSchema, config: { admin: true } }, async () =>
    statsJson(await ctx.catalog.stats()),
  );

  app.post('/v1/admin/compact', { schema: compactSchema, config: { admin: true } }, async (request) => {
    const before = await ctx.catalog.stats();
    await ctx.catalog.compact();
    const after = await ctx.catalog.stats();
    request.log.info({ before: before.indexSize, after: after.indexSize }, 'catalog compacted');
    return statsJson(after);
  });
}
