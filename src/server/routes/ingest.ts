import { basename, extname } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { JobItemInput, JobRecord } from '../../index/types.js';
import { resolveUnderRoot } from '../../ingest/safe-path.js';
import { Staging } from '../../ingest/staging.js';
import { canAccessCatalog, isCatalogScoped, requireCatalogAccess } from '../catalog-access.js';
import { type AppContext, uploadLimits } from '../context.js';
import { ApiError } from '../errors.js';
import { readStagedForm } from '../multipart.js';
import {
  CatalogName,
  ErrorResponse,
  ExternalId,
  InstrumentName,
  MetadataSchema,
  metadataFromForm,
  parseOrThrow,
  requireInstrument,
  singleField,
} from '../schemas.js';
import type { ZodRouteSchema } from '../zod-schema.js';

const WRITE_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];
const ExternalIdFrom = z.enum(['none', 'filename']);

const IngestForm = z.object({
  files: z.array(z.any()).describe('Audio files (any field name; repeat for many)'),
  instrument: InstrumentName.describe('Instrument of every file'),
  catalog: z.string().optional(),
  external_id_from: ExternalIdFrom.optional().describe(
    '"filename": external id = file name without extension',
  ),
  metadata: z.string().optional().describe('JSON object applied to every stem'),
});

const ManifestItem = z.object({
  path: z.string().min(1).max(4096).describe('Relative to the server ingest root'),
  instrument: InstrumentName.optional(),
  external_id: ExternalId.optional(),
  catalog: CatalogName.optional(),
  metadata: MetadataSchema.optional(),
});

const IngestManifest = z.object({
  instrument: InstrumentName.optional().describe('Default for items without one'),
  catalog: CatalogName.optional().describe('Default for items without one'),
  external_id_from: ExternalIdFrom.optional(),
  metadata: MetadataSchema.optional().describe('Defaults merged under each item’s metadata'),
  items: z.array(ManifestItem).min(1),
});

const JobResponse = z.object({
  id: z.string(),
  state: z.enum(['pending', 'running', 'completed']),
  totals: z.object({
    total: z.number().int(),
    pending: z.number().int(),
    running: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
  }),
  errors: z.array(
    z.object({ position: z.number().int(), file: z.string(), code: z.string(), message: z.string() }),
  ),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});

const ingestSchema: ZodRouteSchema = {
  summary: 'Batch ingestion: many files in one multipart request, or a JSON manifest of server-side files',
  description:
    'Returns 202 with a job id once every file is durably staged. Send multipart/form-data (files + fields) ' +
    'or application/json (manifest, needs STEMDEX_INGEST_ROOT). Poll GET /v1/jobs/{id}. One request counts once ' +
    'against the rate limit however many files it carries: the way to ingest a catalog. A file that cannot be ' +
    'ingested fails alone, with its code in the job errors (e.g. INVALID_AUDIO, SILENT_AUDIO).',
  tags: ['ingest'],
  security: WRITE_SECURITY,
  multipart: IngestForm,
  response: {
    202: JobResponse,
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    413: ErrorResponse,
  },
};

const IdParams = z.object({ id: z.string().min(1).max(200) });

const jobSchema: ZodRouteSchema = {
  summary: 'Progress, totals and per-file errors of a batch-ingestion job',
  tags: ['ingest'],
  params: IdParams,
  response: { 200: JobResponse, 401: ErrorResponse, 404: ErrorResponse },
};

export function jobJson(job: JobRecord) {
  return {
    id: job.id,
    state: job.state,
    totals: job.totals,
    errors: job.errors.map((error) => ({
      position: error.position,
      file: error.source.filename ?? error.source.path,
      code: error.code,
      message: error.message,
    })),
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
  };
}

function externalIdFor(mode: z.infer<typeof ExternalIdFrom>, filename: string): string | null {
  if (mode === 'none') return null;
  const stem = basename(filename, extname(filename));
  return parseOrThrow(ExternalId, stem, `external id from file name ${JSON.stringify(filename)}`);
}

