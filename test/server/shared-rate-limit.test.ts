import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.js';
import type { EmbeddingModel } from '../../src/server/ports.js';
import { loadTestModel, startApp, tempDir, testConfig, waitFor } from '../helpers/app.js';
import { type RedisServer, startRedis } from '../helpers/redis-server.js';

/**
 * The rate limit behind a load balancer: per real client (X-Forwarded-For from a trusted proxy),
 * shared by replicas through Redis, and failing open (with a warning) when Redis is down.
 */

const dirs: Array<{ path: string; remove: () => void }> = [];
const apps: FastifyInstance[] = [];
let model: EmbeddingModel;
let redis: RedisServer;

interface Captured {
  app: FastifyInstance;
  logs: Array<{ msg?: string; level?: number }>;
}

async function appWith(env: Record<string, string>): Promise<Captured> {
  const dir = tempDir('stemdex-ratelimit-');
  dirs.push(dir);
  const logs: Captured['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      callback();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const config = await testConfig(dir.path, { STEMDEX_RATE_LIMIT_WINDOW_MS: '60000', ...env });
  const app = await startApp(config, { model, logger });
  apps.push(app);
  return { app, logs };
}

const get = (app: FastifyInstance, headers: Record<string, string> = {}) => {
  const call = request(app.server).get('/v1/stems');
  for (const [name, value] of Object.entries(headers)) call.set(name, value);
  return call;
};

const statuses = async (app: FastifyInstance, count: number, headers: Record<string, string> = {}) => {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await get(app, headers)).status);
  return seen;
};

beforeAll(async () => {
  const dir = tempDir('stemdex-ratelimit-model-');
  dirs.push(dir);
  model = await loadTestModel(await testConfig(dir.path));
  redis = await startRedis();
}, 120_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  await model?.close();
  await redis?.stop();
  for (const dir of dirs) dir.remove();
});

describe('client addresses behind a proxy', () => {
  it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
    const { app } = await appWith({ STEMDEX_RATE_LIMIT_MAX: '2' });
    expect(await statuses(app, 2, { 'x-forwarded-for': '203.0.113.1' })).toEqual([200, 200]);
    // Every client behind the untrusted "proxy" shares its address, and so its bucket.
    expect(await statuses(app, 1, { 'x-forwarded-for': '203.0.113.2' })).toEqual([429]);
  });

  it.each([
    ['an address list', '127.0.0.1,::1,::ffff:127.0.0.1'],
    ['a CIDR', '127.0.0.0/8,::1/128,::ffff:127.0.0.0/104'],
    ['a hop count', '1'],
  ])('counts each forwarded client on its own with %s', async (_label, trust) => {
    const { app } = await appWith({ STEMDEX_RATE_LIMIT_MAX: '2', STEMDEX_TRUST_PROXY: trust });
    expect(await statuses(app, 3, { 'x-forwarded-for': '203.0.113.1' })).toEqual([200, 200, 429]);
    expect(await statuses(app, 2, { 'x-forwarded-for': '203.0.113.2' })).toEqual([200, 200]);
    // The client nearest the trusted proxy counts, not an address the client itself made up.
    expect(await statuses(app, 1, { 'x-forwarded-for': '198.51.100.9, 203.0.113.2' })).toEqual([429]);
  });

  it('does not trust a proxy outside the configured CIDRs', async () => {
    const { app } = await appWith({ STEMDEX_RATE_LIMIT_MAX: '2', STEMDEX_TRUST_PROXY: '10.0.0.0/8' });
    expect(await statuses(app, 2, { 'x-forwarded-for': '203.0.113.1' })).toEqual([200, 200]);
    expect(await statuses(app, 1, { 'x-forwarded-for': '203.0.113.2' })).toEqual([429]);
  });
});

describe('rate limit shared through Redis', () => {
  it('holds one budget per client across replicas, and one per API key', async () => {
    const key = createApiKey({ name: 'shared-limit', role: 'read', catalogs: null });
    const env = {
      STEMDEX_RATE_LIMIT_MAX: '4',
      STEMDEX_RATE_LIMIT_REDIS_URL: redis.url,
      STEMDEX_TRUST_PROXY: 'loopback',
      STEMDEX_API_KEY_DIGESTS: key.line,
    };
    const [a, b] = [(await appWith(env)).app, (await appWith(env)).app];
    const client = { 'x-forwarded-for': '192.0.2.10' };
    expect([...(await statuses(a, 2, client)), ...(await statuses(b, 2, client))]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(await statuses(a, 1, client)).toEqual([429]);
    expect(await statuses(b, 1, client)).toEqual([429]);
    const keyed = { ...client, 'x-api-key': key.key };
    expect([...(await statuses(b, 3, keyed)), ...(await statuses(a, 2, keyed))]).toEqual([
      200, 200, 200, 200, 429,
    ]);
  });

  it('lets requests through with a logged warning while Redis is down, and counts again once it is back', async () => {
    const own = await startRedis();
    try {
      const { app, logs } = await appWith({
        STEMDEX_RATE_LIMIT_MAX: '3',
        STEMDEX_RATE_LIMIT_REDIS_URL: own.url,
      });
      expect(await statuses(app, 4)).toEqual([200, 200, 200, 429]);
      await own.stop();
      // Fail open: nothing counts, nothing is refused, and the operator hears about it once.
      expect(await statuses(app, 10)).toEqual(Array(10).fill(200));
      const warnings = logs.filter((line) => /Redis unreachable/.test(line.msg ?? ''));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(2);
      expect(warnings[0]?.level).toBe(40);

      const back = await startRedis(own.port);
      try {
        // Redis came back empty: a fresh window, counted in Redis again.
        await waitFor(async () => ((await isCounting(app)) ? true : undefined), 15_000);
        expect(await statuses(app, 4)).toContain(429);
      } finally {
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  }, 60_000);
});

/** Whether the limiter counts again: its remaining-budget header goes down between two requests. */
async function isCounting(app: FastifyInstance): Promise<boolean> {
  const first = Number((await get(app)).headers['x-ratelimit-remaining']);
  const second = Number((await get(app)).headers['x-ratelimit-remaining']);
  return second < first;
}
