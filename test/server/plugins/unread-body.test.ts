import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardUnreadBody } from '../../../src/server/plugins/unread-body.js';
import { startApp, tempDir, testConfig } from '../../helpers/app.js';

const BOUNDARY = 'stemdex-test-boundary';
const encode = (text: string) => new TextEncoder().encode(text);

/** A multipart upload whose file part arrives in pieces, like a large file on a real network. */
function slowUpload(pieces: number, pieceBytes: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      controller.enqueue(
        encode(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="instrument"\r\n\r\nbass\r\n` +
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n` +
            'Content-Type: audio/wav\r\n\r\n',
        ),
      );
      for (let i = 0; i < pieces; i++) {
        // The server has already answered by the time later pieces are written.
        await sleep(20);
        controller.enqueue(new Uint8Array(pieceBytes));
      }
      controller.enqueue(encode(`\r\n--${BOUNDARY}--\r\n`));
      controller.close();
    },
  });
}

describe('error replies to uploads the server will not read', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    app = await startApp(await testConfig(dir.path, { STEMDEX_API_KEYS: 'unread-body-key-0123456789' }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('reach a client still sending its upload, as our JSON error on a reusable connection', async () => {
    const response = await fetch(new URL('/v1/stems', url), {
      method: 'POST',
      body: slowUpload(20, 256 * 1024),
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(response.headers.get('connection')).not.toBe('close');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });
});

describe('discardUnreadBody', () => {
  it('stops waiting once more than the byte limit has been thrown away', async () => {
    let produced = 0;
    const endless = new Readable({
      // Like a socket, data arrives on later turns of the event loop, not in one synchronous burst.
      read() {
        setImmediate(() => {
          produced += 1024;
          this.push(Buffer.alloc(1024));
        });
      },
    });
    await discardUnreadBody(endless as unknown as IncomingMessage, { maxBytes: 64 * 1024, maxMs: 60_000 });
    expect(produced).toBeGreaterThan(64 * 1024);
    expect(produced).toBeLessThan(1024 * 1024);
    endless.destroy();
  });

  it('stops waiting after the time limit when the client stalls', async () => {
    const stalled = new Readable({ read() {} });
    const started = Date.now();
    await discardUnreadBody(stalled as unknown as IncomingMessage, { maxBytes: 1024, maxMs: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    stalled.destroy();
  });
});
