import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_COUNT_MESSAGE } from '../../src/server/compatibility-search.js';
import { startApp, tempDir, testConfig } from '../helpers/app.js';
import { testModelDir } from '../helpers/model.js';
import { makeSong, mixOf, wavBytes } from '../helpers/songs.js';

/** The `stemdex` CLI as a user runs it: a separate process, configured by environment. */

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

const dir = tempDir();
const stemsDir = join(dir.path, 'stems');
const mixPath = join(dir.path, 'mix.wav');
/** 10 s of digital silence. */
const silentPath = join(dir.path, 'silent.wav');
let env: NodeJS.ProcessEnv;

async function stemdex(args: string[], extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...env, ...extraEnv },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  mkdirSync(join(stemsDir, 'nested'), { recursive: true });
  for (let i = 0; i < 3; i++) {
    const song = makeSong(i, 9, 5);
    const folder = i === 2 ? join(stemsDir, 'nested') : stemsDir;
    writeFileSync(join(folder, `song${i}-bass.wav`), wavBytes(song.stems.bass!));
    if (i === 0) writeFileSync(mixPath, wavBytes(mixOf(song, ['bass'])));
  }
  writeFileSync(join(stemsDir, 'notes.txt'), 'not audio, skipped by folder expansion');
  writeFileSync(silentPath, wavBytes(new Float32Array(10 * 16_000)));
  env = {
    PATH: process.env.PATH,
    STEMDEX_MODEL_DIR: await testModelDir(),
    STEMDEX_DATA_DIR: join(dir.path, 'data'),
    STEMDEX_EXECUTION_PROVIDERS: 'cpu',
    STEMDEX_AUDIO_WORKERS: '1',
    STEMDEX_INTRA_OP_THREADS: '1',
    STEMDEX_LOG_LEVEL: 'warn',
  };
});

afterAll(() => dir.remove());

