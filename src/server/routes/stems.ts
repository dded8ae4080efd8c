import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ingestStem } from '../../ingest/ingest-stem.js';
import {
  canAccessCatalog,
  isCatalogScoped,
  readableCatalogs,
  requireCatalogAccess,
} from '../catalog-access.js';
import { type AppContext, uploadLimits } from '../context.js';
import { ApiError } from '../errors.js';
import { readBufferedForm } from '../multipart.js';
import {
  CatalogName,
  ErrorResponse,
  ExternalId,
  InstrumentName,
  metadataFromForm,
  parseOrThrow,
  requireInstrument,
  StemResponse,
  singleField,
  stemJson,
} from '../schemas.js';
import type { ZodRouteSchema } from '../zod-schema.js';

const WRITE_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

const StemUploadForm = z.object({
  file: z.any().describe('The stem audio (WAV, FLAC, MP3 or Ogg Vorbis)'),
  instrument: InstrumentName,
  external_id: ExternalId.optional().describe('Your id; uploading the same id again replaces the stem'),
  catalog: CatalogName.optional().describe('Catalog / namespace (default: "default")'),
  metadata: z.string().optional().describe('JSON object with any metadata'),
  title: z.string().optional(),
  tags: z.string().optional().describe('Comma-separated, or repeat the field'),
  key: z.string().optional(),
  bpm: z.string().optional(),
});

// 201 answers a new stem; 200 an upload that replaced the stem with the same catalog + external_id.
const ReplacedStemResponse = StemResponse.extend({
  replaced: z.object({
    previous_instrument: InstrumentName,
    instrument_changed: z.boolean(),
  }),
}).describe(
  'The upload replaced the stem with the same catalog and external_id (same id); `replaced` says whether the instrument changed',
);

const createSchema: ZodRouteSchema = {
  summary: 'Upload one stem: embed it and add it to the catalog (upsert by external_id)',
  description:
    '422 SILENT_AUDIO when every 8 s chunk is below the silence threshold (nothing could ever match it; ' +
    'details: level_dbfs, threshold_dbfs). A partly silent stem is stored whole; indexed_chunks says how many chunks are searchable.',
  tags: ['stems'],
  security: WRITE_SECURITY,
  multipart: StemUploadForm,
  response: {
    200: ReplacedStemResponse,
    201: StemResponse,
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    413: ErrorResponse,
    422: ErrorResponse,
    503: ErrorResponse,
  },
};

const IdParams = z.object({ id: z.string().min(1).max(200) });

const getSchema: ZodRouteSchema = {
  summary: 'One stem by id',
  tags: ['stems'],
  params: IdParams,
  response: { 200: StemResponse, 401: ErrorResponse, 404: ErrorResponse },
};

const ListQuery = z.object({
  catalog: CatalogName.optional(),
  instrument: InstrumentName.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(2000).optional().describe('next_cursor from the previous page'),
});

const listSchema: ZodRouteSchema = {
  summary:
    'List stems in ingestion order (oldest first), filtered by catalog and instrument, with cursor pagination',
  tags: ['stems'],
  querystring: ListQuery,
  response: {
    200: z.object({ items: z.array(StemResponse), next_cursor: z.string().nullable() }),
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
  },
};

const audioSchema: ZodRouteSchema = {
  summary: "A stem's original audio, as uploaded (WAV, FLAC, MP3 or Ogg Vorbis)",
  description:
    'Served with the media type of the uploaded container. AUDIO_NOT_AVAILABLE: the stem exists but its ' +
    'audio was not kept (ingested before audio was kept, or on another replica without a shared data dir).',
  tags: ['stems'],
  params: IdParams,
  response: {
    200: {
      description: 'The audio bytes, with the media type of the uploaded container',
      content: Object.fromEntries(
        ['audio/wav', 'audio/flac', 'audio/mpeg', 'audio/ogg'].map((type) => [
          type,
          { schema: { type: 'string', format: 'binary' } },
        ]),
      ),
    },
    404: ErrorResponse,
  },
};

