import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalCatalog } from '../../src/index/index.js';
import type { Instrument } from '../../src/instruments.js';
import { MAX_RESULTS, RESULT_COUNT_MESSAGE } from '../../src/server/compatibility-search.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig } from '../helpers/app.js';
import { makeSong, mixOf, SAMPLE_RATE, type Song, wavBytes } from '../helpers/songs.js';

/**
 * The HTTP API end to end: real app, real model (the shipped one when trained, else the seeded
 * dev model), real catalog, generated multi-stem songs. Asserts what holds for any model; ranking
 * quality with a trained model is asserted in retrieval.test.ts.
 */

const SONG_SECONDS = 10;
const SONGS = 4;

interface StemBody {
  id: string;
  catalog: string;
  external_id: string | null;
  instrument: Instrument;
  metadata: Record<string, unknown>;
  duration_seconds: number;
  chunk_count: number;
  indexed_chunks: number;
  created_at: string;
  updated_at: string;
}

interface ResultBody {
  stem: StemBody;
  score: number;
  match: { context_offset_seconds: number; stem_chunk_index: number; stem_chunk_offset_seconds: number };
  alignment: { offset_seconds: number; shift_seconds: number; score: number };
}

/** A sine at `amplitude` (its RMS level is amplitude / √2), `seconds` long. */
function tone(seconds: number, amplitude: number): Float32Array {
  return Float32Array.from({ length: seconds * SAMPLE_RATE }, (_, i) => amplitude * Math.sin(i * 0.2));
}

const dir = tempDir();
let model: EmbeddingModel;
let app: FastifyInstance;
let songs: Song[];
/** `${song}/${instrument}` → stem id */
const ids = new Map<string, string>();

function uploadStem(bytes: Buffer, fields: Record<string, string>, filename = 'stem.wav'): request.Test {
  const req = request(app.server).post('/v1/stems');
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('file', bytes, filename);
}

function search(bytes: Buffer, fields: Record<string, string>): request.Test {
  const req = request(app.server).post('/v1/search');
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('file', bytes, 'mix.wav');
}

function expectError(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
  expect(typeof response.body.error.message).toBe('string');
}

beforeAll(async () => {
  const config = await testConfig(dir.path);
  model = await loadTestModel(config);
  app = await startApp(config, { model });
  songs = Array.from({ length: SONGS }, (_, i) => makeSong(i, SONG_SECONDS));
  // Concurrent uploads: exercises the micro-batcher across requests.
  await Promise.all(
    songs.flatMap((song) =>
      Object.entries(song.stems).map(async ([instrument, signal]) => {
        const response = await uploadStem(wavBytes(signal), {
          instrument,
          catalog: 'songs',
          external_id: `song${song.id}-${instrument}`,
          title: `Song ${song.id} ${instrument}`,
          tags: song.id % 2 === 0 ? 'even,synthetic' : 'odd,synthetic',
          bpm: String(song.bpm),
          key: 'Am',
        });
        expect(response.status, JSON.stringify(response.body)).toBe(201);
        ids.set(`${song.id}/${instrument}`, response.body.id);
      }),
    ),
  );
});

afterAll(async () => {
  await app?.close();
  await model?.close();
  dir.remove();
});

