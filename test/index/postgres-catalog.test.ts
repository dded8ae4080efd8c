import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogStore, JobItemInput } from '../../src/index/index.js';
import { isPostgresUrl, openPostgresCatalog, parsePostgresStore } from '../../src/index/postgres/index.js';
import { type PgliteServer, startTestPostgres, uniqueSchema } from '../helpers/pglite-server.js';
import { describeCatalogContract } from './catalog-contract.js';
import { DIM, randomStem, seededRandom } from './fixtures.js';

let server: PgliteServer;

// One server for the file (PGlite's start-up dominates); each test gets its own schema.
beforeAll(async () => {
  server = await startTestPostgres();
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

async function sql(text: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

function item(type: 'staged' | 'server', n: number): JobItemInput {
  return {
    source: { type, path: `/data/${type}/${n}.wav` },
    instrument: 'bass',
    catalog: 'c',
    externalId: `${type}-${n}`,
    metadata: {},
  };
}

describe('postgres job queue shared by replicas', () => {
  const schema = uniqueSchema('queue');
  const opened: CatalogStore[] = [];
  const replica = async (replicaId: string) => {
    const catalog = await openPostgresCatalog({
      connectionString: server.url,
      schema,
      replicaId,
      dim: DIM,
      modelId: 'test-model@1',
    });
    opened.push(catalog);
    return catalog;
  };

  afterEach(async () => {
    for (const catalog of opened.splice(0)) await catalog.close();
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('hands each item to one replica only, and staged uploads only to the replica that staged them', async () => {
    const [a, b] = await Promise.all([replica('a'), replica('b')]);
    const job = await a.jobs.createJob([
      item('staged', 0),
      item('server', 1),
      item('server', 2),
      item('server', 3),
      item('staged', 4),
    ]);
    // B may never take A's staged files; both claim concurrently until the queue is empty.
    const claimAll = async (catalog: CatalogStore) => {
      const claimed: string[] = [];
      for (let next = await catalog.jobs.claimNextItem(); next; next = await catalog.jobs.claimNextItem()) {
        claimed.push(next.externalId!);
      }
      return claimed;
    };
    const [byA, byB] = await Promise.all([claimAll(a), claimAll(b)]);
    expect(byB.every((id) => id.startsWith('server'))).toBe(true);
    expect([...byA, ...byB].sort()).toEqual(['server-1', 'server-2', 'server-3', 'staged-0', 'staged-4']);
    expect((await b.jobs.getJob(job.id))?.totals).toMatchObject({ total: 5, running: 5, pending: 0 });
  });

  it('keeps one stem when replicas upsert the same external id at once', async () => {
    const [a, b] = await Promise.all([replica('a'), replica('b')]);
    const random = seededRandom(21);
    const versions = Array.from({ length: 6 }, (_, i) =>
      randomStem(random, { externalId: 'song-9/bass', metadata: { title: `v${i}` } }),
    );
    const records = await Promise.all(versions.map((input, i) => (i % 2 === 0 ? a : b).upsertStem(input)));
    expect(new Set(records.map((record) => record.id)).size).toBe(1);
    const stored = await b.getStemByExternalId('default', 'song-9/bass');
    const winner = versions.findIndex((input) => input.metadata.title === stored?.metadata.title);
    // Whichever write committed last, the stem's chunks are exactly that version's.
    expect((await a.getChunks(stored!.id)).map((chunk) => chunk.vector)).toEqual(
      versions[winner].chunks.map((chunk) => chunk.vector),
    );
    expect((await a.stats()).stems).toBe(1);
  });

  it("requeues a replica's running items once it has left or its lease has expired, not before", async () => {
    const [a, b, c] = await Promise.all([replica('a'), replica('b'), replica('c')]);
    await a.jobs.createJob([item('server', 0), item('server', 1)]);
    const claimedByB = await b.jobs.claimNextItem();
    const claimedByC = await c.jobs.claimNextItem();
    // Both are alive: starting replica A must not steal their work.
    expect(await a.jobs.requeueInterrupted()).toBe(0);
    // C crashes (its heartbeat stops; simulated by ageing it past the lease).
    await sql(`UPDATE ${schema}.replicas SET last_seen = now() - interval '1 hour' WHERE replica_id = 'c'`);
    expect(await a.jobs.requeueInterrupted()).toBe(1);
    expect((await a.jobs.claimNextItem())?.id).toBe(claimedByC!.id);
    // B shuts down cleanly with an item still running: it is requeued at once.
    await b.close();
    expect(await a.jobs.requeueInterrupted()).toBe(1);
    expect(await a.jobs.claimNextItem()).toMatchObject({ id: claimedByB!.id, attempts: 2 });
  });
});

describe('STEMDEX_STORE postgres URLs', () => {
  it('selects the backend and keeps our own parameters away from the driver', () => {
    expect(isPostgresUrl('postgres://u:p@db:5432/stemdex')).toBe(true);
    expect(isPostgresUrl('postgresql://db/stemdex')).toBe(true);
    expect(isPostgresUrl('local')).toBe(false);
    expect(
      parsePostgresStore('postgres://u:p@db:5432/stemdex?schema=tenant_a&pool_size=4&sslmode=require'),
    ).toEqual({
      connectionString: 'postgres://u:p@db:5432/stemdex?sslmode=require',
      schema: 'tenant_a',
      poolSize: 4,
    });
    expect(() => parsePostgresStore('postgres://db/x?pool_size=0')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('refuses schema names it would have to quote', async () => {
    await expect(
      openPostgresCatalog({
        connectionString: server.url,
        schema: 'Robert"; DROP TABLE x; --',
        replicaId: 'r',
        dim: DIM,
        modelId: 'test-model@1',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
