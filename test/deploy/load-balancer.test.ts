import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/app.js';
import { testModelDir } from '../helpers/model.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { type PgliteServer, startPgliteServer, uniqueSchema } from '../helpers/pglite-server.js';
import { type RedisServer, startRedis } from '../helpers/redis-server.js';
import { makeSong, mixOf, wavBytes } from '../helpers/songs.js';
import { type LogLine, type ServeProcess, startServe, withMessage } from './serve-process.js';

/**
 * Production shape, end to end: nginx load-balancing two `stemdex serve` processes that share a
 * PostgreSQL + pgvector catalog (PGlite over the wire protocol) and a Redis rate limit. Mixed
 * traffic goes through nginx while one replica is sent SIGTERM: no request may fail (nginx
 * retries what a closing replica refused; the client retries a 503, as the docs tell clients
 * to), and the catalog must hold exactly what was acknowledged afterwards.
 *
 * The test client plays the outer load balancer: replicas trust loopback proxies, so the
 * X-Forwarded-For address each simulated client sends is the address they count it under.
 */

const RATE_LIMIT = 40;
const CATALOG = 'lb';
const UPLOADS = 16;
const SEARCHES = 6;
const JOB_FILES = 6;
const CLIENTS = 4;
/** A 503 (NOT_READY, QUEUE_FULL) means "not done, retry": the client does, this many times at most. */
const MAX_RETRIES = 20;

let dir: { path: string; remove: () => void };
let postgres: PgliteServer;
let redis: RedisServer;
let nginx: Nginx;
let replicas: ServeProcess[] = [];

const song = makeSong(11, 4);
const stemWav = (i: number) => wavBytes(makeSong(100 + i, 4).stems.bass!);
const mixWav = wavBytes(mixOf(song, ['bass']));

beforeAll(async () => {
  dir = tempDir('stemdex-lb-');
  postgres = await startPgliteServer({ maxConnections: 64 });
  redis = await startRedis();
  const env = (name: string): Record<string, string> => ({
    STEMDEX_MODEL_DIR: modelDir,
    STEMDEX_DATA_DIR: join(dir.path, name),
    STEMDEX_STORE: `${postgres.url}?schema=${schema}`,
    STEMDEX_TRUST_PROXY: 'loopback',
    STEMDEX_RATE_LIMIT_REDIS_URL: redis.url,
    STEMDEX_RATE_LIMIT_MAX: String(RATE_LIMIT),
    STEMDEX_SNAPSHOT_INTERVAL_MS: '0',
    STEMDEX_SHUTDOWN_GRACE_MS: '30000',
  });
  const modelDir = await testModelDir();
  const schema = uniqueSchema('lb');
  // One at a time: both would run the schema migration at once (fine, but slower on PGlite).
  replicas = [await startServe(env('a')), await startServe(env('b'))];
  nginx = await startNginx(
    dir.path,
    replicas.map((replica) => new URL(replica.url).host),
  );
}, 240_000);

afterAll(async () => {
  for (const replica of replicas) replica.kill('SIGKILL');
  await Promise.all(replicas.map((replica) => replica.exited));
  await nginx?.stop();
  await redis?.stop();
  await postgres?.stop();
  dir?.remove();
}, 60_000);

interface Outcome {
  status: number;
  body: unknown;
  /** nginx's X-Upstream: every replica it tried, comma-separated, the one that answered last. */
  upstream: string;
  retries: number;
  at: number;
}

