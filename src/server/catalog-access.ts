import type { FastifyRequest } from 'fastify';
import { roleAllows } from '../auth/api-keys.js';
import { ApiError } from './errors.js';
import { requestKey } from './plugins/auth.js';

/**
 * What a request's key may do in a catalog. The route-level check (plugins/auth.ts) has already
 * refused keys whose role is too small for the route; here a key limited to some catalogs is
 * kept to them. Anonymous requests that got this far may touch every catalog: either no key is
 * configured, or reads are open to everyone (STEMDEX_REQUIRE_KEY_FOR_READS=false).
 */

export type CatalogAccess = 'read' | 'write';

export function canAccessCatalog(request: FastifyRequest, catalog: string, access: CatalogAccess): boolean {
  const key = requestKey(request);
  if (key === null) return true;
  return roleAllows(key.role, access) && (key.catalogs === null || key.catalogs.has(catalog));
}

/** 403 CATALOG_FORBIDDEN unless the request's key may `access` the catalog. */
export function requireCatalogAccess(request: FastifyRequest, catalog: string, access: CatalogAccess): void {
  if (canAccessCatalog(request, catalog, access)) return;
  const key = requestKey(request);
  throw new ApiError('CATALOG_FORBIDDEN', `API key ${key?.name ?? ''} may not ${access} catalog ${catalog}`, {
    catalog,
    key: key?.name,
    access,
  });
}

/** The catalogs a request may read, or undefined for all of them: the filter for listings and search. */
export function readableCatalogs(request: FastifyRequest): string[] | undefined {
  const catalogs = requestKey(request)?.catalogs;
  return catalogs === null || catalogs === undefined ? undefined : [...catalogs];
}

/** True when the key is limited to some catalogs, i.e. when records must be checked one by one. */
export function isCatalogScoped(request: FastifyRequest): boolean {
  return readableCatalogs(request) !== undefined;
}