describe('POST /v1/stems', () => {
  it('returns the stored record', async () => {
    const response = await request(app.server).get(`/v1/stems/${ids.get('0/bass')}`);
    expect(response.status).toBe(200);
    const stem = response.body as StemBody;
    expect(stem).toMatchObject({
      catalog: 'songs',
      external_id: 'song0-bass',
      instrument: 'bass',
      metadata: { title: 'Song 0 bass', tags: ['even', 'synthetic'], bpm: songs[0].bpm, key: 'Am' },
    });
    expect(stem.duration_seconds).toBeCloseTo(SONG_SECONDS, 1);
    // 10 s with 8 s chunks every 4 s: a chunk at 0 s and a padded one at 4 s.
    expect(stem.chunk_count).toBe(2);
    expect(stem.indexed_chunks).toBe(2);
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('replaces a stem uploaded again with the same external id', async () => {
    const first = await uploadStem(wavBytes(songs[1].stems.piano!), {
      instrument: 'piano',
      catalog: 'upserts',
      external_id: 'same',
      title: 'v1',
    });
    expect(first.status).toBe(201);
    const second = await uploadStem(wavBytes(songs[2].stems.piano!), {
      instrument: 'piano',
      catalog: 'upserts',
      external_id: 'same',
      title: 'v2',
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      id: first.body.id,
      metadata: { title: 'v2' },
      replaced: { previous_instrument: 'piano', instrument_changed: false },
    });
    const list = await request(app.server).get('/v1/stems').query({ catalog: 'upserts' });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ external_id: 'same', metadata: { title: 'v2' } });
    expect(list.body.items[0].replaced).toBeUndefined();

    const third = await uploadStem(wavBytes(songs[2].stems.piano!), {
      instrument: 'strings',
      catalog: 'upserts',
      external_id: 'same',
    });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({
      id: first.body.id,
      instrument: 'strings',
      replaced: { previous_instrument: 'piano', instrument_changed: true },
    });
  });

  it("serves the stem's original audio until the stem is deleted", async () => {
    const bytes = wavBytes(songs[3].stems.piano!);
    const created = await uploadStem(bytes, { instrument: 'piano', catalog: 'audio' });
    expect(created.status).toBe(201);
    const audio = await request(app.server)
      .get(`/v1/stems/${created.body.id}/audio`)
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => done(null, Buffer.concat(parts)));
      });
    expect(audio.status).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    expect(Buffer.compare(audio.body as Buffer, bytes)).toBe(0);

    expectError(await request(app.server).get('/v1/stems/no-such-stem/audio'), 404, 'NOT_FOUND');
    // A stem whose audio is not kept here (ingested before audio was kept) says so with its own code.
    const lost = await uploadStem(bytes, { instrument: 'piano', catalog: 'audio' });
    rmSync(join(dir.path, 'audio', lost.body.id));
    expectError(await request(app.server).get(`/v1/stems/${lost.body.id}/audio`), 404, 'AUDIO_NOT_AVAILABLE');
    expect((await request(app.server).delete(`/v1/stems/${created.body.id}`)).status).toBe(204);
    expectError(await request(app.server).get(`/v1/stems/${created.body.id}/audio`), 404, 'NOT_FOUND');
    expect(existsSync(join(dir.path, 'audio', created.body.id))).toBe(false);
  });

  it('rejects bad uploads with the documented codes', async () => {
    const good = wavBytes(songs[0].stems.drums!);
    expectError(await request(app.server).post('/v1/stems').field('instrument', 'bass'), 400, 'MISSING_FILE');
    expectError(await uploadStem(good, {}), 400, 'VALIDATION_FAILED');
    expectError(await uploadStem(good, { instrument: 'kazoo' }), 400, 'UNKNOWN_INSTRUMENT');
    expectError(
      await uploadStem(good, { instrument: 'bass', metadata: '{not json' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await uploadStem(good, { instrument: 'bass', metadata: '[1,2]' }), 400, 'VALIDATION_FAILED');
    expectError(await uploadStem(good, { instrument: 'bass', bpm: 'fast' }), 400, 'VALIDATION_FAILED');
    expectError(await uploadStem(good, { instrument: 'bass', catalog: '../etc' }), 400, 'VALIDATION_FAILED');
    const corrupt = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251));
    expectError(await uploadStem(corrupt, { instrument: 'bass' }), 422, 'INVALID_AUDIO');
    const truncated = good.subarray(0, 30);
    expect((await uploadStem(truncated, { instrument: 'bass' })).status).toBe(422);
    expectError(await uploadStem(Buffer.alloc(0), { instrument: 'bass' }), 400, 'EMPTY_AUDIO');
    const twoFiles = uploadStem(good, { instrument: 'bass' }).attach('file2', good, 'b.wav');
    expectError(await twoFiles, 413, 'TOO_MANY_FILES');
    const json = await request(app.server).post('/v1/stems').send({ instrument: 'bass' });
    expectError(json, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses silent and near-silent stems with 422 SILENT_AUDIO naming the level and threshold', async () => {
    const before = (await request(app.server).get('/v1/stats')).body.stems;
    const digital = await uploadStem(wavBytes(new Float32Array(10 * SAMPLE_RATE)), { instrument: 'bass' });
    expectError(digital, 422, 'SILENT_AUDIO');
    expect(digital.body.error.details).toEqual({ level_dbfs: null, threshold_dbfs: -60 });
    expect(digital.body.error.message).toContain('digital silence');
    // 0.0005 peak: RMS 20·log10(0.0005/√2) = -69.0 dBFS, under the -60 dBFS threshold.
    const hiss = await uploadStem(wavBytes(tone(10, 0.0005)), { instrument: 'bass' });
    expectError(hiss, 422, 'SILENT_AUDIO');
    expect(hiss.body.error.details.threshold_dbfs).toBe(-60);
    expect(hiss.body.error.details.level_dbfs).toBeCloseTo(-69, 0);
    expect(hiss.body.error.message).toMatch(/-69\.\d dBFS.*-60 dBFS/);
    // Nothing was stored.
    expect((await request(app.server).get('/v1/stats')).body.stems).toBe(before);
    // Just above the threshold (0.0015 peak: -59.5 dBFS) is audible and accepted.
    const quiet = await uploadStem(wavBytes(tone(10, 0.0015)), { instrument: 'bass', catalog: 'quiet' });
    expect(quiet.status).toBe(201);
    expect(quiet.body).toMatchObject({ chunk_count: 2, indexed_chunks: 2 });
    expect((await request(app.server).delete(`/v1/stems/${quiet.body.id}`)).status).toBe(204);
  });

  it('reports how many chunks of a partly silent stem are indexed', async () => {
    // 8 s of bass then 8 s of silence: chunks at 0, 4 and 8 s; the one at 8 s is silent.
    const signal = new Float32Array(16 * SAMPLE_RATE);
    signal.set(songs[0].stems.bass!.subarray(0, 8 * SAMPLE_RATE));
    const created = await uploadStem(wavBytes(signal), { instrument: 'bass', catalog: 'partly-silent' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ chunk_count: 3, indexed_chunks: 2 });
    const read = await request(app.server).get(`/v1/stems/${created.body.id}`);
    expect(read.body).toMatchObject({ chunk_count: 3, indexed_chunks: 2 });
    const list = await request(app.server).get('/v1/stems').query({ catalog: 'partly-silent' });
    expect(list.body.items).toEqual([expect.objectContaining({ chunk_count: 3, indexed_chunks: 2 })]);
    expect((await request(app.server).delete(`/v1/stems/${created.body.id}`)).status).toBe(204);
  });
});

