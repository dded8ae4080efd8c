import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/app.js';
import { testModelDir } from '../helpers/model.js';
import { makeSong, wavBytes } from '../helpers/songs.js';
import { byScale, reportFigures, seededRandom } from './scale.js';
import { type ServeProcess, startServe } from './serve-process.js';
import { listAllStems, queryMix, type SearchHit, search, stats } from './service-client.js';

/**
 * kill -9 at random points of a batch-ingestion job, repeatedly, through the real `stemdex serve`
 * process. After every restart each stem the server had stored before the kill is still there;
 * the job resumes and completes with every file ingested exactly once; the index the crashed
 * server recovered answers searches exactly like an index rebuilt from the store.
 */

// Full scale: 160 files, so 50 kills (each after 0-3 more finished files) land inside the job.
const SONGS = byScale(6, 40);
const SONG_SECONDS = 12;
const KILLS = byScale(3, 50);
const INSTRUMENTS = ['drums', 'bass', 'piano', 'synth'];

let dir: { path: string; remove: () => void };
let env: Record<string, string>;
const files: Array<{ path: string; instrument: string; externalId: string }> = [];
let server: ServeProcess | undefined;

beforeAll(async () => {
  dir = tempDir('stemdex-faults-');
  const root = join(dir.path, 'ingest-root');
  mkdirSync(join(root, 'stems'), { recursive: true });
  for (let id = 0; id < SONGS; id++) {
    for (const [instrument, signal] of Object.entries(makeSong(id, SONG_SECONDS, 13).stems)) {
      const externalId = `song${id}-${instrument}`;
      writeFileSync(join(root, 'stems', `${externalId}.wav`), wavBytes(signal));
      files.push({ path: `stems/${externalId}.wav`, instrument, externalId });
    }
  }
  env = {
    STEMDEX_MODEL_DIR: await testModelDir(),
    STEMDEX_DATA_DIR: join(dir.path, 'data'),
    STEMDEX_INGEST_ROOT: root,
    STEMDEX_EXECUTION_PROVIDERS: 'cpu',
    STEMDEX_AUDIO_WORKERS: '1',
    // Frequent snapshots, so kills also land during snapshot writes.
    STEMDEX_SNAPSHOT_INTERVAL_MS: '300',
    STEMDEX_RATE_LIMIT_MAX: '1000000',
    // One manifest carries every file (160 at full scale).
    STEMDEX_MAX_FILES_PER_REQUEST: String(files.length),
  };
}, 120_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  if (server) await server.exited;
  dir?.remove();
});

interface JobJson {
  id: string;
  state: string;
  totals: { total: number; done: number; failed: number };
  errors: unknown[];
}

async function job(url: string, id: string): Promise<JobJson> {
  const response = await fetch(`${url}/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as JobJson;
}

const byQuery = async (url: string, mix: Uint8Array) =>
  Object.fromEntries(
    await Promise.all(
      INSTRUMENTS.map(async (instrument) => [instrument, await search(url, instrument, mix)] as const),
    ),
  ) as Record<string, SearchHit[]>;

function comparable(results: Record<string, SearchHit[]>) {
  return Object.fromEntries(
    Object.entries(results).map(([instrument, hits]) => [
      instrument,
      hits.map((hit) => `${hit.stem.id}:${hit.score.toFixed(4)}`),
    ]),
  );
}

describe('kill -9 during batch ingestion', () => {
  it(
    'loses no stored stem, resumes the job to completion, and recovers an index equal to a rebuild',
    async () => {
      const random = seededRandom(424_242);
      server = await startServe(env);
      const accepted = await fetch(`${server.url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          external_id_from: 'filename',
          items: files.map((file) => ({ path: file.path, instrument: file.instrument })),
        }),
      });
      expect(accepted.status).toBe(202);
      const jobId = ((await accepted.json()) as JobJson).id;

      let faults = 0;
      let lost = 0;
      let stemsChecked = 0;
      for (let round = 0; round < KILLS; round++) {
        // A random point in the job: after 0-3 more files finished, plus a random part of the next.
        const current = server;
        const target = (await job(current.url, jobId)).totals.done + Math.floor(random() * 4);
        const progress = await waitFor(async () => {
          const now = await job(current.url, jobId);
          return now.totals.done >= target || now.state === 'completed' ? now : undefined;
        }, 120_000);
        if (progress.state === 'completed') break;
        await new Promise((resolve) => setTimeout(resolve, random() * 600));
        const before = await listAllStems(server.url);
        stemsChecked += before.length;
        server.kill('SIGKILL');
        expect((await server.exited).signal).toBe('SIGKILL');
        faults++;
        server = await startServe(env);
        const after = new Set((await listAllStems(server.url)).map((stem) => stem.id));
        for (const stem of before) if (!after.has(stem.id)) lost++;
        expect(lost).toBe(0);
        expect((await job(server.url, jobId)).totals.total).toBe(files.length);
      }

      const finished = await waitFor(async () => {
        const current = await job(server!.url, jobId);
        return current.state === 'completed' ? current : undefined;
      }, 240_000);
      expect({ done: finished.totals.done, failed: finished.totals.failed, errors: finished.errors }).toEqual(
        {
          done: files.length,
          failed: 0,
          errors: [],
        },
      );
      // Exactly once: one stem per file, no duplicates left by an item retried after a kill.
      const stems = await listAllStems(server.url);
      expect(stems.map((stem) => stem.external_id).sort()).toEqual(
        files.map((file) => file.externalId).sort(),
      );
      const totals = await stats(server.url);
      expect(totals.index_size).toBe(totals.chunks);

      // Every stem is searchable, and the recovered index answers like one rebuilt from the store.
      const mix = queryMix(1);
      const recovered = await byQuery(server.url, mix);
      const found = new Set(Object.values(recovered).flatMap((hits) => hits.map((hit) => hit.stem.id)));
      for (const stem of stems) expect(found.has(stem.id), stem.external_id ?? stem.id).toBe(true);
      server.kill('SIGTERM');
      await server.exited;
      rmSync(join(env.STEMDEX_DATA_DIR as string, 'index'), { recursive: true, force: true });
      server = await startServe(env);
      const rebuilt = await byQuery(server.url, mix);
      expect(comparable(recovered)).toEqual(comparable(rebuilt));

      reportFigures('kill -9 during batch ingestion', {
        files: files.length,
        faultsInjected: faults,
        storedStemsCheckedAfterKills: stemsChecked,
        itemsLost: lost,
        duplicates: stems.length - new Set(stems.map((s) => s.external_id)).size,
        indexEqualsRebuild: 'yes',
      });
      // Every round must have injected its fault: a job that finished early would shrink the figure.
      expect(faults).toBe(KILLS);
    },
    byScale(600_000, 3_600_000),
  );
});
