import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Keyring } from './auth/api-keys.js';
import { keyringFromConfig } from './auth/keyring-config.js';
import type { Config, TrustProxy } from './config.js';
import { AudioStore } from './index/audio-store.js';
import type { CatalogStore } from './index/types.js';
import { IngestRunner } from './ingest/runner.js';
import { Staging } from './ingest/staging.js';
import type { AppContext } from './server/context.js';
import { busboyLimits } from './server/multipart.js';
import { installAuth } from './server/plugins/auth.js';
import { installDraining } from './server/plugins/draining.js';
import { installErrorHandler } from './server/plugins/error-handler.js';
import { installMetrics } from './server/plugins/metrics.js';
import { installOpenApi } from './server/plugins/openapi.js';
import { installRateLimit } from './server/plugins/rate-limit.js';
import { installUnreadBodyDrain } from './server/plugins/unread-body.js';
import { installWebApp } from './server/plugins/web-app.js';
import type { EmbeddingModel } from './server/ports.js';
import { registerAdminRoutes } from './server/routes/admin.js';
import { registerHealthRoutes } from './server/routes/health.js';
import { registerIngestRoutes } from './server/routes/ingest.js';
import { registerSearchRoutes } from './server/routes/search.js';
import { registerStemRoutes } from './server/routes/stems.js';
import { openCatalog, openEmbeddingModel } from './server/services.js';
import { useZodSchemas } from './server/zod-schema.js';

export const VERSION = '0.1.0';

export interface BuildAppOptions {
  config: Config;
  logger?: Logger;
  /** An already-loaded model; otherwise loaded from `config.modelDir`. Injected ones are not closed. */
  model?: EmbeddingModel;
  /** An already-open catalog; otherwise the local one under `config.dataDir`. Injected ones are not closed. */
  catalog?: CatalogStore;
  /** Registry for all metrics (inference included); a fresh one by default. */
  registry?: Registry;
  /** Start the batch-ingestion runner (resuming unfinished jobs). Default true. */
  runJobs?: boolean;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, name: 'stemdex' });
}

/**
 * The stemdex HTTP application: model, catalog and ingestion runner wired to the routes. Closing
 * the app stops the runner, then closes what the app itself opened (catalog last, so its final
 * index snapshot includes everything the runner finished).
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  // Key problems are configuration errors: reported before the model loads.
  const keyring = keyringFromConfig(config);
  const logger = options.logger ?? createLogger(config);
  const registry = options.registry ?? new Registry();
  if (options.registry === undefined) collectDefaultMetrics({ register: registry, prefix: 'stemdex_' });

  const model =
    options.model ??
    (await openEmbeddingModel(config, { logger: logger.child({ component: 'model' }), registry }));
  let catalog: CatalogStore;
  try {
    catalog = options.catalog ?? (await openCatalog(config, model, logger));
  } catch (error) {
    if (options.model === undefined) await model.close();
    throw error;
  }

  const audio = new AudioStore(join(config.dataDir, 'audio'));
  const ingest = new IngestRunner({
    catalog,
    audio,
    model,
    staging: new Staging(join(config.dataDir, 'staging')),
    ingestRoot: config.ingestRoot,
    maxAudioSeconds: config.maxAudioSeconds,
    logger: logger.child({ component: 'ingest' }),
  });
  const ctx: AppContext = {
    config,
    catalog,
    model,
    registry,
    ingest,
    audio,
    state: { closing: false, runnerStopped: null },
  };

  // Runner first, then the catalog (its final snapshot covers what the runner finished), model last.
  // The runner may already be stopping: shutdown stops it as soon as closing begins.
  const release = async () => {
    await (ctx.state.runnerStopped ?? ingest.stop());
    if (options.catalog === undefined) await catalog.close();
    if (options.model === undefined) await model.close();
  };
  try {
    return await assemble(ctx, keyring, logger, release, options.runJobs !== false);
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Fastify's trustProxy for STEMDEX_TRUST_PROXY. A hop count becomes "trust the nearest n
 * addresses" (the socket peer is hop 0): Fastify 5 itself ignores numbers, since a hop count
 * cannot tell a proxy from a client that connects directly and sends its own X-Forwarded-For.
 * The docs say so: use CIDRs where clients can reach the replicas directly.
 */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}

/** How long an error reply waits for the rest of an upload it will not read (see unread-body.ts). */
const UNREAD_BODY_WAIT_MS = 10_000;

async function assemble(
  ctx: AppContext,
  keyring: Keyring,
  logger: Logger,
  release: () => Promise<void>,
  runJobs: boolean,
): Promise<FastifyInstance> {
  const { config, catalog, registry, ingest } = ctx;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // Behind a trusted load balancer, request.ip (logs, rate limits) is the client from X-Forwarded-For.
    trustProxy: trustProxyOption(config.trustProxy),
    // Requests arriving while closing get our NOT_READY error body from `installDraining` instead.
    return503OnClosing: false,
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  useZodSchemas(app);
  installErrorHandler(app);
  installDraining(app, ctx.state);
  installUnreadBodyDrain(app, { maxBytes: config.maxUploadBytes, maxMs: UNREAD_BODY_WAIT_MS });

  await installOpenApi(app, VERSION);
  await installRateLimit(app, {
    max: config.rateLimitMax,
    windowMs: config.rateLimitWindowMs,
    keyring,
    redisUrl: config.rateLimitRedisUrl,
  });
  // After the rate limit, so its per-route hook runs first: refused keys count against the budget.
  installAuth(app, { keyring, requireKeyForReads: config.requireKeyForReads });
  await app.register(multipart, {
    limits: busboyLimits({ maxFileBytes: config.maxUploadBytes, maxFiles: config.maxFilesPerRequest }),
  });
  installMetrics(app, { registry, catalogStats: () => catalog.stats() });

  registerHealthRoutes(app, ctx);
  registerStemRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerIngestRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  await installWebApp(app);

  // Readiness fails first, so load balancers stop routing here while in-flight work finishes. The
  // runner stops claiming items now, not after HTTP has drained: its current files finish, the rest
  // of each job stays queued for the next start.
  app.addHook('preClose', async () => {
    ctx.state.closing = true;
    ctx.state.runnerStopped ??= ingest.stop();
  });
  app.addHook('onClose', release);

  if (runJobs) await ingest.start();
  await app.ready();
  return app;
}