describe('GET /v1/stems', () => {
  it('pages through every stem with opaque cursors', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: request.Response = await request(app.server)
        .get('/v1/stems')
        .query({ catalog: 'songs', limit: 5, ...(cursor === null ? {} : { cursor }) });
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...response.body.items.map((item: StemBody) => item.id));
      cursor = response.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(Math.ceil((SONGS * 4) / 5));
    expect(new Set(seen).size).toBe(SONGS * 4);
    expect(new Set(seen)).toEqual(new Set(ids.values()));
  });

  it('filters by instrument', async () => {
    const response = await request(app.server)
      .get('/v1/stems')
      .query({ catalog: 'songs', instrument: 'bass' });
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(SONGS);
    expect(response.body.items.every((item: StemBody) => item.instrument === 'bass')).toBe(true);
  });

  it('rejects bad queries', async () => {
    const get = (query: Record<string, string>) => request(app.server).get('/v1/stems').query(query);
    expectError(await get({ cursor: 'not-a-cursor' }), 400, 'INVALID_CURSOR');
    expectError(await get({ limit: '0' }), 400, 'VALIDATION_FAILED');
    expectError(await get({ limit: 'many' }), 400, 'VALIDATION_FAILED');
    expectError(await get({ instrument: 'kazoo' }), 400, 'UNKNOWN_INSTRUMENT');
  });
});

