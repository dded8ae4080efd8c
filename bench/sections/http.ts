import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { makeSong, mixOf, wavBytes } from '../../test/helpers/songs.js';
import { type ServeProcess, startServe } from '../../test/reliability/serve-process.js';
import { type Cell, round, type Table } from '../report.js';

const CONCURRENCY = [1, 4, 16];
const CATALOG_SONGS = 8;

/** A multipart body exactly as a browser or curl would send it. */
async function multipartBody(fields: Record<string, string>, file: Uint8Array, filename: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([file]), filename);
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

async function populate(server: ServeProcess): Promise<void> {
  for (let id = 0; id < CATALOG_SONGS; id++) {
    const song = makeSong(id, 16, 5);
    for (const [instrument, signal] of Object.entries(song.stems)) {
      const { body, contentType } = await multipartBody(
        { instrument },
        wavBytes(signal),
        `${id}-${instrument}.wav`,
      );
      const response = await fetch(`${server.url}/v1/stems`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      if (response.status !== 201)
        throw new Error(`populating the catalog failed: ${response.status} ${await response.text()}`);
    }
  }
}

export async function httpSection(options: {
  modelDir: string;
  seconds: number;
  log: (line: string) => void;
}): Promise<Table[]> {
  const query = mixOf(makeSong(1000, 8, 5), ['bass']);
  const { body, contentType } = await multipartBody(
    { instrument: 'bass', k: '10' },
    wavBytes(query),
    'mix.wav',
  );
  const rows: Cell[][] = [];
  for (const [mode, batchMaxSize] of [
    ['on (≤16, 5 ms)', '16'],
    ['off (batch 1)', '1'],
  ] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), 'stemdex-bench-http-'));
    options.log(`http: micro-batching ${mode}`);
    const server = await startServe({
      STEMDEX_MODEL_DIR: options.modelDir,
      STEMDEX_DATA_DIR: dataDir,
      STEMDEX_EXECUTION_PROVIDERS: 'cpu',
      STEMDEX_BATCH_MAX_SIZE: batchMaxSize,
      STEMDEX_RATE_LIMIT_MAX: '100000000',
      STEMDEX_LOG_LEVEL: 'info',
    });
    try {
      await populate(server);
      // Warm-up: the first searches pay for lazy initialisation, not for serving.
      for (let i = 0; i < 3; i++) {
        await fetch(`${server.url}/v1/search`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        });
      }
      for (const connections of CONCURRENCY) {
        const result = await autocannon({
          url: `${server.url}/v1/search`,
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
          connections,
          duration: options.seconds,
          timeout: 60,
        });
        rows.push([
          mode,
          connections,
          round(result.requests.average, 1),
          round(result.latency.p50, 0),
          round(result.latency.p99, 0),
          result['2xx'],
          result.non2xx + result.errors + result.timeouts,
        ]);
      }
    } finally {
      server.kill('SIGTERM');
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return [
    {
      title: 'HTTP: POST /v1/search under concurrent load (autocannon, loopback)',
      columns: ['micro-batching', 'clients', 'requests/s', 'p50 ms', 'p99 ms', '2xx', 'errors + non-2xx'],
      rows,
      notes: [
        `\`stemdex serve\` child process (default threads), catalog of ${CATALOG_SONGS * 4} stems (${CATALOG_SONGS} generated songs × 4 stems, 16 s each); each request uploads an 8 s 16-bit mono WAV mix (one chunk) and asks for the top 10 bass stems.`,
        `${options.seconds} s per row; the load generator shares the machine's cores with the server.`,
        '"off" sets STEMDEX_BATCH_MAX_SIZE=1: every chunk runs as its own model call.',
      ],
    },
  ];
}
