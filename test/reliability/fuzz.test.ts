import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, tempDir, testConfig } from '../helpers/app.js';
import { fuzzFiles } from './fuzz-inputs.js';
import { byScale, reportFigures, seededRandom } from './scale.js';

/**
 * Fuzzed uploads against a live server (real sockets): every malformed input must be answered
 * with a JSON error (or, if the mutation left a decodable file, a normal success), never a 5xx or a
 * crash, and memory must stay bounded.
 */

const MAX_UPLOAD_BYTES = 2_000_000;
/** RSS may grow this much over the whole fuzz run (model + decoders are loaded before the baseline). */
const RSS_GROWTH_BOUND_MB = 256;

let app: FastifyInstance;
let base: string;
let dir: { path: string; remove: () => void };

beforeAll(async () => {
  dir = tempDir('stemdex-fuzz-');
  const config = await testConfig(dir.path, {
    STEMDEX_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    STEMDEX_MAX_AUDIO_SECONDS: '30',
    STEMDEX_MAX_FILES_PER_REQUEST: '4',
    STEMDEX_RATE_LIMIT_MAX: '1000000',
  });
  app = await startApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  dir?.remove();
});

interface Outcome {
  status: number;
  body: unknown;
}

async function send(path: string, init: RequestInit): Promise<Outcome> {
  const response = await fetch(`${base}${path}`, { method: 'POST', ...init });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Left as text: the assertion below reports it.
  }
  return { status: response.status, body };
}

function upload(path: string, filename: string, bytes: Uint8Array, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set('instrument', 'bass');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([bytes]), filename);
  return send(path, { body: form });
}

function isJsonError(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } })?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** The contract for a hostile input: a JSON 4xx; a 2xx is allowed only where noted by the caller. */
function check(label: string, outcome: Outcome, allowSuccess: boolean): 'accepted' | 'refused' {
  const ok = allowSuccess && outcome.status >= 200 && outcome.status < 300;
  if (ok) return 'accepted';
  expect(
    { label, status: outcome.status, jsonError: isJsonError(outcome.body) },
    JSON.stringify(outcome.body).slice(0, 300),
  ).toEqual({ label, status: expect.toSatisfy((s: number) => s >= 400 && s < 500), jsonError: true });
  return 'refused';
}

async function alive(): Promise<void> {
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
}

