import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig, waitFor } from '../helpers/app.js';
import { makeSong, wavBytes } from '../helpers/songs.js';

/** Batch ingestion: multipart batches, server-side manifests, job progress, resume after restart. */

interface JobBody {
  id: string;
  state: 'pending' | 'running' | 'completed';
  totals: { total: number; pending: number; running: number; done: number; failed: number };
  errors: Array<{ position: number; file: string; code: string; message: string }>;
}

const dir = tempDir();
const ingestRoot = join(dir.path, 'library');
let model: EmbeddingModel;
let config: Config;
let app: FastifyInstance;

const song = makeSong(3, 9);
const files = {
  'drums.wav': wavBytes(song.stems.drums!),
  'bass.wav': wavBytes(song.stems.bass!),
  'piano.wav': wavBytes(song.stems.piano!),
};
const corrupt = Buffer.from('this is not audio at all, just text pretending');

function expectError(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
}

async function finished(server: FastifyInstance, id: string): Promise<JobBody> {
  return waitFor(async () => {
    const response = await request(server.server).get(`/v1/jobs/${id}`);
    expect(response.status).toBe(200);
    return response.body.state === 'completed' ? (response.body as JobBody) : undefined;
  });
}

beforeAll(async () => {
  mkdirSync(join(ingestRoot, 'album'), { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(ingestRoot, 'album', name), bytes);
  writeFileSync(join(dir.path, 'secret.wav'), files['bass.wav']);
  symlinkSync(join(dir.path, 'secret.wav'), join(ingestRoot, 'album', 'escape.wav'));
  config = await testConfig(join(dir.path, 'data'), {
    STEMDEX_INGEST_ROOT: ingestRoot,
    STEMDEX_MAX_FILES_PER_REQUEST: '4',
  });
  model = await loadTestModel(config);
  app = await startApp(config, { model });
});

afterAll(async () => {
  await app?.close();
  await model?.close();
  dir.remove();
});

describe('POST /v1/ingest (multipart)', () => {
  it('accepts many files, reports progress, totals and per-file errors', async () => {
    let req = request(app.server)
      .post('/v1/ingest')
      .field('instrument', 'other')
      .field('catalog', 'batch')
      .field('external_id_from', 'filename')
      .field('tags', 'batch');
    for (const [name, bytes] of Object.entries(files)) req = req.attach('files', bytes, name);
    const accepted = await req.attach('files', corrupt, 'broken.wav');
    expect(accepted.status).toBe(202);
    expect(accepted.headers.location).toBe(`/v1/jobs/${accepted.body.id}`);
    expect(accepted.body.totals.total).toBe(4);

    const job = await finished(app, accepted.body.id);
    expect(job.totals).toMatchObject({ total: 4, done: 3, failed: 1, pending: 0, running: 0 });
    expect(job.errors).toEqual([
      expect.objectContaining({ position: 3, file: 'broken.wav', code: 'INVALID_AUDIO' }),
    ]);

    const list = await request(app.server).get('/v1/stems').query({ catalog: 'batch' });
    expect(list.body.items.map((item: { external_id: string }) => item.external_id).sort()).toEqual([
      'bass',
      'drums',
      'piano',
    ]);
    expect(list.body.items[0].metadata.tags).toEqual(['batch']);
    // Staged uploads are removed once their job is done (just after its last item is recorded).
    await waitFor(async () => (readdirSync(join(config.dataDir, 'staging')).length === 0 ? true : undefined));
  });

  it('fails a silent file of a batch with SILENT_AUDIO and ingests the others', async () => {
    // A 9 s sine at 0.0005 peak: RMS -69.0 dBFS, under the -60 dBFS silence threshold.
    const hiss = wavBytes(Float32Array.from({ length: 9 * 16_000 }, (_, i) => 0.0005 * Math.sin(i * 0.2)));
    const accepted = await request(app.server)
      .post('/v1/ingest')
      .field('instrument', 'other')
      .field('catalog', 'with-silence')
      .field('external_id_from', 'filename')
      .attach('files', files['drums.wav'], 'drums.wav')
      .attach('files', hiss, 'hiss.wav')
      .attach('files', files['piano.wav'], 'piano.wav');
    expect(accepted.status).toBe(202);
    const job = await finished(app, accepted.body.id);
    expect(job.totals).toMatchObject({ total: 3, done: 2, failed: 1 });
    expect(job.errors).toEqual([
      {
        position: 1,
        file: 'hiss.wav',
        code: 'SILENT_AUDIO',
        message: expect.stringMatching(/-69\.\d dBFS.*-60 dBFS/),
      },
    ]);
    const list = await request(app.server).get('/v1/stems').query({ catalog: 'with-silence' });
    expect(list.body.items.map((item: { external_id: string }) => item.external_id).sort()).toEqual([
      'drums',
      'piano',
    ]);
  });

  it('rejects bad batches', async () => {
    const post = () => request(app.server).post('/v1/ingest');
    expectError(await post().field('instrument', 'bass'), 400, 'MISSING_FILE');
    expectError(await post().attach('files', files['bass.wav'], 'a.wav'), 400, 'VALIDATION_FAILED');
    expectError(
      await post().field('instrument', 'kazoo').attach('files', files['bass.wav'], 'a.wav'),
      400,
      'UNKNOWN_INSTRUMENT',
    );
    let tooMany = post().field('instrument', 'bass');
    for (let i = 0; i < 5; i++) tooMany = tooMany.attach('files', files['bass.wav'], `${i}.wav`);
    expectError(await tooMany, 413, 'TOO_MANY_FILES');
    expect(readdirSync(join(config.dataDir, 'staging'))).toEqual([]);
  });
});

describe('POST /v1/ingest (JSON manifest)', () => {
  it('ingests server-side files under the ingest root', async () => {
    const accepted = await request(app.server)
      .post('/v1/ingest')
      .send({
        catalog: 'server',
        instrument: 'drums',
        external_id_from: 'filename',
        items: [
          { path: 'album/drums.wav' },
          { path: 'album/bass.wav', instrument: 'bass', metadata: { title: 'Bass line' } },
        ],
      });
    expect(accepted.status).toBe(202);
    const job = await finished(app, accepted.body.id);
    expect(job.totals).toMatchObject({ total: 2, done: 2, failed: 0 });
    const bass = await request(app.server).get('/v1/stems').query({ catalog: 'server', instrument: 'bass' });
    expect(bass.body.items).toEqual([
      expect.objectContaining({ external_id: 'bass', metadata: { title: 'Bass line' } }),
    ]);
  });

  it('refuses paths that escape the root, by .. or by symlink, and missing files', async () => {
    const post = (items: unknown[]) =>
      request(app.server).post('/v1/ingest').send({ instrument: 'bass', items });
    expectError(await post([{ path: '../secret.wav' }]), 403, 'PATH_NOT_ALLOWED');
    expectError(await post([{ path: 'album/escape.wav' }]), 403, 'PATH_NOT_ALLOWED');
    expectError(await post([{ path: join(dir.path, 'secret.wav') }]), 403, 'PATH_NOT_ALLOWED');
    expectError(await post([{ path: 'album/none.wav' }]), 400, 'FILE_NOT_FOUND');
    expectError(await post([]), 400, 'VALIDATION_FAILED');
    expectError(await post([{ path: 'album/bass.wav', instrument: 'kazoo' }]), 400, 'UNKNOWN_INSTRUMENT');
    expectError(
      await request(app.server)
        .post('/v1/ingest')
        .send({ items: [{ path: 'album/bass.wav' }] }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await post(Array.from({ length: 5 }, () => ({ path: 'album/bass.wav' }))),
      413,
      'TOO_MANY_FILES',
    );
  });

  it('is refused when no ingest root is configured', async () => {
    const other = tempDir();
    const noRoot = await startApp(await testConfig(other.path), { model });
    try {
      const response = await request(noRoot.server)
        .post('/v1/ingest')
        .send({ instrument: 'bass', items: [{ path: 'album/bass.wav' }] });
      expectError(response, 403, 'PATH_NOT_ALLOWED');
    } finally {
      await noRoot.close();
      other.remove();
    }
  });
});

describe('GET /v1/jobs/:id', () => {
  it('answers 404 for an unknown job', async () => {
    expectError(await request(app.server).get('/v1/jobs/nope'), 404, 'NOT_FOUND');
  });
});

describe('restart', () => {
  it('resumes an acknowledged job after the service restarts', async () => {
    const data = tempDir();
    const restartConfig = await testConfig(data.path);
    // First life: the job is accepted (files staged durably) but never worked on.
    const first = await startApp(restartConfig, { model, runJobs: false });
    let req = request(first.server)
      .post('/v1/ingest')
      .field('instrument', 'piano')
      .field('catalog', 'resumed');
    for (const [name, bytes] of Object.entries(files)) req = req.attach('files', bytes, name);
    const accepted = await req;
    expect(accepted.status).toBe(202);
    expect((await request(first.server).get(`/v1/jobs/${accepted.body.id}`)).body.totals.pending).toBe(3);
    await first.close();

    const second = await startApp(restartConfig, { model });
    try {
      const job = await finished(second, accepted.body.id);
      expect(job.totals).toMatchObject({ total: 3, done: 3, failed: 0 });
      const list = await request(second.server).get('/v1/stems').query({ catalog: 'resumed' });
      expect(list.body.items).toHaveLength(3);
    } finally {
      await second.close();
      data.remove();
    }
  });
});
