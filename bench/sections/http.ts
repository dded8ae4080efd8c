import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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

const MODES = [
  { name: 'on (≤16, never waits)', batchMaxSize: '16' },
  { name: 'off (batch 1)', batchMaxSize: '1' },
] as const;

type Mode = (typeof MODES)[number];

interface Run {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  load: number;
}

/**
 * Both servers run side by side (an idle server costs no CPU) and the load alternates between
 * them, round after round, so that a change in the machine's load hits both modes alike.
 */
export async function httpSection(options: {
  modelDir: string;
  seconds: number;
  rounds: number;
  log: (line: string) => void;
}): Promise<Table[]> {
  const query = mixOf(makeSong(1000, 8, 5), ['bass']);
  const { body, contentType } = await multipartBody(
    { instrument: 'bass', k: '10' },
    wavBytes(query),
    'mix.wav',
  );
  const dataDirs: string[] = [];
  const servers = new Map<Mode, ServeProcess>();
  const runs = new Map<string, Run[]>();
  try {
    for (const mode of MODES) {
      const dataDir = mkdtempSync(join(tmpdir(), 'stemdex-bench-http-'));
      dataDirs.push(dataDir);
      options.log(`http: starting the server with micro-batching ${mode.name}`);
      const server = await startServe({
        STEMDEX_MODEL_DIR: options.modelDir,
        STEMDEX_DATA_DIR: dataDir,
        STEMDEX_EXECUTION_PROVIDERS: 'cpu',
        STEMDEX_BATCH_MAX_SIZE: mode.batchMaxSize,
        STEMDEX_RATE_LIMIT_MAX: '100000000',
        STEMDEX_LOG_LEVEL: 'info',
      });
      servers.set(mode, server);
      await populate(server);
      // Warm-up: the first searches pay for lazy initialisation, not for serving.
      for (let i = 0; i < 3; i++) {
        await fetch(`${server.url}/v1/search`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        });
      }
    }
    for (const connections of CONCURRENCY) {
      for (let round = 0; round < options.rounds; round++) {
        // Alternate which mode goes first, so neither always follows the other.
        const order = round % 2 === 0 ? MODES : [...MODES].reverse();
        for (const mode of order) {
          options.log(`http: ${connections} clients, round ${round + 1}, batching ${mode.name}`);
          const load = loadavg()[0] ?? 0;
          const result = await autocannon({
            url: `${servers.get(mode)!.url}/v1/search`,
            method: 'POST',
            headers: { 'content-type': contentType },
            body,
            connections,
            duration: options.seconds,
            timeout: 60,
          });
          const key = `${mode.name}/${connections}`;
          runs.set(key, [
            ...(runs.get(key) ?? []),
            {
              requestsPerSecond: result.requests.average,
              p50: result.latency.p50,
              p99: result.latency.p99,
              ok: result['2xx'],
              failed: result.non2xx + result.errors + result.timeouts,
              load,
            },
          ]);
        }
      }
    }
  } finally {
    for (const server of servers.values()) {
      server.kill('SIGTERM');
      await server.exited;
    }
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
  const rows: Cell[][] = [];
  for (const connections of CONCURRENCY) {
    for (const mode of MODES) {
      const list = runs.get(`${mode.name}/${connections}`) ?? [];
      const mean = (pick: (run: Run) => number) =>
        list.reduce((sum, run) => sum + pick(run), 0) / list.length;
      rows.push([
        mode.name,
        connections,
        round(
          mean((run) => run.requestsPerSecond),
          1,
        ),
        list.map((run) => round(run.requestsPerSecond, 1)).join(' / '),
        round(
          mean((run) => run.p50),
          0,
        ),
        round(Math.max(...list.map((run) => run.p99)), 0),
        list.reduce((sum, run) => sum + run.ok, 0),
        list.reduce((sum, run) => sum + run.failed, 0),
        list.map((run) => round(run.load, 1)).join(' / '),
      ]);
    }
  }
  return [
    {
      title: 'HTTP: POST /v1/search under concurrent load (autocannon, loopback)',
      columns: [
        'micro-batching',
        'clients',
        'requests/s (mean)',
        'requests/s per round',
        'p50 ms (mean)',
        'p99 ms (worst)',
        '2xx',
        'errors + non-2xx',
        'load avg per round',
      ],
      rows,
      notes: [
        `Two \`stemdex serve\` child processes (default threads), one per mode, each with a catalog of ${CATALOG_SONGS * 4} stems (${CATALOG_SONGS} generated songs × 4 stems, 16 s each); each request uploads an 8 s 16-bit mono WAV mix (one chunk) and asks for the top 10 bass stems.`,
        `${options.seconds} s per run, ${options.rounds} rounds per row; the modes alternate run by run (and which goes first alternates by round), so both see the same machine load. The load generator shares the machine's cores with the servers; "load avg" is the 1-minute load average when each run started.`,
        '"off" sets STEMDEX_BATCH_MAX_SIZE=1: every chunk runs as its own model call. "on" batches only chunks that are already waiting when the model becomes free; it never waits for more.',
      ],
    },
  ];
}