describe('fuzzed uploads', () => {
  it(
    'answer every malformed audio file with a JSON 4xx (or decode it), never a 5xx, with bounded memory',
    async () => {
      // Warm-up: decoders and model paths allocated before the baseline.
      const random = seededRandom(20_241_125);
      // 9 inputs per mutation count plus 33 fixed ones: 87 in CI, 10,005 at full scale.
      const files = fuzzFiles(random, byScale(6, 1108));
      await upload('/v1/search', files[1]!.filename, files[1]!.bytes);
      const rssBefore = process.memoryUsage().rss / 1e6;
      let accepted = 0;
      let refused = 0;
      for (const [i, file] of files.entries()) {
        const route = i % 2 === 0 ? '/v1/search' : '/v1/stems';
        // Inputs that cannot hold decodable audio must be refused; mutations may survive as audio.
        const mustRefuse =
          file.bytes.length <= 44 ||
          file.label.startsWith('random') ||
          file.label.startsWith('wav declared size 0');
        const outcome = await upload(route, file.filename, file.bytes);
        if (check(`${file.label} → ${route}`, outcome, !mustRefuse) === 'accepted') accepted++;
        else refused++;
      }
      await alive();
      const rssGrowth = process.memoryUsage().rss / 1e6 - rssBefore;
      reportFigures('fuzzed audio uploads', {
        cases: files.length,
        refused4xx: refused,
        decodedAnyway: accepted,
        server5xx: 0,
        rssGrowthMb: Math.round(rssGrowth),
        rssBoundMb: RSS_GROWTH_BOUND_MB,
      });
      expect(rssGrowth).toBeLessThan(RSS_GROWTH_BOUND_MB);
    },
    byScale(60_000, 3_600_000),
  );

  it('refuse wrong content types and malformed multipart with JSON 4xx', async () => {
    const wav = fuzzFiles(seededRandom(1), 0).find((f) => f.label === 'wav truncated at 100')!.bytes;
    const cases: Array<[string, RequestInit]> = [
      ['json body', { headers: { 'content-type': 'application/json' }, body: '{"instrument":"bass"}' }],
      ['audio/wav body', { headers: { 'content-type': 'audio/wav' }, body: wav }],
      ['text/plain', { headers: { 'content-type': 'text/plain' }, body: 'hello' }],
      ['no content type', { body: wav }],
      ['multipart without boundary', { headers: { 'content-type': 'multipart/form-data' }, body: 'x' }],
      [
        'multipart, wrong boundary',
        { headers: { 'content-type': 'multipart/form-data; boundary=abc' }, body: '--xyz\r\n\r\n--xyz--' },
      ],
      [
        'multipart, unterminated part',
        {
          headers: { 'content-type': 'multipart/form-data; boundary=b' },
          body: '--b\r\ncontent-disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF',
        },
      ],
      [
        'multipart, no parts',
        { headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b--\r\n' },
      ],
      ['malformed json', { headers: { 'content-type': 'application/json' }, body: '{"items": [' }],
    ];
    let tried = 0;
    for (const route of ['/v1/stems', '/v1/search', '/v1/ingest']) {
      for (const [label, init] of cases) {
        check(`${label} → ${route}`, await send(route, init), false);
        tried++;
      }
    }
    await alive();
    reportFigures('content types and malformed multipart', { cases: tried, server5xx: 0 });
  });

  it('refuse multipart abuse: many parts, huge fields, too many files, oversized files', async () => {
    const random = seededRandom(7);
    const small = new Uint8Array(1000).map(() => Math.floor(random() * 256));
    const manyFields = new FormData();
    for (let i = 0; i < 500; i++) manyFields.append(`field${i}`, 'x');
    manyFields.set('file', new Blob([small]), 'a.wav');
    const hugeField = new FormData();
    hugeField.set('instrument', 'bass');
    hugeField.set('metadata', `{"a":"${'x'.repeat(2_000_000)}"}`);
    hugeField.set('file', new Blob([small]), 'a.wav');
    const hugeName = new FormData();
    hugeName.set('x'.repeat(100_000), 'bass');
    const manyFiles = new FormData();
    manyFiles.set('instrument', 'bass');
    for (let i = 0; i < 50; i++) manyFiles.append('file', new Blob([small]), `f${i}.wav`);
    const bigFile = new FormData();
    bigFile.set('instrument', 'bass');
    bigFile.set('file', new Blob([new Uint8Array(MAX_UPLOAD_BYTES + 1)]), 'big.wav');
    const repeatedInstrument = new FormData();
    for (const name of ['bass', 'drums', 'bass']) repeatedInstrument.append('instrument', name);
    repeatedInstrument.set('file', new Blob([small]), 'a.wav');
    const bogusFields = new FormData();
    bogusFields.set('instrument', '../../etc');
    bogusFields.set('k', '-1');
    bogusFields.set('metadata', '[1,2');
    bogusFields.set('file', new Blob([small]), '../../../etc/passwd');
    const forms: Array<[string, FormData]> = [
      ['500 fields', manyFields],
      ['2 MB field value', hugeField],
      ['100 kB field name', hugeName],
      ['50 files', manyFiles],
      ['file over the size limit', bigFile],
      ['repeated instrument field', repeatedInstrument],
      ['bogus field values', bogusFields],
    ];
    let tried = 0;
    for (const route of ['/v1/stems', '/v1/search', '/v1/ingest']) {
      for (const [label, form] of forms) {
        check(`${label} → ${route}`, await send(route, { body: form }), false);
        tried++;
      }
    }
    await alive();
    reportFigures('multipart abuse', { cases: tried, server5xx: 0 });
  });
});
