import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig, waitFor } from '../helpers/app.js';
import { makeSong, SAMPLE_RATE, wavBytes } from '../helpers/songs.js';

/** Cross-cutting behaviour: auth, limits, rate limiting, backpressure, observability, docs. */

const API_KEY = 'test-key-0123456789abcdef';
const dirs: Array<{ remove: () => void }> = [];
const apps: FastifyInstance[] = [];
let model: EmbeddingModel;

async function appWith(env: Record<string, string>): Promise<{ app: FastifyInstance; config: Config }> {
  const dir = tempDir();
  dirs.push(dir);
  const config = await testConfig(dir.path, env);
  const app = await startApp(config, { model });
  apps.push(app);
  return { app, config };
}

function expectError(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
}

const song = makeSong(7, 12);
const stemWav = wavBytes(song.stems.bass!);

beforeAll(async () => {
  const dir = tempDir();
  dirs.push(dir);
  model = await loadTestModel(await testConfig(dir.path));
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await model?.close();
  for (const dir of dirs) dir.remove();
});

describe('API keys', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ app } = await appWith({ STEMDEX_API_KEYS: `${API_KEY},another-key-0123456789` }));
  });

  it('guard write routes and accept x-api-key or a bearer token', async () => {
    expectError(await request(app.server).post('/v1/stems'), 401, 'UNAUTHORIZED');
    expectError(
      await request(app.server).post('/v1/stems').set('x-api-key', 'wrong-key-000000000000'),
      401,
      'UNAUTHORIZED',
    );
    expectError(await request(app.server).delete('/v1/stems/x'), 401, 'UNAUTHORIZED');
    expectError(await request(app.server).post('/v1/ingest'), 401, 'UNAUTHORIZED');
    expectError(await request(app.server).post('/v1/admin/compact'), 401, 'UNAUTHORIZED');
    const upload = await request(app.server)
      .post('/v1/stems')
      .set('x-api-key', API_KEY)
      .field('instrument', 'bass')
      .attach('file', stemWav, 'bass.wav');
    expect(upload.status).toBe(201);
    const bearer = await request(app.server)
      .delete(`/v1/stems/${upload.body.id}`)
      .set('authorization', 'Bearer another-key-0123456789');
    expect(bearer.status).toBe(204);
  });

  it('leave read routes open', async () => {
    expect((await request(app.server).get('/v1/stems')).status).toBe(200);
    expect((await request(app.server).get('/readyz')).status).toBe(200);
  });
});

