import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/app.js';
import { testModelDir } from '../helpers/model.js';
import { makeSong, wavBytes } from '../helpers/songs.js';
import { type LogLine, REPO_ROOT, type ServeProcess, startServe, withMessage } from './serve-process.js';

/**
 * SIGTERM as Kubernetes sends it to `stemdex serve`: stop taking work, let in-flight requests and
 * each ingestion worker's current file finish, write the index snapshot, exit 0 within the grace
 * period; whatever a job had not started resumes on the next start.
 */

const JOB_FILES = 24;
const GRACE_MS = 30_000;

const dir = tempDir('stemdex-shutdown-');
const ingestRoot = join(dir.path, 'library');
let baseEnv: Record<string, string>;
let uploadBytes: Buffer;

beforeAll(async () => {
  mkdirSync(ingestRoot, { recursive: true });
  for (let i = 0; i < JOB_FILES; i++) {
    writeFileSync(join(ingestRoot, `bass-${i}.wav`), wavBytes(makeSong(i, 9, 3).stems.bass!));
  }
  uploadBytes = wavBytes(makeSong(99, 30, 3).stems.bass!);
  baseEnv = {
    STEMDEX_MODEL_DIR: await testModelDir(),
    STEMDEX_INGEST_ROOT: ingestRoot,
    STEMDEX_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    STEMDEX_SNAPSHOT_INTERVAL_MS: '0',
  };
});

afterAll(() => dir.remove());

interface JobJson {
  id: string;
  state: string;
  totals: { total: number; pending: number; running: number; done: number; failed: number };
}

async function submitJob(url: string): Promise<JobJson> {
  const response = await fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instrument: 'bass',
      items: Array.from({ length: JOB_FILES }, (_, i) => ({ path: `bass-${i}.wav` })),
    }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as JobJson;
}

async function pollJob(url: string, id: string, until: (job: JobJson) => boolean): Promise<JobJson> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobJson;
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job never reached the state wanted: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function upload(url: string): Promise<Response> {
  const form = new FormData();
  form.set('instrument', 'bass');
  form.set('file', new Blob([uploadBytes]), 'long-bass.wav');
  return fetch(`${url}/v1/stems`, { method: 'POST', body: form });
}

const lastLogLines = (server: ServeProcess) =>
  server
    .logs()
    .slice(-12)
    .map((line) => JSON.stringify(line))
    .join('\n');

/** The image's HEALTHCHECK command, run against a server's port; resolves to its exit code. */
function containerHealthcheck(url: string): Promise<number> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['docker/healthcheck.mjs'],
      { cwd: REPO_ROOT, env: { STEMDEX_PORT: port, STEMDEX_HOST: hostname } },
      (error) => resolve(error === null ? 0 : Number((error as { code?: number }).code ?? 1)),
    );
  });
}

const isUploadArrival = (line: LogLine) => {
  const req = line.req as { method?: string; url?: string } | undefined;
  return line.msg === 'incoming request' && req?.method === 'POST' && req.url === '/v1/stems';
};

describe('stemdex serve on SIGTERM', () => {
  it('finishes in-flight work, snapshots, exits 0 in time, and resumes the rest on restart', async () => {
    const env = { ...baseEnv, STEMDEX_DATA_DIR: join(dir.path, 'graceful') };
    const server = await startServe(env);
    let restarted: ServeProcess | undefined;
    try {
      expect(await containerHealthcheck(server.url)).toBe(0);
      const job = await submitJob(server.url);
      await pollJob(server.url, job.id, (state) => state.totals.done >= 1);
      const uploaded = upload(server.url);
      await server.waitForLog(isUploadArrival);

      const signalledAt = Date.now();
      server.kill('SIGTERM');
      const response = await uploaded;
      expect(response.status).toBe(201);
      const stem = (await response.json()) as { id: string };
      const exit = await server.exited;
      expect(exit.code, lastLogLines(server)).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(GRACE_MS);
      await server.waitForLog(withMessage('shutdown complete'), 0);
      expect(await containerHealthcheck(server.url)).toBe(1);

      restarted = await startServe(env);
      // No item was left half-done (`running`): each worker finished its current file before exit.
      const resumed = await restarted.waitForLog(withMessage('resuming ingestion jobs'));
      expect(resumed).toMatchObject({ jobs: 1, requeued: 0 });
      // The shutdown snapshot already held every committed chunk: nothing to catch up.
      const loaded = await restarted.waitForLog(withMessage('catalog: ANN indexes loaded from snapshot'));
      expect(loaded).toMatchObject({ added: 0, removed: 0 });
      expect((await fetch(`${restarted.url}/v1/stems/${stem.id}`)).status).toBe(200);

      const finished = await pollJob(restarted.url, job.id, (state) => state.state === 'completed');
      expect(finished.totals).toMatchObject({ total: JOB_FILES, done: JOB_FILES, failed: 0 });
    } finally {
      server.kill('SIGKILL');
      restarted?.kill('SIGTERM');
      expect((await restarted?.exited)?.code ?? 0).toBe(0);
    }
  });

  it('exits 1 with a log line when in-flight work outlasts the grace period', async () => {
    const env = { ...baseEnv, STEMDEX_DATA_DIR: join(dir.path, 'impatient'), STEMDEX_SHUTDOWN_GRACE_MS: '1' };
    const server = await startServe(env);
    try {
      const uploaded = upload(server.url).catch(() => null);
      await server.waitForLog(isUploadArrival);
      server.kill('SIGTERM');
      expect((await server.exited).code, lastLogLines(server)).toBe(1);
      await server.waitForLog(withMessage('shutdown grace period over, exiting'), 0);
      await uploaded;
    } finally {
      server.kill('SIGKILL');
    }
  });
});
