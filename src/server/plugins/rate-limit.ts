import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Keyring } from '../../auth/api-keys.js';
import { rateLimitedError } from '../errors.js';
import { identify } from './auth.js';

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  keyring: Keyring;
  /** Redis shared by all replicas; null: this process counts alone. */
  redisUrl: string | null;
}

/** Redis answers within this or the request goes on uncounted (fail open). */
const REDIS_COMMAND_TIMEOUT_MS = 250;
/** At most one "Redis unreachable" warning per this interval, however many requests fail open. */
const WARN_INTERVAL_MS = 10_000;
const REDIS_KEY_PREFIX = 'stemdex:rate-limit:';

/**
 * Per-client request budget (429 RATE_LIMITED + Retry-After past it). Clients with a valid API key
 * are counted per key, since many may share one address behind a NAT; everyone else per address
 * (`request.ip`: the real client behind a trusted proxy, see STEMDEX_TRUST_PROXY). Unknown keys
 * count as no key, or inventing keys would escape the limit. Routes opt out with
 * `config: { rateLimit: false }` (health checks, metrics).
 *
 * With a Redis URL every replica counts in the same Redis, so the limit holds for the whole
 * deployment. If Redis cannot answer, requests are let through uncounted (fail open) and a
 * warning is logged: an outage of the limiter must not become an outage of the service.
 */
export async function installRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const store = options.redisUrl === null ? undefined : await redisStore(app, options.redisUrl);
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    store,
    skipOnError: true,
    keyGenerator: (request) => {
      const identity = identify(options.keyring, request);
      return identity ? `key:${identity.name}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      rateLimitedError(context.max, context.after, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
interface InnerStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  read(key: string, callback: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): InnerStore;
}
type RedisStoreCtor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  prefix: string,
) => InnerStore;

/** @fastify/rate-limit's own Redis store (an atomic Lua INCR + PEXPIRE), which it does not export. */
const RedisStore = createRequire(import.meta.url)(
  '@fastify/rate-limit/store/RedisStore.js',
) as RedisStoreCtor;

/** How long start-up waits for Redis before serving anyway (failing open until it connects). */
const REDIS_START_WAIT_MS = 3_000;

async function redisStore(app: FastifyInstance, url: string): Promise<FastifyRateLimitStoreCtor> {
  const log = app.log.child({ component: 'rate-limit' });
  const redis = new Redis(url, {
    // Fail fast instead of queueing requests behind a reconnect: the request goes on uncounted.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  const warn = throttledWarning(log, url);
  let reachable = false;
  redis.on('ready', () => {
    if (!reachable)
      log.info({ url: redactedUrl(url) }, 'rate limit: counting in Redis, shared by all replicas');
    reachable = true;
  });
  redis.on('error', (error: Error) => {
    reachable = false;
    warn(error);
  });
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  // Without this wait the first requests after start-up would all pass uncounted.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_START_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });

  // `read` is the plugin's optional non-counting lookup (not in its types); delegated all the same.
  const wrap = (inner: InnerStore): FastifyRateLimitStore & Pick<InnerStore, 'read'> => ({
    incr: (key, callback, timeWindow, max) => inner.incr(key, failOpen(callback, warn), timeWindow, max),
    read: (key: string, callback: Callback, timeWindow: number, max: number) =>
      inner.read(key, failOpen(callback, warn), timeWindow, max),
    child: (routeOptions) => wrap(inner.child(routeOptions)),
  });
  return class {
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const inner = new RedisStore(
        params.continueExceeding ?? false,
        params.exponentialBackoff ?? false,
        redis,
        REDIS_KEY_PREFIX,
      );
      // biome-ignore lint/correctness/noConstructorReturn: the plugin instantiates the store class we give it
      return wrap(inner);
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

/** Passes errors on (the plugin's skipOnError lets the request through) after a warning. */
function failOpen(callback: Callback, warn: (error: Error) => void): Callback {
  return (error, result) => {
    if (error) warn(error);
    callback(error, result);
  };
}

function throttledWarning(log: FastifyBaseLogger, url: string): (error: Error) => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < WARN_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log.warn(
      { url: redactedUrl(url), err: { message: error.message }, suppressedSinceLastWarning: suppressed },
      'rate limit: Redis unreachable, requests pass uncounted (fail open)',
    );
    last = now;
    suppressed = 0;
  };
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}