describe('upload and duration limits', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ app } = await appWith({ STEMDEX_MAX_UPLOAD_BYTES: String(300_000), STEMDEX_MAX_AUDIO_SECONDS: '10' }));
  });

  it('refuse a file over the size limit with 413', async () => {
    const big = wavBytes(new Float32Array(SAMPLE_RATE * 10)); // 320 kB
    const response = await request(app.server)
      .post('/v1/stems')
      .field('instrument', 'bass')
      .attach('file', big, 'big.wav');
    expectError(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuse audio over the duration limit with 413', async () => {
    const response = await request(app.server)
      .post('/v1/search')
      .field('instrument', 'bass')
      .attach('file', stemWav.subarray(0, 290_000), 'long.wav');
    // 12 s declared in the WAV header, truncated below the size limit: either way it is refused.
    expect([413, 422]).toContain(response.status);
    const eleven = wavBytes(new Float32Array(SAMPLE_RATE * 11).fill(0.1)); // 352 kB: too big first
    expectError(
      await request(app.server)
        .post('/v1/search')
        .field('instrument', 'bass')
        .attach('file', eleven, 'a.wav'),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('cut off a request whose declared length exceeds every limit before reading it', async () => {
    const response = await request(app.server)
      .post('/v1/stems')
      .set('content-type', 'multipart/form-data; boundary=xyz')
      .set('content-length', String(50_000_000))
      .send('--xyz--');
    expect(response.status).toBe(413);
  });
});

describe('duration limit', () => {
  it('refuses audio longer than STEMDEX_MAX_AUDIO_SECONDS', async () => {
    const { app } = await appWith({ STEMDEX_MAX_AUDIO_SECONDS: '5' });
    const response = await request(app.server)
      .post('/v1/stems')
      .field('instrument', 'bass')
      .attach('file', stemWav, 'b.wav');
    expectError(response, 413, 'AUDIO_TOO_LONG');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the limit, but never for health checks', async () => {
    const { app } = await appWith({
      STEMDEX_RATE_LIMIT_MAX: '3',
      STEMDEX_RATE_LIMIT_WINDOW_MS: '60000',
      STEMDEX_API_KEYS: API_KEY,
    });
    for (let i = 0; i < 3; i++) expect((await request(app.server).get('/v1/stems')).status).toBe(200);
    const limited = await request(app.server).get('/v1/stems');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A made-up key does not open a fresh bucket; a valid key has its own.
    const invented = await request(app.server).get('/v1/stems').set('x-api-key', 'made-up-key-0123456789');
    expectError(invented, 429, 'RATE_LIMITED');
    expect((await request(app.server).get('/v1/stems').set('x-api-key', API_KEY)).status).toBe(200);
    expect((await request(app.server).get('/healthz')).status).toBe(200);
    expect((await request(app.server).get('/readyz')).status).toBe(200);
  });
});

describe('bulk ingestion under the rate limit', () => {
  const BUDGET = 12;
  const FILES = 120;
  const PER_REQUEST = 40;
  const bulkKey = 'bulk-client-key-0123456789';
  const pollKey = 'poll-client-key-0123456789';
  const small = (i: number) =>
    wavBytes(Float32Array.from({ length: SAMPLE_RATE / 2 }, (_, t) => 0.3 * Math.sin(t * (0.05 + i * 1e-4))));

  it('tells a client uploading stem by stem where to go, and takes ten times the budget in files there', async () => {
    const { app } = await appWith({
      STEMDEX_RATE_LIMIT_MAX: String(BUDGET),
      STEMDEX_RATE_LIMIT_WINDOW_MS: '600000',
      STEMDEX_API_KEYS: `${API_KEY},${bulkKey},${pollKey}`,
    });
    const single = (i: number) =>
      request(app.server)
        .post('/v1/stems')
        .set('x-api-key', API_KEY)
        .field('instrument', 'drums')
        .attach('file', small(i), `single-${i}.wav`);
    for (let i = 0; i < BUDGET; i++) expect((await single(i)).status).toBe(201);
    const limited = await single(BUDGET);
    expectError(limited, 429, 'RATE_LIMITED');
    expect(limited.body.error.message).toContain('POST /v1/ingest');
    expect(limited.body.error.details).toMatchObject({
      limit: BUDGET,
      bulk_ingest: 'POST /v1/ingest',
      retry_after_seconds: Number(limited.headers['retry-after']),
    });

    // The way the 429 points to: 40 files per request, 3 requests for 120 files (10x the budget).
    const jobs: string[] = [];
    for (let first = 0; first < FILES; first += PER_REQUEST) {
      let batch = request(app.server)
        .post('/v1/ingest')
        .set('x-api-key', bulkKey)
        .field('instrument', 'drums')
        .field('catalog', 'bulk');
      for (let i = first; i < first + PER_REQUEST; i++)
        batch = batch.attach('files', small(i), `bulk-${i}.wav`);
      const accepted = await batch;
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      jobs.push(accepted.body.id);
    }
    // Health routes are outside the budget: wait there, then read the jobs. A job records its last
    // item just after the stem is indexed, so a job may still be one step behind the index count:
    // a few more reads (within the poll key's own budget) let it catch up.
    await waitFor(async () => {
      const ready = await request(app.server).get('/readyz');
      return ready.body.index.stems === BUDGET + FILES ? true : undefined;
    }, 300_000);
    let reads = 0;
    const readJob = (id: string) => {
      reads++;
      return request(app.server).get(`/v1/jobs/${id}`).set('x-api-key', pollKey);
    };
    for (const id of jobs) {
      let job = await readJob(id);
      while (job.status === 200 && job.body.totals.done < PER_REQUEST && reads < BUDGET) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = await readJob(id);
      }
      expect(job.status).toBe(200);
      expect(job.body.totals).toMatchObject({ total: PER_REQUEST, done: PER_REQUEST, failed: 0 });
    }
  }, 600_000);
});

describe('backpressure', () => {
  it('answers 503 QUEUE_FULL with Retry-After when the inference queue is full', async () => {
    // Batches of one chunk: a 20-minute stem submitted straight to the model queues its ~300
    // chunks (4 s hop) at once (an empty queue admits any number), and the model works them off one call
    // at a time. An upload that reaches the model while they wait would take the queue past its
    // bound of 10, so it is refused at once instead of waiting. The upload is sent only once the
    // queue is seen full, and decoding its 8 s takes a few ms against the 150 or more model calls
    // still ahead, so the order does not depend on the machine's speed.
    const dir = tempDir();
    dirs.push(dir);
    const config = await testConfig(dir.path, { STEMDEX_QUEUE_MAX: '10', STEMDEX_BATCH_MAX_SIZE: '1' });
    const registry = new Registry();
    const queuedModel = await loadTestModel(config, registry);
    const encoderQueueDepth = async () => {
      const gauge = await registry.getSingleMetric('stemdex_inference_queue_depth')!.get();
      return gauge.values.find((value) => value.labels.graph === 'encoder')?.value ?? 0;
    };
    const app = await startApp(config, { model: queuedModel });
    try {
      const tone = (seconds: number) =>
        wavBytes(Float32Array.from({ length: seconds * SAMPLE_RATE }, (_, i) => 0.3 * Math.sin(i * 0.1)));
      const hog = queuedModel.embedStem(tone(1200), { maxDurationSeconds: 1200 });
      await waitFor(async () => ((await encoderQueueDepth()) > 150 ? true : undefined), 60_000);
      const refused = await request(app.server)
        .post('/v1/stems')
        .field('instrument', 'piano')
        .attach('file', tone(8), 'p.wav');
      expectError(refused, 503, 'QUEUE_FULL');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await hog).chunks.length).toBeGreaterThan(150);
      // Once the queue has drained the same upload is taken.
      const accepted = await request(app.server)
        .post('/v1/stems')
        .field('instrument', 'piano')
        .attach('file', tone(8), 'p.wav');
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    } finally {
      await app.close();
      await queuedModel.close();
    }
  }, 120_000);
});

