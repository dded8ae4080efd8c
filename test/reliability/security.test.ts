import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, tempDir, testConfig } from '../helpers/app.js';
import { makeSong, wavBytes } from '../helpers/songs.js';
import { reportFigures } from './scale.js';

/** Security properties checked over real sockets: auth on every write route, ingest-root confinement, early cut-off. */

const API_KEY = 'reliability-key-0123456789abcdef';
const MAX_UPLOAD_BYTES = 1_000_000;
/** POST routes that only read the catalog (a search uploads audio but stores nothing). */
/** No key, a wrong key, a wrong bearer token. */
const ATTEMPTS: Array<Record<string, string>> = [
  {},
  { 'x-api-key': 'wrong-key-0123456789abcdef' },
  { authorization: 'Bearer nope' },
];
const READ_ONLY_POSTS = new Set(['/v1/search', '/v1/stems/{id}/compatible']);

let app: FastifyInstance;
let base: string;
let port: number;
let dir: { path: string; remove: () => void };
let root: string;

beforeAll(async () => {
  dir = tempDir('stemdex-security-');
  root = join(dir.path, 'root');
  mkdirSync(join(root, 'ok'), { recursive: true });
  writeFileSync(join(root, 'ok', 'bass.wav'), wavBytes(makeSong(1, 4).stems.bass!));
  const outside = join(dir.path, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.wav'), wavBytes(makeSong(2, 4).stems.bass!));
  symlinkSync(join(outside, 'secret.wav'), join(root, 'link-to-secret.wav'));
  symlinkSync(outside, join(root, 'link-dir'));
  const config = await testConfig(join(dir.path, 'data'), {
    STEMDEX_API_KEYS: API_KEY,
    STEMDEX_INGEST_ROOT: root,
    STEMDEX_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    STEMDEX_MAX_FILES_PER_REQUEST: '2',
    STEMDEX_RATE_LIMIT_MAX: '1000000',
  });
  app = await startApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await app?.close();
  dir?.remove();
});

const keyed = { 'x-api-key': API_KEY };

describe('API keys', () => {
  it('guard every write route in the OpenAPI document', async () => {
    const spec = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    let writeRoutes = 0;
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const method of Object.keys(operations)) {
        if (method === 'get' || method === 'head' || method === 'options') continue;
        if (method === 'post' && READ_ONLY_POSTS.has(path)) continue;
        const url = `${base}${path.replace(/\{[^}]+\}/g, 'some-id')}`;
        for (const headers of ATTEMPTS) {
          const response = await fetch(url, { method: method.toUpperCase(), headers });
          expect({ route: `${method} ${path}`, status: response.status }).toEqual({
            route: `${method} ${path}`,
            status: 401,
          });
          expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
        }
        writeRoutes++;
      }
    }
    expect(writeRoutes).toBeGreaterThanOrEqual(4);
    reportFigures('auth', { writeRoutesChecked: writeRoutes, attemptsPerRoute: 3 });
  });
});

describe('manifest ingestion', () => {
  it('refuses every path that leaves the ingest root and creates no job for it', async () => {
    const attempts = [
      '../outside/secret.wav',
      'ok/../../outside/secret.wav',
      '/etc/passwd',
      join(dir.path, 'outside', 'secret.wav'),
      'link-to-secret.wav',
      'link-dir/secret.wav',
      'ok/bass.wav\0.txt',
      '..',
      '.',
      'ok/../..',
      '%2e%2e/outside/secret.wav',
      'ok\\..\\..\\outside\\secret.wav',
      'ok/',
    ];
    for (const path of attempts) {
      const response = await fetch(`${base}/v1/ingest`, {
        method: 'POST',
        headers: { ...keyed, 'content-type': 'application/json' },
        body: JSON.stringify({ instrument: 'bass', items: [{ path }] }),
      });
      const body = (await response.json()) as { error?: { code: string } };
      expect({ path, status: response.status }).toEqual({
        path,
        status: expect.toSatisfy((s: number) => s >= 400 && s < 500),
      });
      expect(['PATH_NOT_ALLOWED', 'FILE_NOT_FOUND', 'VALIDATION_FAILED']).toContain(body.error?.code);
    }
    // The one legitimate path still works.
    const fine = await fetch(`${base}/v1/ingest`, {
      method: 'POST',
      headers: { ...keyed, 'content-type': 'application/json' },
      body: JSON.stringify({ instrument: 'bass', items: [{ path: 'ok/bass.wav' }] }),
    });
    expect(fine.status).toBe(202);
    reportFigures('path traversal', { attempts: attempts.length, accepted: 0 });
  });
});

