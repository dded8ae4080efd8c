import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { rateLimitedError } from '../errors.js';
import { presentedApiKey } from './auth.js';

export interface RateLimitOptions {
  max: number;
  windowMs: number;
  apiKeys: readonly string[];
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Per-client request budget (429 RATE_LIMITED + Retry-After past it). Clients with a valid API key
 * are counted per key, since many may share one address behind a NAT; everyone else per address.
 * Unknown keys count as no key, or inventing keys would escape the limit. Routes opt out with
 * `config: { rateLimit: false }` (health checks, metrics).
 */
export async function installRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const validKeys = new Set(options.apiKeys.map(digest));
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: (request) => {
      const key = presentedApiKey(request);
      const keyDigest = key === undefined ? undefined : digest(key);
      return keyDigest !== undefined && validKeys.has(keyDigest) ? `key:${keyDigest}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      rateLimitedError(context.max, context.after, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
