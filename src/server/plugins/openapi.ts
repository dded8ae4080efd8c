import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SILENCE_DB } from '../../audio/chunk.js';
import { BULK_INGEST_ROUTE, ERROR_CODES } from '../errors.js';
import { zodToOpenApi } from '../zod-schema.js';

/** What a client needs to know about a code beyond its status. */
const CODE_NOTES: Partial<Record<string, string>> = {
  SILENT_AUDIO: ` — every 8 s chunk of the audio (stem upload, batch item, search mix) is below the ${DEFAULT_SILENCE_DB} dBFS RMS silence threshold, so it could never be found or would match nothing; \`details.level_dbfs\` (loudest chunk; null for digital silence) and \`details.threshold_dbfs\`. Partly silent stems are accepted: their record's \`indexed_chunks\` counts the searchable chunks.`,
  RATE_LIMITED: ` — the per-client budget counts requests, not files: to ingest many stems send them together to \`${BULK_INGEST_ROUTE}\` (many files per request); \`details\`: limit, window, retry_after_seconds, bulk_ingest.`,
};

/** OpenAPI document generated from the routes' zod schemas; UI at `/docs`, JSON at `/docs/json`. */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'stemdex',
        description:
          'Stem-JEPA musical stem compatibility search: which stems in my catalog fit this mix?\n\n' +
          'API keys (`x-api-key` or `Authorization: Bearer`) have a role (read, write, admin) and may be ' +
          'limited to some catalogs. Routes marked with a security requirement need a key whenever keys ' +
          'are configured; the other /v1 routes need a read key when the server requires keys for reads. ' +
          'A 503 means the request was not carried out: retry after `Retry-After`.\n\n' +
          'Every error is `{ "error": { "code", "message", "details"? } }`. Codes and statuses:\n\n' +
          Object.entries(ERROR_CODES)
            .map(([code, status]) => `- \`${code}\`: ${status}${CODE_NOTES[code] ?? ''}`)
            .join('\n'),
        version,
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: zodToOpenApi,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
