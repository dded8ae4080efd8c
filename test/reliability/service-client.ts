import { makeSong, mixOf, wavBytes } from '../helpers/songs.js';

/** Small typed helpers over the public HTTP API, shared by the reliability tests. */

export interface StemJson {
  id: string;
  external_id: string | null;
  instrument: string;
  chunk_count: number;
}

export interface SearchHit {
  stem: { id: string };
  score: number;
}

export async function listAllStems(url: string): Promise<StemJson[]> {
  const stems: StemJson[] = [];
  let cursor: string | null = null;
  do {
    const query = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await fetch(`${url}/v1/stems?limit=1000${query}`);
    if (response.status !== 200) throw new Error(`listing stems failed: ${response.status}`);
    const page = (await response.json()) as { items: StemJson[]; next_cursor: string | null };
    stems.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return stems;
}

export async function stats(url: string): Promise<{ stems: number; chunks: number; index_size: number }> {
  const response = await fetch(`${url}/v1/stats`);
  return (await response.json()) as { stems: number; chunks: number; index_size: number };
}

/** One fixed query mix per instrument: the same request before and after a fault. */
export function queryMix(seed: number, seconds = 8): Uint8Array {
  return wavBytes(mixOf(makeSong(10_000 + seed, seconds, 9)));
}

export async function search(
  url: string,
  instrument: string,
  mix: Uint8Array,
  k = 100,
  headers: Record<string, string> = {},
): Promise<SearchHit[]> {
  const form = new FormData();
  form.set('instrument', instrument);
  form.set('k', String(k));
  form.set('file', new Blob([mix]), 'mix.wav');
  const response = await fetch(`${url}/v1/search`, { method: 'POST', body: form, headers });
  if (response.status !== 200) throw new Error(`search failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { results: SearchHit[] }).results;
}
