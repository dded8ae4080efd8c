import { createHash } from 'node:crypto';
import { InvalidCursorError } from './errors.js';

/**
 * Opaque keyset cursors for stem listings. A cursor carries the last row's position and a
 * fingerprint of the filters it was issued under, so reusing it with other filters is refused
 * instead of silently skipping or repeating rows. Keyset (not offset) pagination keeps pages
 * stable while stems are inserted or deleted between requests.
 */

interface CursorPayload {
  /** Format version, so the encoding can change without misreading old cursors. */
  v: 1;
  after: number;
  filter: string;
}

export function filterFingerprint(filters: Record<string, string | undefined>): string {
  const canonical = JSON.stringify(
    Object.keys(filters)
      .sort()
      .map((key) => [key, filters[key] ?? null]),
  );
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

export function encodeCursor(after: number, filter: string): string {
  const payload: CursorPayload = { v: 1, after, filter };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(cursor: string, expectedFilter: string): number {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('not a cursor issued by this API');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor issued by this API');
  }
  if (!isCursorPayload(payload)) throw new InvalidCursorError('not a cursor issued by this API');
  if (payload.filter !== expectedFilter) {
    throw new InvalidCursorError('the cursor was issued for different filters');
  }
  return payload.after;
}

function isCursorPayload(value: unknown): value is CursorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.v === 1 &&
    Number.isSafeInteger(candidate.after) &&
    (candidate.after as number) >= 0 &&
    typeof candidate.filter === 'string'
  );
}

/**
 * The listing filters a cursor is bound to. `catalogs` is left out when unset so cursors issued
 * before it existed stay valid across an upgrade.
 */
export function listFingerprintFields(options: {
  catalog?: string;
  catalogs?: readonly string[];
  instrument?: string;
}): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {
    catalog: options.catalog,
    instrument: options.instrument,
  };
  if (options.catalogs !== undefined) fields.catalogs = [...options.catalogs].sort().join(',');
  return fields;
}
