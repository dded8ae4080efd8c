import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig, waitFor } from '../helpers/app.js';
import { type PgliteServer, startTestPostgres, uniqueSchema } from '../helpers/pglite-server.js';
import { makeSong, mixOf, type Song, wavBytes } from '../helpers/songs.js';

/**
 * Two stemdex replicas (two full apps, each with its own data directory) sharing one PostgreSQL
 * catalog through `STEMDEX_STORE=postgres://…`: what one ingests the other finds at once.
 */

const dirs = [tempDir('stemdex-replica-a-'), tempDir('stemdex-replica-b-')];
let server: PgliteServer;
let model: EmbeddingModel;
let a: FastifyInstance;
let b: FastifyInstance;
let song: Song;

beforeAll(async () => {
  server = await startTestPostgres();
  const store = `${server.url}?schema=${uniqueSchema('replicas')}`;
  const [configA, configB] = await Promise.all(
    dirs.map((dir) => testConfig(dir.path, { STEMDEX_STORE: store })),
  );
  // Loaded once and injected: the catalogs are still opened by each app from STEMDEX_STORE.
  model = await loadTestModel(configA);
  // Started together: both run the schema migration at once behind the advisory lock.
  [a, b] = await Promise.all([startApp(configA, { model }), startApp(configB, { model })]);
  song = makeSong(1, 10);
}, 180_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await model?.close();
  await server?.stop();
  for (const dir of dirs) dir.remove();
});

describe('replicas sharing a PostgreSQL catalog', () => {
  it('finds, lists and searches through one replica what the other ingested, and deletes across', async () => {
    const ingested = await request(a.server)
      .post('/v1/stems')
      .field('instrument', 'bass')
      .field('catalog', 'shared')
      .field('external_id', 'song1-bass')
      .field('tags', 'replicated')
      .attach('file', wavBytes(song.stems.bass!), 'bass.wav');
    expect(ingested.status, JSON.stringify(ingested.body)).toBe(201);
    const id = ingested.body.id as string;

    const fetched = await request(b.server).get(`/v1/stems/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(ingested.body);
    const listed = await request(b.server).get('/v1/stems').query({ catalog: 'shared' });
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([id]);

    const searched = await request(b.server)
      .post('/v1/search')
      .field('instrument', 'bass')
      .field('catalog', 'shared')
      .field('tags', 'replicated')
      .attach('file', wavBytes(mixOf(song, ['bass'])), 'mix.wav');
    expect(searched.status, JSON.stringify(searched.body)).toBe(200);
    expect(searched.body.results.map((result: { stem: { id: string } }) => result.stem.id)).toEqual([id]);

    expect((await request(b.server).delete(`/v1/stems/${id}`)).status).toBe(204);
    expect((await request(a.server).get(`/v1/stems/${id}`)).status).toBe(404);
    const after = await request(a.server)
      .post('/v1/search')
      .field('instrument', 'bass')
      .attach('file', wavBytes(mixOf(song, ['bass'])), 'mix.wav');
    expect(after.body.results).toEqual([]);
  });

  it('runs a batch job uploaded to one replica there, with progress visible from the other', async () => {
    const accepted = await request(a.server)
      .post('/v1/ingest')
      .field('instrument', 'drums')
      .field('catalog', 'batch')
      .field('external_id_from', 'filename')
      .attach('files', wavBytes(song.stems.drums!), 'song1-drums.wav')
      .attach('files', wavBytes(song.stems.drums!.subarray(0, 16_000 * 6)), 'song1-drums-short.wav');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);

    // Only A, which staged the files, may process them; B reads the job's progress from the shared store.
    const job = await waitFor(async () => {
      const response = await request(b.server).get(`/v1/jobs/${accepted.body.id}`);
      return response.body.state === 'completed' ? response.body : undefined;
    }, 120_000);
    expect(job.totals).toMatchObject({ total: 2, done: 2, failed: 0 });
    const listed = await request(b.server).get('/v1/stems').query({ catalog: 'batch' });
    expect(listed.body.items.map((item: { external_id: string }) => item.external_id).sort()).toEqual([
      'song1-drums',
      'song1-drums-short',
    ]);
  });
});