describe('observability', () => {
  let app: FastifyInstance;
  let observedModel: EmbeddingModel;
  beforeAll(async () => {
    // Its own model, so the inference metrics land in this app's registry.
    const dir = tempDir();
    dirs.push(dir);
    const config = await testConfig(dir.path, { STEMDEX_EXECUTION_PROVIDERS: 'cuda,cpu' });
    const registry = new Registry();
    observedModel = await loadTestModel(config, registry);
    app = await startApp(config, { model: observedModel, registry });
  });
  afterAll(async () => {
    await app.close();
    await observedModel.close();
  });

  it('reports liveness, and readiness with the active execution provider', async () => {
    expect((await request(app.server).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(app.server).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', index: { stems: 0 } });
    // CUDA is preferred; where it cannot run, the fallback and its reason are reported.
    const { provider, provider_attempts: attempts } = ready.body.model;
    expect(attempts.at(-1)).toEqual({ provider, ok: true });
    if (provider === 'cpu')
      expect(attempts[0]).toMatchObject({ provider: 'cuda', ok: false, reason: expect.any(String) });
  });

  it('exposes Prometheus metrics: latency, batch sizes, queue depth, index size', async () => {
    await request(app.server).post('/v1/stems').field('instrument', 'bass').attach('file', stemWav, 'b.wav');
    const response = await request(app.server).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    for (const name of [
      'stemdex_http_request_duration_seconds_bucket',
      'stemdex_inference_batch_size_bucket',
      'stemdex_index_stems 1',
      'stemdex_index_chunks',
      'stemdex_index_vectors',
    ]) {
      expect(response.text).toContain(name);
    }
    expect(response.text).toMatch(/stemdex_inference_queue_depth/);
  });

  it('echoes a caller request id, or makes one', async () => {
    const given = await request(app.server).get('/healthz').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(app.server).get('/healthz');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document and UI at /docs', async () => {
    const doc = await request(app.server).get('/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/v1/stems',
      '/v1/stems/{id}',
      '/v1/stems/{id}/audio',
      '/v1/search',
      '/v1/stems/{id}/compatible',
      '/v1/ingest',
      '/v1/jobs/{id}',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.paths['/v1/search'].post.requestBody.content['multipart/form-data']).toBeDefined();
    const upload = doc.body.paths['/v1/stems'].post.responses;
    expect(Object.keys(upload)).toEqual(expect.arrayContaining(['200', '201']));
    expect(JSON.stringify(upload['200'])).toContain('instrument_changed');
    expect(Object.keys(doc.body.paths['/v1/stems/{id}/audio'].get.responses['200'].content)).toContain(
      'audio/wav',
    );
    // The web app is served at / but is not part of the API document.
    expect(Object.keys(doc.body.paths)).not.toContain('/');
    const ui = await request(app.server).get('/docs/').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('<html');
  });
});