describe('stemdex ingest + search (in-process)', () => {
  it('ingests a folder recursively with a progress report, then searches it', async () => {
    const ingest = await stemdex(['ingest', stemsDir, '--instrument', 'bass', '--catalog', 'cli']);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stderr).toContain('3/3');
    expect(ingest.stderr).toContain('ingested 3 of 3 files');

    const json = await stemdex(['search', mixPath, '--instrument', 'bass', '-k', '2', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const results = JSON.parse(json.stdout) as Array<{ stem: { instrument: string; external_id: string } }>;
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.stem.instrument).toBe('bass');
      expect(result.stem.external_id).toMatch(/^song[0-2]-bass$/);
    }
  });

  it('fails with a message on bad arguments', async () => {
    const unknown = await stemdex(['search', mixPath, '--instrument', 'kazoo']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('expected one of drums, bass');
    const missing = await stemdex(['ingest', stemsDir]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--instrument');
    const badConfig = await stemdex(['search', mixPath, '--instrument', 'bass'], { STEMDEX_PORT: 'abc' });
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.stderr).toContain('STEMDEX_PORT');
  });

  it('takes k up to the API limit and refuses more with the API message', async () => {
    const deep = await stemdex(['search', mixPath, '--instrument', 'bass', '-k', '100', '--json']);
    expect(deep.code, deep.stderr).toBe(0);
    expect(JSON.parse(deep.stdout)).toHaveLength(3);
    for (const k of ['101', '500']) {
      const refused = await stemdex(['search', mixPath, '--instrument', 'bass', '-k', k]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(RESULT_COUNT_MESSAGE);
    }
  });

  it('refuses a silent mix and a silent stem, saying so', async () => {
    const search = await stemdex(['search', silentPath, '--instrument', 'bass']);
    expect(search.code).toBe(1);
    expect(search.stderr).toContain('digital silence');
    expect(search.stderr).toContain('-60 dBFS');
    const ingest = await stemdex(['ingest', silentPath, '--instrument', 'bass', '--catalog', 'silent']);
    expect(ingest.code).toBe(1);
    expect(ingest.stderr).toContain(`failed: ${silentPath}: the audio is digital silence`);
  });

  it('reports files that fail and exits non-zero', async () => {
    const broken = join(dir.path, 'broken.wav');
    writeFileSync(broken, 'RIFF nonsense');
    const result = await stemdex([
      'ingest',
      broken,
      join(stemsDir, 'song0-bass.wav'),
      '--instrument',
      'bass',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ingested 1 of 2 files');
    expect(result.stderr).toContain(`failed: ${broken}`);
  });
});

describe('stemdex --url (against a running server)', () => {
  let app: FastifyInstance;
  let url: string;
  const serverDir = tempDir();
  const key = 'cli-test-key-0123456789';

  beforeAll(async () => {
    app = await startApp(await testConfig(serverDir.path, { STEMDEX_API_KEYS: key }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await app.close();
    serverDir.remove();
  });

  it('uploads through the HTTP API with an API key and prints remote results as a table', async () => {
    const denied = await stemdex(['ingest', stemsDir, '--instrument', 'bass', '--url', url]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('UNAUTHORIZED');

    const ingest = await stemdex([
      'ingest',
      stemsDir,
      '--instrument',
      'bass',
      '--url',
      url,
      '--api-key',
      key,
    ]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const list = await request(app.server).get('/v1/stems');
    expect(list.body.items).toHaveLength(3);

    const table = await stemdex(['search', mixPath, '--instrument', 'bass', '--url', url]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^#\s+score\s+offset_s\s+stem id\s+external id/);
    expect(lines).toHaveLength(2 + 3);
    expect(table.stdout).toContain('song0-bass');

    // The same k rule and message as in-process, checked before anything is sent.
    const refused = await stemdex(['search', mixPath, '--instrument', 'bass', '--url', url, '-k', '500']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(RESULT_COUNT_MESSAGE);
    const deep = await stemdex([
      'search',
      mixPath,
      '--instrument',
      'bass',
      '--url',
      url,
      '-k',
      '100',
      '--json',
    ]);
    expect(deep.code, deep.stderr).toBe(0);
    expect(JSON.parse(deep.stdout)).toHaveLength(3);
    // A silent mix: the server's 422 SILENT_AUDIO, passed on.
    const silent = await stemdex(['search', silentPath, '--instrument', 'bass', '--url', url]);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain('SILENT_AUDIO (HTTP 422)');
    expect(silent.stderr).toContain('-60 dBFS');
  });
});

interface ServeProcess {
  url: string;
  log: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

async function startServe(dataDir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: REPO_ROOT,
    env: {
      ...env,
      STEMDEX_DATA_DIR: dataDir,
      STEMDEX_HOST: '127.0.0.1',
      STEMDEX_PORT: '0',
      STEMDEX_LOG_LEVEL: 'info',
    },
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    exited.then(() => {
      clearInterval(timer);
      reject(new Error(`server exited early: ${log}`));
    });
  });
  return { url, log: () => log, exited, kill: (signal) => child.kill(signal) };
}

async function uploadBass(url: string, bytes: Uint8Array): Promise<Response> {
  const form = new FormData();
  form.set('instrument', 'bass');
  form.set('file', new Blob([bytes]), 'bass.wav');
  return fetch(`${url}/v1/stems`, { method: 'POST', body: form });
}

describe('stemdex serve', () => {
  it('serves until SIGTERM, then finishes, snapshots the index and exits 0', async () => {
    const dataDir = join(dir.path, 'serve-data');
    const server = await startServe(dataDir);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const upload = await uploadBass(server.url, readFileSync(join(stemsDir, 'song0-bass.wav')));
    expect(upload.status).toBe(201);
    // The server owns the data directory: in-process commands are refused with a pointer to --url.
    const inProcess = await stemdex(['search', mixPath, '--instrument', 'bass'], {
      STEMDEX_DATA_DIR: dataDir,
    });
    expect(inProcess.code).toBe(1);
    expect(inProcess.stderr).toContain('--url');

    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.log()).toContain('shutdown complete');
    expect(existsSync(join(dataDir, 'index', 'CURRENT'))).toBe(true);
  });

  it('loses no acknowledged stem when killed with SIGKILL during ingestion', async () => {
    const dataDir = join(dir.path, 'crash-data');
    const server = await startServe(dataDir);
    const bytes = readFileSync(join(stemsDir, 'song1-bass.wav'));
    const acknowledged: string[] = [];
    let chunkCount = 0;
    let killed = false;
    // Four clients upload in a loop; the server dies mid-stream after the 6th acknowledgement.
    const clients = Array.from({ length: 4 }, async () => {
      while (!killed) {
        const response = await uploadBass(server.url, bytes).catch(() => null);
        if (response?.status !== 201) continue;
        const stem = (await response.json()) as { id: string; chunk_count: number };
        acknowledged.push(stem.id);
        chunkCount = stem.chunk_count;
        if (acknowledged.length === 6 && !killed) {
          killed = true;
          server.kill('SIGKILL');
        }
      }
    });
    await Promise.all(clients);
    await server.exited;

    const restarted = await startServe(dataDir);
    try {
      for (const id of acknowledged)
        expect((await fetch(`${restarted.url}/v1/stems/${id}`)).status).toBe(200);
      const list = (await (await fetch(`${restarted.url}/v1/stems?limit=1000`)).json()) as {
        items: Array<{ id: string; chunk_count: number }>;
      };
      // Uploads in flight at the kill may or may not have committed, but none is half-written.
      expect(list.items.length).toBeGreaterThanOrEqual(acknowledged.length);
      for (const item of list.items) expect(item.chunk_count).toBe(chunkCount);
      const form = new FormData();
      form.set('instrument', 'bass');
      form.set('k', '100');
      form.set('file', new Blob([readFileSync(mixPath)]), 'mix.wav');
      const search = (await (
        await fetch(`${restarted.url}/v1/search`, { method: 'POST', body: form })
      ).json()) as {
        results: Array<{ stem: { id: string } }>;
      };
      const found = new Set(search.results.map((result) => result.stem.id));
      for (const id of acknowledged) expect(found.has(id)).toBe(true);
    } finally {
      restarted.kill('SIGTERM');
      await restarted.exited;
    }
  });
});