/** One logical request through nginx: retried on 503 (the documented contract), never on anything else. */
async function call(client: string, path: string, init: () => RequestInit = () => ({})): Promise<Outcome> {
  for (let retries = 0; ; retries++) {
    const request = init();
    const response = await fetch(`${nginx.url}${path}`, {
      ...request,
      headers: { 'x-forwarded-for': client, ...(request.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not our JSON (e.g. an nginx error page): kept as text, and the status tells the failure.
    }
    if (response.status !== 503 || retries >= MAX_RETRIES) {
      const upstream = response.headers.get('x-upstream') ?? '';
      return { status: response.status, body, upstream, retries, at: Date.now() };
    }
    const wait = Math.min(1, Number(response.headers.get('retry-after') ?? 1));
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

function uploadForm(i: number): FormData {
  const form = new FormData();
  form.set('instrument', 'bass');
  form.set('catalog', CATALOG);
  form.set('external_id', `up-${i}`);
  form.set('file', new Blob([stemWav(i)]), `up-${i}.wav`);
  return form;
}

function searchForm(): FormData {
  const form = new FormData();
  form.set('instrument', 'bass');
  form.set('catalog', CATALOG);
  form.set('file', new Blob([mixWav]), 'mix.wav');
  return form;
}

interface JobJson {
  id: string;
  state: string;
  totals: { total: number; done: number; failed: number };
}

/** Batch ingestion straight to one replica: its staged files are processed there. */
async function submitJob(url: string): Promise<JobJson> {
  const form = new FormData();
  form.set('instrument', 'drums');
  form.set('catalog', CATALOG);
  form.set('external_id_from', 'filename');
  for (let i = 0; i < JOB_FILES; i++) {
    form.append('files', new Blob([wavBytes(makeSong(200 + i, 4).stems.drums!)]), `job-${i}.wav`);
  }
  const response = await fetch(`${url}/v1/ingest`, { method: 'POST', body: form });
  expect(response.status).toBe(202);
  return (await response.json()) as JobJson;
}

async function jobOn(url: string, id: string): Promise<JobJson> {
  const response = await fetch(`${url}/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as JobJson;
}

async function listCatalog(url: string): Promise<Array<{ id: string; external_id: string | null }>> {
  const items: Array<{ id: string; external_id: string | null }> = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ catalog: CATALOG, limit: '100', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${url}/v1/stems?${query}`, {
      headers: { 'x-forwarded-for': '192.0.2.250' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: typeof items; next_cursor: string | null };
    items.push(...body.items);
    cursor = body.next_cursor;
    if (cursor === null) return items;
  }
  throw new Error('more than 100 pages');
}

const isUploadArrival = (requestId: string) => (line: LogLine) =>
  line.msg === 'incoming request' && line.reqId === requestId;

describe('two replicas behind nginx', () => {
  it('share one rate limit per client, whichever replica serves it', async () => {
    const served = new Set<string>();
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      const outcome = await call('198.51.100.77', '/v1/stems?limit=1');
      statuses.push(outcome.status);
      served.add(outcome.upstream);
    }
    expect(served.size).toBe(2);
    expect(statuses.slice(0, RATE_LIMIT).every((status) => status === 200)).toBe(true);
    expect(statuses[RATE_LIMIT]).toBe(429);
    // Another client behind the same proxies has its own budget.
    expect((await call('198.51.100.78', '/v1/stems?limit=1')).status).toBe(200);
  });

  it('reports a job started on one replica through the other', async () => {
    const [a, b] = replicas;
    const job = await submitJob(a!.url);
    const seen = await waitFor(async () => {
      const state = await jobOn(b!.url, job.id);
      return state.state === 'completed' ? state : undefined;
    }, 120_000);
    expect(seen.totals).toMatchObject({ total: JOB_FILES, done: JOB_FILES, failed: 0 });
  }, 150_000);

  it('loses no request and no stem when one replica is stopped with SIGTERM mid-traffic', async () => {
    const [a, b] = replicas;
    const job = await submitJob(a!.url);
    const outcomes: Array<{ what: string; outcome: Outcome }> = [];
    const acknowledged = new Set<string>();
    const deleted = new Set<string>();
    let completed = 0;
    let signalled: (() => void) | undefined;
    const halfway = new Promise<void>((resolve) => {
      signalled = resolve;
    });
    const uploadsPerClient = UPLOADS / CLIENTS;
    const work = Array.from({ length: CLIENTS }, async (_, client) => {
      const address = `203.0.113.${client + 1}`;
      for (let n = 0; n < uploadsPerClient; n++) {
        const i = client * uploadsPerClient + n;
        const up = await call(address, '/v1/stems', () => ({ method: 'POST', body: uploadForm(i) }));
        outcomes.push({ what: `upload ${i}`, outcome: up });
        if (up.status === 201) acknowledged.add(`up-${i}`);
        if (n < SEARCHES / CLIENTS + 1) {
          const found = await call(address, '/v1/search', () => ({ method: 'POST', body: searchForm() }));
          outcomes.push({ what: `search ${i}`, outcome: found });
        }
        outcomes.push({
          what: `list ${i}`,
          outcome: await call(address, `/v1/stems?catalog=${CATALOG}&limit=5`),
        });
        outcomes.push({ what: `job ${i}`, outcome: await call(address, `/v1/jobs/${job.id}`) });
        if (n % 2 === 1 && up.status === 201) {
          const id = (up.body as { id: string }).id;
          const gone = await call(address, `/v1/stems/${id}`, () => ({ method: 'DELETE' }));
          outcomes.push({ what: `delete ${i}`, outcome: gone });
          if (gone.status === 204) deleted.add(`up-${i}`);
        }
        if (++completed >= UPLOADS / 3) signalled?.();
      }
    });

    // An upload in flight on replica b when it is told to stop: it must finish there.
    await halfway;
    const inflightId = `inflight-${Date.now()}`;
    const inflight = fetch(`${b!.url}/v1/stems`, {
      method: 'POST',
      headers: { 'x-request-id': inflightId },
      body: uploadForm(UPLOADS),
    });
    await b!.waitForLog(isUploadArrival(inflightId), 30_000);
    const stoppedAt = Date.now();
    b!.kill('SIGTERM');
    // Readiness turns false as soon as the signal is handled (or the listener is already gone).
    await waitFor(async () => {
      const ready = await fetch(`${b!.url}/readyz`).then(
        (response) => response.status,
        () => 'refused',
      );
      return ready === 200 ? undefined : ready;
    }, 5_000);
    const inflightResponse = await inflight;
    expect(inflightResponse.status).toBe(201);
    acknowledged.add(`up-${UPLOADS}`);

    await Promise.all(work);
    const exit = await b!.exited;
    expect(exit.code).toBe(0);
    await b!.waitForLog(withMessage('shutdown complete'), 0);

    const failures = outcomes.filter(({ outcome }) => outcome.status >= 300);
    expect(failures, nginx.errors().slice(-2000)).toEqual([]);
    const upstreams = new Set(outcomes.map(({ outcome }) => outcome.upstream.split(',').at(-1)?.trim()));
    expect(upstreams.size).toBe(2);
    // After b stopped, everything went to a.
    const finished = await waitFor(async () => {
      const state = await jobOn(a!.url, job.id);
      return state.state === 'completed' ? state : undefined;
    }, 120_000);
    expect(finished.totals).toMatchObject({ total: JOB_FILES, done: JOB_FILES, failed: 0 });

    // Exactly what was acknowledged: no lost, duplicate or phantom stems.
    const stems = await listCatalog(nginx.url);
    const expected = new Set([...acknowledged].filter((id) => !deleted.has(id)));
    for (let i = 0; i < JOB_FILES; i++) expected.add(`job-${i}`);
    const externalIds = stems.map((stem) => stem.external_id ?? `(no external id: ${stem.id})`);
    expect(externalIds.length).toBe(new Set(externalIds).size);
    expect(externalIds.sort()).toEqual([...expected].sort());
    expect(acknowledged.size).toBe(UPLOADS + 1);

    // The traffic went on after the stop, so the stop really happened mid-traffic.
    const afterStop = outcomes.filter(({ outcome }) => outcome.at > exit.at).length;
    expect(afterStop).toBeGreaterThanOrEqual(CLIENTS);
    const retried = outcomes.filter(({ outcome }) => outcome.retries > 0).length;
    const nginxRetried = outcomes.filter(({ outcome }) => outcome.upstream.includes(',')).length;
    console.log(
      `[load-balancer] ${outcomes.length} requests through nginx (${afterStop} after replica b exited), ` +
        `${failures.length} failed; ${nginxRetried} passed on by nginx to the other replica, ${retried} retried ` +
        `by the client after a 503; b drained in ${exit.at - stoppedAt} ms; catalog ${stems.length} stems as expected`,
    );
  }, 300_000);
});
