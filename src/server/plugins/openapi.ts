import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../errors.js';
import { zodToOpenApi } from '../zod-schema.js';

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
            .map(([code, status]) => `- \`${code}\`: ${status}`)
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