describe('GET /v1/stems/:id', () => {
  it('answers 404 for an unknown id', async () => {
    expectError(await request(app.server).get('/v1/stems/does-not-exist'), 404, 'NOT_FOUND');
  });
});

describe('POST /v1/search', () => {
  it('ranks stems of the wanted instrument with a best chunk and an offset', async () => {
    const response = await search(wavBytes(mixOf(songs[0], ['bass'])), { instrument: 'bass', k: '3' });
    expect(response.status).toBe(200);
    const results = response.body.results as ResultBody[];
    expect(results).toHaveLength(3);
    expect(response.body.query).toMatchObject({ instrument: 'bass', chunks: 2 });
    for (const result of results) {
      expect(result.stem.instrument).toBe('bass');
      expect(Number.isFinite(result.alignment.offset_seconds)).toBe(true);
      expect(Math.abs(result.alignment.shift_seconds)).toBeLessThanOrEqual(4);
      expect([0, 4]).toContain(result.match.stem_chunk_offset_seconds);
    }
    const scores = results.map((result) => result.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Same query, same answer.
    const again = await search(wavBytes(mixOf(songs[0], ['bass'])), { instrument: 'bass', k: '3' });
    expect(again.body.results.map((r: ResultBody) => r.stem.id)).toEqual(results.map((r) => r.stem.id));
  });

  it('applies catalog and metadata filters', async () => {
    const mix = wavBytes(mixOf(songs[1], ['drums']));
    const even = await search(mix, { instrument: 'drums', k: '10', catalog: 'songs', tags: 'even' });
    expect(even.status).toBe(200);
    const found = (even.body.results as ResultBody[]).map((result) => result.stem.id).sort();
    expect(found).toEqual([ids.get('0/drums'), ids.get('2/drums')].sort());
    const keyed = await search(mix, { instrument: 'drums', k: '10', catalog: 'songs', key: 'am' });
    expect(keyed.body.results).toHaveLength(SONGS);
    const otherKey = await search(mix, { instrument: 'drums', catalog: 'songs', key: 'F#' });
    expect(otherKey.body.results).toEqual([]);
    const none = await search(mix, { instrument: 'drums', catalog: 'no-such-catalog' });
    expect(none.body.results).toEqual([]);
    const slowest = Math.min(...songs.map((song) => song.bpm));
    const slow = await search(mix, { instrument: 'drums', k: '10', bpm_max: String(slowest) });
    const slowSongs = songs.filter((song) => song.bpm === slowest).map((song) => ids.get(`${song.id}/drums`));
    expect((slow.body.results as ResultBody[]).map((r) => r.stem.id).sort()).toEqual(slowSongs.sort());
  });

  it('rejects bad searches with the documented codes', async () => {
    const mix = wavBytes(mixOf(songs[0], ['bass']));
    expectError(
      await request(app.server).post('/v1/search').field('instrument', 'bass'),
      400,
      'MISSING_FILE',
    );
    expectError(await search(mix, {}), 400, 'VALIDATION_FAILED');
    expectError(await search(mix, { instrument: 'kazoo' }), 400, 'UNKNOWN_INSTRUMENT');
    for (const k of ['0', String(MAX_RESULTS + 1), '500', '2.5', 'ten', '']) {
      const response = await search(mix, { instrument: 'bass', k });
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.message).toBe(RESULT_COUNT_MESSAGE);
    }
    expectError(
      await search(mix, { instrument: 'bass', bpm_min: '150', bpm_max: '90' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await search(Buffer.from('RIFF....WAVEjunk'), { instrument: 'bass' }), 422, 'INVALID_AUDIO');
    const json = await request(app.server).post('/v1/search').send({ instrument: 'bass' });
    expectError(json, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers k up to the cap, which the OpenAPI document states with its reason', async () => {
    const response = await search(wavBytes(mixOf(songs[0], ['bass'])), {
      instrument: 'bass',
      k: String(MAX_RESULTS),
    });
    expect(response.status).toBe(200);
    expect(response.body.results).toHaveLength(SONGS);
    const doc = await request(app.server).get('/docs/json');
    const form = doc.body.paths['/v1/search'].post.requestBody.content['multipart/form-data'].schema;
    expect(form.properties.k.description).toContain(`1-${MAX_RESULTS}`);
    expect(form.properties.k.description).toContain('no further pages');
    const body =
      doc.body.paths['/v1/stems/{id}/compatible'].post.requestBody.content['application/json'].schema;
    expect(body.properties.k).toMatchObject({ minimum: 1, maximum: MAX_RESULTS });
  });

  it('refuses a silent mix with 422 SILENT_AUDIO instead of an empty result', async () => {
    const silent = await search(wavBytes(new Float32Array(8 * SAMPLE_RATE)), { instrument: 'bass' });
    expectError(silent, 422, 'SILENT_AUDIO');
    expect(silent.body.error.details).toEqual({ level_dbfs: null, threshold_dbfs: -60 });
    const hiss = await search(wavBytes(tone(8, 0.0005)), { instrument: 'bass' });
    expectError(hiss, 422, 'SILENT_AUDIO');
    expect(hiss.body.error.details.level_dbfs).toBeCloseTo(-69, 0);
    const doc = await request(app.server).get('/docs/json');
    expect(doc.body.paths['/v1/search'].post.description).toContain('SILENT_AUDIO');
    expect(doc.body.paths['/v1/search'].post.responses['422']).toBeDefined();
  });
});

describe('POST /v1/stems/:id/compatible', () => {
  it('searches with an ingested stem as the context, never returning the stem itself', async () => {
    const id = ids.get('2/piano')!;
    const response = await request(app.server)
      .post(`/v1/stems/${id}/compatible`)
      .send({ instrument: 'piano', k: 50, catalog: 'songs' });
    expect(response.status).toBe(200);
    const results = response.body.results as ResultBody[];
    expect(results.map((r) => r.stem.id).sort()).toEqual(
      [0, 1, 3].map((song) => ids.get(`${song}/piano`)).sort(),
    );
    expect(response.body.query.chunks).toBe(2);
  });

  it('rejects bad requests', async () => {
    const post = (id: string, body: unknown) =>
      request(app.server)
        .post(`/v1/stems/${id}/compatible`)
        .send(body as object);
    const id = ids.get('0/drums')!;
    expectError(await post('missing-id', { instrument: 'bass' }), 404, 'NOT_FOUND');
    expectError(await post(id, {}), 400, 'VALIDATION_FAILED');
    expectError(await post(id, { instrument: 'kazoo' }), 400, 'UNKNOWN_INSTRUMENT');
    expectError(await post(id, { instrument: 'bass', k: 'x' }), 400, 'VALIDATION_FAILED');
    const tooMany = await post(id, { instrument: 'bass', k: MAX_RESULTS + 1 });
    expectError(tooMany, 400, 'VALIDATION_FAILED');
    expect(tooMany.body.error.message).toContain(RESULT_COUNT_MESSAGE);
    expectError(await post(id, { instrument: 42 }), 400, 'VALIDATION_FAILED');
    const broken = await request(app.server)
      .post(`/v1/stems/${id}/compatible`)
      .set('content-type', 'application/json')
      .send('{"instrument":');
    expectError(broken, 400, 'BAD_REQUEST');
  });
});

describe('POST /v1/stems/:id/compatible with a silent stem', () => {
  it('answers 422 SILENT_AUDIO for a stem stored before silent uploads were refused', async () => {
    // Such a stem can no longer be uploaded: write it into a catalog directly, as older versions did.
    const legacyDir = tempDir();
    const config = await testConfig(legacyDir.path);
    const embedded = await model.embedStem(wavBytes(songs[0].stems.piano!), {});
    const catalog = await openLocalCatalog({
      dataDir: config.dataDir,
      dim: model.geometry.dim,
      modelId: model.modelId,
    });
    const stored = await catalog.upsertStem({
      catalog: 'legacy',
      instrument: 'piano',
      metadata: {},
      durationSeconds: embedded.durationSeconds,
      chunks: embedded.chunks.map((chunk) => ({ ...chunk, silent: true })),
    });
    await catalog.close();
    const legacyApp = await startApp(config, { model });
    try {
      const read = await request(legacyApp.server).get(`/v1/stems/${stored.id}`);
      expect(read.body).toMatchObject({ chunk_count: 2, indexed_chunks: 0 });
      const response = await request(legacyApp.server)
        .post(`/v1/stems/${stored.id}/compatible`)
        .send({ instrument: 'bass' });
      expectError(response, 422, 'SILENT_AUDIO');
      expect(response.body.error.details).toEqual({
        stem_id: stored.id,
        chunk_count: 2,
        threshold_dbfs: -60,
      });
      const doc = await request(legacyApp.server).get('/docs/json');
      expect(doc.body.paths['/v1/stems/{id}/compatible'].post.responses['422']).toBeDefined();
    } finally {
      await legacyApp.close();
      legacyDir.remove();
    }
  });
});

describe('DELETE /v1/stems/:id', () => {
  it('removes the stem from reads and from search', async () => {
    const mix = wavBytes(mixOf(songs[3], ['synth']));
    const before = await search(mix, { instrument: 'synth', k: '10', catalog: 'songs' });
    const victim = ids.get('3/synth')!;
    expect((before.body.results as ResultBody[]).map((r) => r.stem.id)).toContain(victim);

    const deleted = await request(app.server).delete(`/v1/stems/${victim}`);
    expect(deleted.status).toBe(204);
    expectError(await request(app.server).get(`/v1/stems/${victim}`), 404, 'NOT_FOUND');
    expectError(await request(app.server).delete(`/v1/stems/${victim}`), 404, 'NOT_FOUND');

    const after = await search(mix, { instrument: 'synth', k: '10', catalog: 'songs' });
    const remaining = (after.body.results as ResultBody[]).map((r) => r.stem.id);
    expect(remaining).not.toContain(victim);
    expect(remaining).toHaveLength(SONGS - 1);
  });
});

describe('catalog maintenance', () => {
  it('reports stats and compacts deleted entries away', async () => {
    const stats = await request(app.server).get('/v1/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.by_instrument.synth.stems).toBe(SONGS - 1);
    expect(stats.body.deleted_in_index).toBeGreaterThan(0);
    const compacted = await request(app.server).post('/v1/admin/compact');
    expect(compacted.status).toBe(200);
    expect(compacted.body.deleted_in_index).toBe(0);
    expect(compacted.body.index_size).toBe(stats.body.index_size);
    const search = await request(app.server)
      .post('/v1/search')
      .field('instrument', 'synth')
      .field('k', '10')
      .field('catalog', 'songs')
      .attach('file', wavBytes(mixOf(songs[3], ['synth'])), 'mix.wav');
    expect(search.body.results).toHaveLength(SONGS - 1);
  });
});

describe('unknown routes', () => {
  it('answer with the JSON error model', async () => {
    expectError(await request(app.server).get('/v2/nothing'), 404, 'NOT_FOUND');
  });
});
