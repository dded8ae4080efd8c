import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DEFAULT_SILENCE_DB } from '../../audio/chunk.js';
import type { MetadataFilter } from '../../index/types.js';
import type { Instrument } from '../../instruments.js';
import { canAccessCatalog, readableCatalogs, requireCatalogAccess } from '../catalog-access.js';
import {
  findCompatibleStems,
  MAX_RESULTS,
  parseResultCount,
  RESULT_COUNT_MESSAGE,
} from '../compatibility-search.js';
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

const K_DOC = `Results wanted, 1-${MAX_RESULTS} (default 10). Capped, no further pages: scores average approximate per-chunk neighbour lists whose depth grows with k, so separately computed pages would not be consistent; narrow the search with filters instead`;
const KCheck = { error: RESULT_COUNT_MESSAGE };
const K = z.coerce
  .number(KCheck)
  .int(KCheck)
  .min(1, KCheck)
  .max(MAX_RESULTS, KCheck)
  .default(10)
  .describe(K_DOC);
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
  k: z.string().optional().describe(K_DOC),
  catalog: z.string().optional(),
  tags: z.string().optional().describe('Comma-separated, or repeat the field'),
  key: z.string().optional(),
  bpm_min: z.string().optional(),
  bpm_max: z.string().optional(),
});

const SILENT_CONTEXT =
  `422 SILENT_AUDIO when every 8 s chunk of the context is below the ${DEFAULT_SILENCE_DB} dBFS RMS silence threshold: ` +
  'silent chunks are never searched, so an empty result would not tell "nothing fits" from "nothing was heard". ' +
  'details: level_dbfs (loudest chunk, null for digital silence) and threshold_dbfs.';

const searchSchema: ZodRouteSchema = {
  summary: 'Which catalog stems of an instrument fit this mix? Ranked, with the best chunk and offset',
  description: `Silent chunks of the mix are skipped. ${SILENT_CONTEXT}`,
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
  description:
    "The stem's indexed (non-silent) chunks are the context. 422 SILENT_AUDIO when it has none " +
    '(indexed_chunks 0: possible only for stems stored before silent uploads were refused); ' +
    'details: stem_id, chunk_count, threshold_dbfs.',
  tags: ['search'],
  params: IdParams,
  body: CompatibleBody,
  response: {
    200: CompatibleResponse,
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    404: ErrorResponse,
    422: ErrorResponse,
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

/** `k` checked on its own so the message is exactly the one the CLI gives. */
function resultCountField(fields: FormFields): number | undefined {
  const value = singleField(fields, 'k');
  if (value === undefined) return undefined;
  try {
    return parseResultCount(value);
  } catch {
    throw new ApiError('VALIDATION_FAILED', RESULT_COUNT_MESSAGE, { field: 'k', max: MAX_RESULTS });
  }
}

function filtersFromForm(fields: FormFields): Filters {
  return parseOrThrow(
    SearchFilters,
    {
      k: resultCountField(fields),
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
    if (stem.indexedChunks === 0) {
      throw new ApiError(
        'SILENT_AUDIO',
        `stem ${id} has no audible chunk to search with: all ${stem.chunkCount} are below the ${DEFAULT_SILENCE_DB} dBFS silence threshold`,
        { stem_id: id, chunk_count: stem.chunkCount, threshold_dbfs: DEFAULT_SILENCE_DB },
      );
    }
    const chunks = await ctx.catalog.getChunks(id);
    const context = await ctx.model.predictFromPatchEmbeddings(chunks, instrument);
    return respond(ctx, scope, { ...context, durationSeconds: stem.durationSeconds }, instrument, body, [id]);
  });
}
