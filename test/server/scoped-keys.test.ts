import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig, waitFor } from '../helpers/app.js';
import { makeSong, mixOf, wavBytes } from '../helpers/songs.js';

/**
 * Scoped API keys through the HTTP API: roles per route, catalogs per key, and listings and
 * search that never show a key stems of catalogs it may not read.
 */

const admin = createApiKey({ name: 'ops', role: 'admin', catalogs: null });
const partnerA = createApiKey({ name: 'partner-a', role: 'write', catalogs: ['a'] });
const readerB = createApiKey({ name: 'reader-b', role: 'read', catalogs: ['b'] });
const readerAll = createApiKey({ name: 'reader-all', role: 'read', catalogs: null });

const dirs: Array<{ path: string; remove: () => void }> = [];
const apps: FastifyInstance[] = [];
let model: EmbeddingModel;
let closed: FastifyInstance;
let ingestRoot: string;
/** The reads-closed app's staging folder: refused batch uploads must leave nothing there. */
let stagingDir: string;

const song = makeSong(3, 8);
const bassWav = wavBytes(song.stems.bass!);
const drumsWav = wavBytes(song.stems.drums!);
const mixWav = wavBytes(mixOf(song, ['bass']));

function expectError(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
}

async function appWith(env: Record<string, string>): Promise<FastifyInstance> {
  const dir = tempDir('stemdex-keys-');
  dirs.push(dir);
  const app = await startApp(await testConfig(join(dir.path, 'data'), env), { model });
  apps.push(app);
  return app;
}

function upload(
  app: FastifyInstance,
  key: string | undefined,
  catalog: string,
  wav = bassWav,
  instrument = 'bass',
) {
  const call = request(app.server).post('/v1/stems');
  if (key !== undefined) call.set('x-api-key', key);
  return call
    .field('instrument', instrument)
    .field('catalog', catalog)
    .attach('file', wav, `${instrument}.wav`);
}

function search(app: FastifyInstance, key: string, fields: Record<string, string> = {}) {
  const call = request(app.server)
    .post('/v1/search')
    .set('x-api-key', key)
    .field('instrument', 'bass')
    .field('k', '10');
  for (const [name, value] of Object.entries(fields)) call.field(name, value);
  return call.attach('file', mixWav, 'mix.wav');
}

const catalogsOf = (items: Array<{ catalog: string }>) =>
  [...new Set(items.map((item) => item.catalog))].sort();

beforeAll(async () => {
  const dir = tempDir('stemdex-keys-model-');
  dirs.push(dir);
  model = await loadTestModel(await testConfig(dir.path));
  ingestRoot = join(dir.path, 'root');
  mkdirSync(ingestRoot);
  writeFileSync(join(ingestRoot, 'bass.wav'), bassWav);
  // Keys from both sources: a file of digest lines and the environment variable.
  const keyFile = join(dir.path, 'keys.txt');
  writeFileSync(keyFile, `# stemdex keys\n${admin.line}\n${partnerA.line}\n\n`);
  closed = await appWith({
    STEMDEX_API_KEYS_FILE: keyFile,
    STEMDEX_API_KEY_DIGESTS: `${readerB.line};${readerAll.line}`,
    STEMDEX_REQUIRE_KEY_FOR_READS: 'true',
    STEMDEX_INGEST_ROOT: ingestRoot,
  });
  stagingDir = join(dirs.at(-1)!.path, 'data', 'staging');
}, 120_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await model?.close();
  for (const dir of dirs) dir.remove();
});