/**
 * Writes a request over a raw socket and keeps streaming body bytes until the server answers;
 * returns the status line and how many body bytes had been sent by then.
 */
function streamUntilAnswered(
  head: string,
  maxBytes: number,
): Promise<{ status: number; sentBytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    let done = false;
    const finish = () => {
      if (done) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status === undefined) return;
      done = true;
      socket.destroy();
      resolve({ status: Number(status), sentBytes: sent, head: answer.split('\r\n\r\n')[0] ?? '' });
    };
    socket.on('data', (data) => {
      answer += data.toString('latin1');
      finish();
    });
    socket.on('error', (error) => {
      if (!done && answer === '') reject(error);
      else finish();
    });
    socket.on('close', () => {
      if (!done) reject(new Error(`connection closed without an answer after ${sent} bytes`));
    });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      if (!done && sent >= maxBytes && head.includes('chunked')) socket.write('0\r\n\r\n');
      while (!done && sent < maxBytes) {
        sent += chunk.length;
        const frame = head.includes('chunked')
          ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
          : chunk;
        if (!socket.write(frame)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
  });
}

describe('oversized bodies', () => {
  it('are refused from the declared length before the body is read', async () => {
    const head =
      `POST /v1/stems HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${API_KEY}\r\n` +
      'content-type: multipart/form-data; boundary=zz\r\ncontent-length: 500000000\r\n\r\n';
    const { status, sentBytes } = await streamUntilAnswered(head, 500_000_000);
    expect(status).toBe(413);
    // Answered long before the 500 MB were sent.
    expect(sentBytes).toBeLessThan(50 * MAX_UPLOAD_BYTES);
    reportFigures('declared oversize', { status, bodyBytesSentBeforeAnswer: sentBytes });
  });

  it('are cut off while streaming when no length is declared', async () => {
    const partHead =
      `POST /v1/stems HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${API_KEY}\r\n` +
      'content-type: multipart/form-data; boundary=zz\r\ntransfer-encoding: chunked\r\n\r\n';
    const preamble = '--zz\r\ncontent-disposition: form-data; name="file"; filename="big.wav"\r\n\r\n';
    const chunkedPreamble = `${Buffer.byteLength(preamble).toString(16)}\r\n${preamble}\r\n`;
    const { status, sentBytes, head } = await streamUntilAnswered(
      partHead + chunkedPreamble,
      100 * MAX_UPLOAD_BYTES,
    );
    expect(status).toBe(413);
    // A body refused for its size is not waited for: the server closes the connection.
    expect(head).toMatch(/^connection: close$/im);
    expect(sentBytes).toBeLessThan(20 * MAX_UPLOAD_BYTES);
    reportFigures('streamed oversize', {
      status,
      bodyBytesSentBeforeAnswer: sentBytes,
      limit: MAX_UPLOAD_BYTES,
    });
  });

  it('leave keep-alive alone for errors on requests without a body', async () => {
    const response = await fetch(`${base}/v1/stems/no-such-stem`);
    expect(response.status).toBe(404);
    expect(response.headers.get('connection')).toBe('keep-alive');
  });

  it('refuse a JSON manifest over the body limit', async () => {
    const items = Array.from({ length: 40_000 }, (_, i) => ({ path: `ok/${'x'.repeat(20)}${i}.wav` }));
    const response = await fetch(`${base}/v1/ingest`, {
      method: 'POST',
      headers: { ...keyed, 'content-type': 'application/json' },
      body: JSON.stringify({ instrument: 'bass', items }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
