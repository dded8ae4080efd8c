/**
 * The public HTTP API, as the browser sees it. Every failure becomes an `ApiError` carrying the
 * service's stable error code, so views can show any code (including ones added later) as is.
 */

const KEY_STORAGE = 'stemdex.apiKey';

/** The API key lives in this tab's sessionStorage only: never in the URL, never in localStorage. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface Stem {
  id: string;
  catalog: string;
  external_id: string | null;
  instrument: string;
  metadata: { title?: string; tags?: string[]; key?: string; bpm?: number; [key: string]: unknown };
  duration_seconds: number;
  chunk_count: number;
  /** Chunks above the silence threshold (the searchable ones), from services that report it. */
  indexed_chunks?: number;
  created_at: string;
  updated_at: string;
}

export interface SearchResult {
  stem: Stem;
  score: number;
  match: { context_offset_seconds: number; stem_chunk_index: number; stem_chunk_offset_seconds: number };
  alignment: { offset_seconds: number; shift_seconds: number; score: number };
}

export interface SearchResponse {
  results: SearchResult[];
  query: { duration_seconds: number; chunks: number; instrument: string };
}

export interface Job {
  id: string;
  state: 'pending' | 'running' | 'completed';
  totals: { total: number; pending: number; running: number; done: number; failed: number };
  errors: Array<{ position: number; file: string; code: string; message: string }>;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export const INSTRUMENTS = ['drums', 'bass', 'vocals', 'piano', 'guitar', 'strings', 'synth', 'other'];

interface RequestOptions {
  method?: string;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers = new Headers();
  const key = apiKey.get();
  if (key) headers.set('x-api-key', key);
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = options.form;
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? 'GET', headers, body, signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK_ERROR', `could not reach the service (${(error as Error).message})`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) {
      return new ApiError(response.status, body.error.code, body.error.message ?? '', body.error.details);
    }
  } catch {
    // Not our JSON error body (a proxy's page, say): fall through to a generic code.
  }
  return new ApiError(response.status, `HTTP_${response.status}`, text.slice(0, 200) || response.statusText);
}

export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export async function requestBytes(path: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  return (await send(path, { signal })).arrayBuffer();
}

export const stemAudioPath = (id: string) => `/v1/stems/${encodeURIComponent(id)}/audio`;