async function stagedUploadItems(request: FastifyRequest, ctx: AppContext, staging: Staging) {
  const dir = staging.newUploadDir();
  try {
    const { fields, files } = await readStagedForm(
      request,
      uploadLimits(ctx.config, ctx.config.maxFilesPerRequest),
      dir,
    );
    if (files.length === 0) throw new ApiError('MISSING_FILE', 'the form carries no audio file');
    const instrument = requireInstrument(singleField(fields, 'instrument'));
    const catalog = parseOrThrow(CatalogName, singleField(fields, 'catalog') ?? 'default', 'catalog');
    requireCatalogAccess(request, catalog, 'write');
    const mode = parseOrThrow(
      ExternalIdFrom,
      singleField(fields, 'external_id_from') ?? 'none',
      'external_id_from',
    );
    const metadata = metadataFromForm(fields);
    const items: JobItemInput[] = files.map((file) => ({
      source: { type: 'staged', path: file.path, filename: file.filename },
      instrument,
      catalog,
      externalId: externalIdFor(mode, file.filename),
      metadata,
    }));
    await staging.makeDurable(
      dir,
      files.map((file) => file.path),
    );
    return { items, dir };
  } catch (error) {
    await staging.discard(dir);
    throw error;
  }
}

async function manifestItems(request: FastifyRequest, ctx: AppContext): Promise<JobItemInput[]> {
  const root = ctx.config.ingestRoot;
  if (root === null) {
    throw new ApiError('PATH_NOT_ALLOWED', 'manifest ingestion is disabled: STEMDEX_INGEST_ROOT is not set');
  }
  const manifest = parseOrThrow(IngestManifest, request.body, 'ingest manifest');
  if (manifest.items.length > ctx.config.maxFilesPerRequest) {
    throw new ApiError(
      'TOO_MANY_FILES',
      `a manifest may list at most ${ctx.config.maxFilesPerRequest} files`,
    );
  }
  const mode = manifest.external_id_from ?? 'none';
  // Every catalog first: a job is accepted whole or not at all.
  for (const item of manifest.items) {
    requireCatalogAccess(request, item.catalog ?? manifest.catalog ?? 'default', 'write');
  }
  const items: JobItemInput[] = [];
  for (const item of manifest.items) {
    // Checked now so the client hears about bad paths at once; re-checked when the item runs.
    await resolveUnderRoot(root, item.path);
    items.push({
      source: { type: 'server', path: item.path, filename: item.path },
      instrument: requireInstrument(item.instrument ?? manifest.instrument),
      catalog: item.catalog ?? manifest.catalog ?? 'default',
      externalId: item.external_id ?? externalIdFor(mode, item.path),
      metadata: { ...manifest.metadata, ...item.metadata },
    });
  }
  return items;
}

/** A key limited to some catalogs sees a job only if it may read every catalog the job writes to. */
async function mayReadJob(request: FastifyRequest, ctx: AppContext, jobId: string): Promise<boolean> {
  if (!isCatalogScoped(request)) return true;
  const catalogs = new Set((await ctx.catalog.jobs.listItems(jobId)).map((item) => item.catalog));
  return [...catalogs].every((catalog) => canAccessCatalog(request, catalog, 'read'));
}

export function registerIngestRoutes(app: FastifyInstance, ctx: AppContext): void {
  const staging = new Staging(`${ctx.config.dataDir}/staging`);

  app.post('/v1/ingest', { schema: ingestSchema, config: { write: true } }, async (request, reply) => {
    let job: JobRecord;
    if (request.isMultipart()) {
      const { items, dir } = await stagedUploadItems(request, ctx, staging);
      try {
        job = await ctx.ingest.submit(items);
      } catch (error) {
        await staging.discard(dir);
        throw error;
      }
    } else {
      job = await ctx.ingest.submit(await manifestItems(request, ctx));
    }
    request.log.info({ jobId: job.id, files: job.totals.total }, 'ingestion job accepted');
    return reply.code(202).header('location', `/v1/jobs/${job.id}`).send(jobJson(job));
  });

  app.get('/v1/jobs/:id', { schema: jobSchema }, async (request) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    const job = await ctx.catalog.jobs.getJob(id);
    if (job === null || !(await mayReadJob(request, ctx, id))) {
      throw new ApiError('NOT_FOUND', `job ${id} does not exist`);
    }
    return jobJson(job);
  });
}
