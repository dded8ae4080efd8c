import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MetadataFilter } from '../../index/types.js';
import type { Instrument } from '../../instruments.js';
import { canAccessCatalog, readableCatalogs, requireCatalogAccess } from '../catalog-access.js';
import { findCompatibleStems } from '../compatibility-search.js';
import { type AppContext, uploadLimits } from '../context.js';
import { ApiError } from '../errors.js';
import { type FormFields, readBufferedForm } from '../multipart.js';
import type { StemEmbedding } from '../ports.js';
import {
  CatalogName,
  CompatibleResponse,
  compatibleJson,
  ErrorResponse,
  InstrumentName,
  listField,
  parseOrThrow,
  requireInstrument,
  singleField,
} from '../schemas.js';
import type { ZodRouteSchema } from '../zod-schema.js';

export const MAX_K = 100;

const K = z.coerce.number().int().min(1).max(MAX_K).default(10);
const Bpm = z.coerce.number().positive().max(1000);

const FilterFields = {
  catalog: CatalogName.optional(),
  tags: z.array(z.string().min(1).max(100)).max(20).optional().describe('Stems must carry every tag'),
  key: z.string().min(1).max(32).optional(),
  bpm_min: Bpm.optional(),
  bpm_max: Bpm.optional(),
};

const SearchFilters = z.object({ k: K, ...FilterFields });

const SearchForm = z.object({
  file: z.any().describe('The mix (context) audio'),
  instrument: InstrumentName.describe('The instrument of the stems wanted'),
  k: z.string().optional().describe(`Results wanted, 1-${MAX_K} (default 10)`),
  catalog: z.string().optional(),
  tags: z.string().optional().describe('Comma-separated, or repeat the field'),
  key: z.string().optional(),
  bpm_min: z.string().optional(),
  bpm_max: z.string().optional(),
});

const searchSchema: ZodRouteSchema = {
  summary: 'Which catalog stems of an instrument fit this mix? Ranked, with the best chunk and offset',
  tags: ['search'],
  multipart: SearchForm,
  response: {
    200: CompatibleResponse,
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    413: ErrorResponse,
    422: ErrorResponse,
    503: ErrorResponse,
  },
};

const CompatibleBody = z.object({ instrument: InstrumentName, ...SearchFilters.shape });
const IdParams = z.object({ id: z.string().min(1).max(200) });

const compatibleSchema: ZodRouteSchema = {
  summary: 'Stems of an instrument that fit an already-ingested stem, used as the context',
  tags: ['search'],
  params: IdParams,
  body: CompatibleBody,
  response: {
    200: CompatibleResponse,
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    404: ErrorResponse,
    503: ErrorResponse,
  },
};

type Filters = z.infer<typeof SearchFilters>;

function metadataFilter(filters: Filters): MetadataFilter | undefined {
  const filter: MetadataFilter = {};
  if (filters.tags !== undefined && filters.tags.length > 0) filter.tags = filters.tags;
  if (filters.key !== undefined) filter.key = filters.key;
  if (filters.bpm_min !== undefined) filter.bpmMin = filters.bpm_min;
  if (filters.bpm_max !== undefined) filter.bpmMax = filters.bpm_max;
  if (filter.bpmMin !== undefined && filter.bpmMax !== undefined && filter.bpmMin > filter.bpmMax) {
    throw new ApiError('VALIDATION_FAILED', 'bpm_min must not exceed bpm_max');
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

function filtersFromForm(fields: FormFields): Filters {
  return parseOrThrow(
    SearchFilters,
    {
      k: singleField(fields, 'k'),
      catalog: singleField(fields, 'catalog'),
      tags: listField(fields, 'tags'),
      key: singleField(fields, 'key'),
      bpm_min: singleField(fields, 'bpm_min'),
      bpm_max: singleField(fields, 'bpm_max'),
    },
    'search filters',
  );
}

/**
 * The catalogs a search may return stems from: the one asked for (if the key may read it; 403
 * otherwise), else every catalog the key may read. Checked before the expensive embedding.
 */
function searchScope(request: FastifyRequest, filters: Filters): SearchScope {
  if (filters.catalog !== undefined) {
    requireCatalogAccess(request, filters.catalog, 'read');
    return { catalog: filters.catalog };
  }
  return { catalogs: readableCatalogs(request) };
}

interface SearchScope {
  catalog?: string;
  catalogs?: string[];
}

async function respond(
  ctx: AppContext,
  scope: SearchScope,
  context: StemEmbedding,
  instrument: Instrument,
  filters: Filters,
  excludeStemIds?: string[],
) {
  const results = await findCompatibleStems(ctx.catalog, ctx.model.geometry, {
    chunks: context.chunks,
    instrument,
    k: filters.k,
    catalog: scope.catalog,
    catalogs: scope.catalogs,
    filter: metadataFilter(filters),
    excludeStemIds,
  });
  return {
    results: compatibleJson(results),
    query: { duration_seconds: context.durationSeconds, chunks: context.chunks.length, instrument },
  };
}

export function registerSearchRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/v1/search', { schema: searchSchema }, async (request) => {
    const { fields, files } = await readBufferedForm(request, uploadLimits(ctx.config));
    if (files.length !== 1) {
      throw new ApiError('MISSING_FILE', 'send exactly one mix audio file in the form', {
        files: files.length,
      });
    }
    const instrument = requireInstrument(singleField(fields, 'instrument'));
    const filters = filtersFromForm(fields);
    metadataFilter(filters); // rejects a bad bpm range before the expensive embedding
    const scope = searchScope(request, filters);
    const context = await ctx.model.embedQuery(files[0].data, instrument, {
      maxDurationSeconds: ctx.config.maxAudioSeconds,
    });
    return respond(ctx, scope, context, instrument, filters);
  });

  app.post('/v1/stems/:id/compatible', { schema: compatibleSchema }, async (request) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    const body = request.body as z.infer<typeof CompatibleBody>;
    const instrument = requireInstrument(body.instrument);
    metadataFilter(body); // rejects a bad bpm range before the expensive prediction
    const scope = searchScope(request, body);
    const stem = await ctx.catalog.getStem(id);
    if (stem === null || !canAccessCatalog(request, stem.catalog, 'read')) {
      throw new ApiError('NOT_FOUND', `stem ${id} does not exist`);
    }
    const chunks = await ctx.catalog.getChunks(id);
    const context = await ctx.model.predictFromPatchEmbeddings(chunks, instrument);
    return respond(ctx, scope, { ...context, durationSeconds: stem.durationSeconds }, instrument, body, [id]);
  });
}
