import { basename } from 'node:path';
import type { StemMetadata } from '../index/types.js';
import type { Instrument } from '../instruments.js';
import type { compatibleJson, StemJson } from './schemas.js';

/** A failed call to a stemdex server, carrying the server's stable error code. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code} (HTTP ${status}): ${message}`);
  }
}

/** The few calls the CLI makes to a running server. */
export class StemdexClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  async uploadStem(
    file: string,
    bytes: Uint8Array,
    stem: { catalog: string; instrument: Instrument; externalId: string | null; metadata: StemMetadata },
  ): Promise<StemJson> {
    const form = new FormData();
    form.set('instrument', stem.instrument);
    form.set('catalog', stem.catalog);
    if (stem.externalId !== null) form.set('external_id', stem.externalId);
    form.set('metadata', JSON.stringify(stem.metadata));
    form.set('file', new Blob([bytes]), basename(file));
    return this.call<StemJson>('/v1/stems', form);
  }

  async search(
    file: string,
    bytes: Uint8Array,
    query: { instrument: Instrument; k: number; catalog?: string },
  ): Promise<{ results: ReturnType<typeof compatibleJson> }> {
    const form = new FormData();
    form.set('instrument', query.instrument);
    form.set('k', String(query.k));
    if (query.catalog !== undefined) form.set('catalog', query.catalog);
    form.set('file', new Blob([bytes]), basename(file));
    return this.call('/v1/search', form);
  }

  private async call<T>(path: string, body: FormData): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.apiKey !== undefined) headers['x-api-key'] = this.apiKey;
    const response = await fetch(new URL(path, this.baseUrl), { method: 'POST', body, headers });
    const payload = (await response.json().catch(() => null)) as
      | (T & { error?: { code: string; message: string } })
      | null;
    if (!response.ok) {
      throw new RemoteError(
        response.status,
        payload?.error?.code ?? 'HTTP_ERROR',
        payload?.error?.message ?? response.statusText,
      );
    }
    return payload as T;
  }
}
