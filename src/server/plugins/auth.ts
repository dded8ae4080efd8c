import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Write routes need an API key when keys are configured. */
    write?: boolean;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The key from `x-api-key`, or from `Authorization: Bearer <key>`. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/**
 * An `onRequest` hook that rejects write routes without a configured key. Keys are compared as
 * fixed-length digests in constant time so response timing reveals nothing about a key's prefix.
 */
export function apiKeyGuard(apiKeys: readonly string[]) {
  const accepted = apiKeys.map(digest);
  return async function requireApiKey(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (accepted.length === 0 || request.routeOptions.config.write !== true) return;
    const key = presentedApiKey(request);
    if (key === undefined) {
      throw new ApiError('UNAUTHORIZED', 'this route needs an API key (x-api-key or Authorization: Bearer)');
    }
    const presented = digest(key);
    // Compare against every key so the work done does not depend on which one matched.
    let ok = false;
    for (const candidate of accepted) ok = timingSafeEqual(candidate, presented) || ok;
    if (!ok) throw new ApiError('UNAUTHORIZED', 'invalid API key');
  };
}