describe('scoped API keys, reads closed', () => {
  let stemA: string;
  let stemB: string;

  beforeAll(async () => {
    const a = await upload(closed, partnerA.key, 'a');
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    stemA = a.body.id;
    const b = await upload(closed, admin.key, 'b');
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    stemB = b.body.id;
  }, 60_000);

  it('refuses anonymous and unknown keys on every API route, but not health checks or docs', async () => {
    expectError(await request(closed.server).get('/v1/stems'), 401, 'UNAUTHORIZED');
    expectError(await request(closed.server).get(`/v1/stems/${stemA}`), 401, 'UNAUTHORIZED');
    expectError(await request(closed.server).get('/v1/jobs/x'), 401, 'UNAUTHORIZED');
    expectError(
      await request(closed.server).get('/v1/stems').set('x-api-key', 'sdx_not-a-configured-key-000000'),
      401,
      'UNAUTHORIZED',
    );
    expect((await request(closed.server).get('/healthz')).status).toBe(200);
    expect((await request(closed.server).get('/readyz')).status).toBe(200);
    expect((await request(closed.server).get('/docs/json')).status).toBe(200);
  });

  it('lets a key scoped to catalog A write there and nowhere else', async () => {
    expectError(await upload(closed, partnerA.key, 'b'), 403, 'CATALOG_FORBIDDEN');
    expectError(await upload(closed, partnerA.key, 'default'), 403, 'CATALOG_FORBIDDEN');
    // Not found, rather than forbidden: a key learns nothing about catalogs it may not read.
    expectError(
      await request(closed.server).delete(`/v1/stems/${stemB}`).set('x-api-key', partnerA.key),
      404,
      'NOT_FOUND',
    );
    expect((await request(closed.server).get(`/v1/stems/${stemB}`).set('x-api-key', admin.key)).status).toBe(
      200,
    );
  });

  it('lets a key scoped to catalog A read only catalog A', async () => {
    const list = await request(closed.server).get('/v1/stems').set('x-api-key', partnerA.key);
    expect(list.status).toBe(200);
    expect(catalogsOf(list.body.items)).toEqual(['a']);
    expectError(
      await request(closed.server).get('/v1/stems').query({ catalog: 'b' }).set('x-api-key', partnerA.key),
      403,
      'CATALOG_FORBIDDEN',
    );
    expect(
      (await request(closed.server).get(`/v1/stems/${stemA}`).set('x-api-key', partnerA.key)).status,
    ).toBe(200);
    expectError(
      await request(closed.server).get(`/v1/stems/${stemB}`).set('x-api-key', partnerA.key),
      404,
      'NOT_FOUND',
    );
    // The stem's audio is as private as its record.
    expect(
      (await request(closed.server).get(`/v1/stems/${stemA}/audio`).set('x-api-key', partnerA.key)).status,
    ).toBe(200);
    expectError(
      await request(closed.server).get(`/v1/stems/${stemB}/audio`).set('x-api-key', partnerA.key),
      404,
      'NOT_FOUND',
    );
    const compatible = await request(closed.server)
      .post(`/v1/stems/${stemB}/compatible`)
      .set('x-api-key', partnerA.key)
      .send({ instrument: 'bass' });
    expectError(compatible, 404, 'NOT_FOUND');
    const all = await request(closed.server).get('/v1/stems').set('x-api-key', readerAll.key);
    expect(catalogsOf(all.body.items)).toEqual(['a', 'b']);
  });

  it('never returns stems of unreadable catalogs from a search', async () => {
    const everything = await search(closed, admin.key);
    expect(everything.status, JSON.stringify(everything.body)).toBe(200);
    expect(catalogsOf(everything.body.results.map((r: { stem: { catalog: string } }) => r.stem))).toEqual([
      'a',
      'b',
    ]);
    const scoped = await search(closed, partnerA.key);
    expect(scoped.status).toBe(200);
    expect(scoped.body.results.map((r: { stem: { id: string } }) => r.stem.id)).toEqual([stemA]);
    const onlyB = await search(closed, readerB.key);
    expect(onlyB.body.results.map((r: { stem: { id: string } }) => r.stem.id)).toEqual([stemB]);
    expectError(await search(closed, partnerA.key, { catalog: 'b' }), 403, 'CATALOG_FORBIDDEN');
    const fromA = await request(closed.server)
      .post(`/v1/stems/${stemA}/compatible`)
      .set('x-api-key', partnerA.key)
      .send({ instrument: 'bass' });
    expect(fromA.status).toBe(200);
    expect(catalogsOf(fromA.body.results.map((r: { stem: { catalog: string } }) => r.stem))).not.toContain(
      'b',
    );
  });

  it('holds roles: read keys cannot write, only admin keys reach admin routes', async () => {
    expectError(await upload(closed, readerB.key, 'b'), 403, 'FORBIDDEN');
    expectError(
      await request(closed.server).delete(`/v1/stems/${stemB}`).set('x-api-key', readerB.key),
      403,
      'FORBIDDEN',
    );
    for (const key of [partnerA.key, readerAll.key]) {
      expectError(await request(closed.server).get('/v1/stats').set('x-api-key', key), 403, 'FORBIDDEN');
      expectError(
        await request(closed.server).post('/v1/admin/compact').set('x-api-key', key),
        403,
        'FORBIDDEN',
      );
    }
    const stats = await request(closed.server).get('/v1/stats').set('authorization', `Bearer ${admin.key}`);
    expect(stats.status).toBe(200);
    expect(stats.body.stems).toBeGreaterThanOrEqual(2);
  });

  it('checks batch ingestion per catalog and shows a job only to keys that may read its catalogs', async () => {
    const refused = await request(closed.server)
      .post('/v1/ingest')
      .set('x-api-key', partnerA.key)
      .field('instrument', 'bass')
      .field('catalog', 'b')
      .attach('files', bassWav, 'x.wav');
    expectError(refused, 403, 'CATALOG_FORBIDDEN');
    expect(readdirSync(stagingDir)).toEqual([]);
    const manifest = await request(closed.server)
      .post('/v1/ingest')
      .set('x-api-key', partnerA.key)
      .send({
        instrument: 'bass',
        items: [
          { path: 'bass.wav', catalog: 'a' },
          { path: 'bass.wav', catalog: 'b' },
        ],
      });
    expectError(manifest, 403, 'CATALOG_FORBIDDEN');

    const accepted = await request(closed.server)
      .post('/v1/ingest')
      .set('x-api-key', partnerA.key)
      .field('instrument', 'drums')
      .field('catalog', 'a')
      .attach('files', drumsWav, 'drums.wav');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const job = accepted.body.id as string;
    await waitFor(async () => {
      const state = await request(closed.server).get(`/v1/jobs/${job}`).set('x-api-key', partnerA.key);
      expect(state.status).toBe(200);
      return state.body.state === 'completed' ? state.body : undefined;
    }, 60_000);
    expectError(
      await request(closed.server).get(`/v1/jobs/${job}`).set('x-api-key', readerB.key),
      404,
      'NOT_FOUND',
    );
    expect((await request(closed.server).get(`/v1/jobs/${job}`).set('x-api-key', readerAll.key)).status).toBe(
      200,
    );
  }, 90_000);
});

describe('scoped API keys, reads open', () => {
  it('lets anonymous clients read every catalog while a scoped key stays in its own', async () => {
    const open = await appWith({ STEMDEX_API_KEY_DIGESTS: `${partnerA.line};${admin.line}` });
    expect((await upload(open, partnerA.key, 'a')).status).toBe(201);
    expect((await upload(open, admin.key, 'b')).status).toBe(201);
    expectError(await upload(open, undefined, 'a'), 401, 'UNAUTHORIZED');
    const anonymous = await request(open.server).get('/v1/stems');
    expect(catalogsOf(anonymous.body.items)).toEqual(['a', 'b']);
    const scoped = await request(open.server).get('/v1/stems').set('x-api-key', partnerA.key);
    expect(catalogsOf(scoped.body.items)).toEqual(['a']);
    // A wrong key is an error even where no key is needed: the client meant to authenticate.
    expectError(
      await request(open.server).get('/v1/stems').set('x-api-key', 'sdx_wrong-key-0000000000000'),
      401,
      'UNAUTHORIZED',
    );
  }, 60_000);

  it('refuses to start with reads closed and no key to read with', async () => {
    await expect(appWith({ STEMDEX_REQUIRE_KEY_FOR_READS: 'true' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
