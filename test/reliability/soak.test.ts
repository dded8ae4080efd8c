import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/app.js';
import { testModelDir } from '../helpers/model.js';
import { makeSong, wavBytes } from '../helpers/songs.js';
import { byScale, reportFigures, seededRandom } from './scale.js';
import { type ServeProcess, startServe } from './serve-process.js';
import { listAllStems, queryMix, search, stats } from './service-client.js';

/**
 * A bounded soak of mixed uploads, searches and deletes from concurrent clients against
 * `stemdex serve`. Afterwards the catalog holds exactly the acknowledged stems (none lost, no
 * phantoms, in the store and in the index) and the server's heap grew less than the bound.
 */

const SOAK_SECONDS = byScale(20, 180);
const CLIENTS = byScale(4, 8);
/** Heap growth allowed between the end of warm-up and the end of the soak. */
const HEAP_GROWTH_BOUND_MB = 64;

let dir: { path: string; remove: () => void };
let server: ServeProcess;
const stemFiles: Array<{ instrument: string; bytes: Uint8Array }> = [];
const mixes = [0, 1, 2].map((seed) => queryMix(seed, 6));

beforeAll(async () => {
  dir = tempDir('stemdex-soak-');
  for (let id = 0; id < 3; id++) {
    for (const [instrument, signal] of Object.entries(makeSong(id, 6, 17).stems)) {
      stemFiles.push({ instrument, bytes: wavBytes(signal) });
    }
  }
  server = await startServe({
    STEMDEX_MODEL_DIR: await testModelDir(),
    STEMDEX_DATA_DIR: dir.path,
    STEMDEX_EXECUTION_PROVIDERS: 'cpu',
    STEMDEX_AUDIO_WORKERS: '1',
    STEMDEX_RATE_LIMIT_MAX: '100000000',
    STEMDEX_SNAPSHOT_INTERVAL_MS: '2000',
  });
}, 120_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  if (server) await server.exited;
  dir?.remove();
});

async function heapUsedMb(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^stemdex_nodejs_heap_size_used_bytes (\S+)/m.exec(text);
  if (!match?.[1]) throw new Error('heap metric missing from /metrics');
  return Number(match[1]) / 1e6;
}

interface Tally {
  uploads: number;
  searches: number;
  deletes: number;
  refused503: number;
  unexpected: string[];
}

async function client(seed: number, until: number, acknowledged: Set<string>, tally: Tally): Promise<void> {
  const random = seededRandom(seed);
  while (performance.now() < until) {
    const roll = random();
    if (roll < 0.4) {
      const file = stemFiles[Math.floor(random() * stemFiles.length)]!;
      const form = new FormData();
      form.set('instrument', file.instrument);
      form.set('file', new Blob([file.bytes]), 'stem.wav');
      const response = await fetch(`${server.url}/v1/stems`, { method: 'POST', body: form });
      const body = (await response.json()) as { id?: string };
      if (response.status === 201 && body.id) {
        acknowledged.add(body.id);
        tally.uploads++;
      } else if (response.status === 503) tally.refused503++;
      else tally.unexpected.push(`upload ${response.status}`);
    } else if (roll < 0.8 || acknowledged.size === 0) {
      const mix = mixes[Math.floor(random() * mixes.length)]!;
      const instrument = stemFiles[Math.floor(random() * 4)]!.instrument;
      try {
        await search(server.url, instrument, mix, 10);
        tally.searches++;
      } catch (error) {
        if (String(error).includes('503')) tally.refused503++;
        else tally.unexpected.push(String(error).slice(0, 200));
      }
    } else {
      // Claim the id first so no other client deletes it concurrently.
      const ids = [...acknowledged];
      const id = ids[Math.floor(random() * ids.length)]!;
      acknowledged.delete(id);
      const response = await fetch(`${server.url}/v1/stems/${id}`, { method: 'DELETE' });
      if (response.status === 204) tally.deletes++;
      else {
        acknowledged.add(id);
        tally.unexpected.push(`delete ${response.status}`);
      }
    }
  }
}

describe('soak: mixed ingest, search and delete', () => {
  it('ends with exactly the acknowledged stems and bounded heap growth', async () => {
    const acknowledged = new Set<string>();
    const tally: Tally = { uploads: 0, searches: 0, deletes: 0, refused503: 0, unexpected: [] };
    // Warm-up (a fifth of the soak) before the heap baseline: caches, pools and JIT settle.
    const warmUntil = performance.now() + (SOAK_SECONDS * 1000) / 5;
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) => client(100 + c, warmUntil, acknowledged, tally)),
    );
    const heapBefore = await heapUsedMb();
    const rssBefore = server.rssMb();
    const until = performance.now() + SOAK_SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(200 + c, until, acknowledged, tally)));
    // Idle a moment so the last requests' garbage can be collected before sampling.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const heapAfter = Math.min(await heapUsedMb(), await heapUsedMb());
    const rssAfter = server.rssMb();

    expect(tally.unexpected).toEqual([]);
    const stored = await listAllStems(server.url);
    const storedIds = new Set(stored.map((stem) => stem.id));
    const lost = [...acknowledged].filter((id) => !storedIds.has(id));
    const phantoms = [...storedIds].filter((id) => !acknowledged.has(id));
    expect({ lost, phantoms }).toEqual({ lost: [], phantoms: [] });
    const totals = await stats(server.url);
    expect(totals.stems).toBe(acknowledged.size);
    expect(totals.index_size).toBe(totals.chunks);
    for (const instrument of ['drums', 'bass', 'piano', 'synth']) {
      for (const hit of await search(server.url, instrument, mixes[0]!, 100)) {
        expect(acknowledged.has(hit.stem.id)).toBe(true);
      }
    }
    const heapGrowth = heapAfter - heapBefore;
    reportFigures('soak', {
      seconds: SOAK_SECONDS,
      clients: CLIENTS,
      uploads: tally.uploads,
      searches: tally.searches,
      deletes: tally.deletes,
      refused503: tally.refused503,
      stemsAtEnd: stored.length,
      lost: lost.length,
      phantoms: phantoms.length,
      heapGrowthMb: Math.round(heapGrowth),
      heapBoundMb: HEAP_GROWTH_BOUND_MB,
      rssGrowthMb: Math.round(rssAfter - rssBefore),
    });
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_BOUND_MB);
  }, 600_000);
});
