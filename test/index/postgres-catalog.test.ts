import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPostgresCatalog } from '../../src/index/postgres/index.js';
import { type PgliteServer, startPgliteServer, uniqueSchema } from '../helpers/pglite-server.js';
import { describeCatalogContract } from './catalog-contract.js';

let server: PgliteServer;

// One server for the file (PGlite's start-up dominates); each test gets its own schema.
beforeAll(async () => {
  server = await startPgliteServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describeCatalogContract('postgres (PGlite + pgvector over the wire protocol)', {
  annTombstones: false,
  async workspace() {
    const schema = uniqueSchema('contract');
    return {
      open: (model) =>
        openPostgresCatalog({
          connectionString: server.url,
          schema,
          replicaId: 'test-replica',
          poolSize: 2,
          ...model,
        }),
      async remove() {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
});
