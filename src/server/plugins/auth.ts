import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { type ApiKeyIdentity, type ApiKeyRole, type Keyring, roleAllows } from '../../auth/api-keys.js';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needs a `write` (or `admin`) key when keys are configured. */
    write?: boolean;
    /** Needs an `admin` key when keys are configured: catalog-wide operations. */
    admin?: boolean;
  }
}

/** The key from `x-api-key`, or from `Authorization: Bearer <key>`. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Every API route lives under /v1/; health, metrics, docs and the web app are public. */
const API_PREFIX = '/v1/';

function neededRole(request: FastifyRequest): ApiKeyRole | null {
  const config = request.routeOptions.config;
  if (config.admin === true) return 'admin';
  if (config.write === true) return 'write';
  return (request.routeOptions.url ?? '').startsWith(API_PREFIX) ? 'read' : null;
}

/** The identity of a request's key: undefined without a key, null for an unknown key. */
const identities = new WeakMap<FastifyRequest, ApiKeyIdentity | null>();

export function identify(keyring: Keyring, request: FastifyRequest): ApiKeyIdentity | null | undefined {
  const key = presentedApiKey(request);
  if (key === undefined) return undefined;
  let identity = identities.get(request);
  if (identity === undefined) {
    identity = keyring.match(key);
    identities.set(request, identity);
  }
  return identity;
}

/** The authenticated key of a request (null: anonymous, or no keys configured). */
export function requestKey(request: FastifyRequest): ApiKeyIdentity | null {
  return identities.get(request) ?? null;
}

export interface AuthOptions {
  keyring: Keyring;
  requireKeyForReads: boolean;
}

/**
 * Checks each API route's key and role: `admin` routes need an admin key, write routes a write
 * key, other /v1/ routes a read key when reads are closed. An unknown key is refused everywhere
 * under /v1/ (401), a known key with too small a role too (403). With no key configured at all,
 * every route is open. Catalog scopes are checked where the catalog is known (`catalog-access.ts`).
 *
 * The check is added to each route after the rate limit's own hook, so refused attempts count
 * against the client's budget as well.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  if (options.keyring.size === 0) return;
  const check: onRequestHookHandler = async (request) => {
    const needed = neededRole(request);
    if (needed === null) return;
    const identity = identify(options.keyring, request);
    if (identity === undefined) {
      if (needed === 'read' && !options.requireKeyForReads) return;
      throw new ApiError('UNAUTHORIZED', 'this route needs an API key (x-api-key or Authorization: Bearer)');
    }
    if (identity === null) throw new ApiError('UNAUTHORIZED', 'invalid API key');
    if (!roleAllows(identity.role, needed)) {
      throw new ApiError('FORBIDDEN', `this route needs a key with the ${needed} role`, {
        key: identity.name,
        role: identity.role,
        needed,
      });
    }
  };
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest;
    route.onRequest = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      check,
    ];
  });
}