const deleteSchema: ZodRouteSchema = {
  summary: 'Delete a stem (removed from search at once; index space reclaimed by compaction)',
  tags: ['stems'],
  security: WRITE_SECURITY,
  params: IdParams,
  response: { 204: z.null(), 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
};

export function registerStemRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/v1/stems', { schema: createSchema, config: { write: true } }, async (request, reply) => {
    const { fields, files } = await readBufferedForm(request, uploadLimits(ctx.config));
    if (files.length !== 1) {
      throw new ApiError('MISSING_FILE', 'send exactly one audio file in the form', { files: files.length });
    }
    const instrument = requireInstrument(singleField(fields, 'instrument'));
    const catalog = parseOrThrow(CatalogName, singleField(fields, 'catalog') ?? 'default', 'catalog');
    requireCatalogAccess(request, catalog, 'write');
    const externalIdField = singleField(fields, 'external_id');
    const externalId =
      externalIdField === undefined ? null : parseOrThrow(ExternalId, externalIdField, 'external_id');
    const metadata = metadataFromForm(fields);
    // Read before the upsert to tell a replacement from a new stem; concurrent uploads of the same
    // external id may both see "new", which only affects this status code, never the stored data.
    const previous = externalId === null ? null : await ctx.catalog.getStemByExternalId(catalog, externalId);
    const stem = await ingestStem(
      {
        model: ctx.model,
        catalog: ctx.catalog,
        maxAudioSeconds: ctx.config.maxAudioSeconds,
        audio: ctx.audio,
      },
      files[0].data,
      { catalog, externalId, instrument, metadata },
    );
    request.log.info(
      { stemId: stem.id, chunks: stem.chunkCount, replaced: previous !== null },
      'stem ingested',
    );
    if (previous === null) return reply.code(201).send(stemJson(stem));
    return reply.code(200).send({
      ...stemJson(stem),
      replaced: {
        previous_instrument: previous.instrument,
        instrument_changed: previous.instrument !== instrument,
      },
    });
  });

  app.get('/v1/stems/:id', { schema: getSchema }, async (request) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    const stem = await ctx.catalog.getStem(id);
    // A stem in a catalog the key may not read is as absent as one that does not exist.
    if (stem === null || !canAccessCatalog(request, stem.catalog, 'read')) {
      throw new ApiError('NOT_FOUND', `stem ${id} does not exist`);
    }
    return stemJson(stem);
  });

  app.get('/v1/stems', { schema: listSchema }, async (request) => {
    const query = request.query as z.infer<typeof ListQuery>;
    if (query.catalog !== undefined) requireCatalogAccess(request, query.catalog, 'read');
    const page = await ctx.catalog.listStems({
      catalog: query.catalog,
      catalogs: readableCatalogs(request),
      instrument: query.instrument === undefined ? undefined : requireInstrument(query.instrument),
      limit: query.limit,
      cursor: query.cursor,
    });
    return { items: page.items.map(stemJson), next_cursor: page.nextCursor };
  });

  app.get('/v1/stems/:id/audio', { schema: audioSchema }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    const stem = await ctx.catalog.getStem(id);
    if (stem === null || !canAccessCatalog(request, stem.catalog, 'read')) {
      throw new ApiError('NOT_FOUND', `stem ${id} does not exist`);
    }
    const audio = await ctx.audio.locate(stem.id);
    if (audio === null) throw new ApiError('AUDIO_NOT_AVAILABLE', `the audio of stem ${id} is not kept here`);
    // An upsert replaces the audio under the same id, so caches must revalidate (by updated_at).
    return reply
      .header('content-type', audio.contentType)
      .header('content-length', audio.size)
      .header('cache-control', 'no-cache')
      .header('last-modified', new Date(stem.updatedAt).toUTCString())
      .send(createReadStream(audio.path));
  });

  app.delete('/v1/stems/:id', { schema: deleteSchema, config: { write: true } }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    if (isCatalogScoped(request)) {
      const stem = await ctx.catalog.getStem(id);
      if (stem === null || !canAccessCatalog(request, stem.catalog, 'read')) {
        throw new ApiError('NOT_FOUND', `stem ${id} does not exist`);
      }
      requireCatalogAccess(request, stem.catalog, 'write');
    }
    if (!(await ctx.catalog.deleteStem(id))) throw new ApiError('NOT_FOUND', `stem ${id} does not exist`);
    await ctx.audio.remove(id);
    return reply.code(204).send();
  });
}
