import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The original audio file of each ingested stem, kept so clients (the web app's audition player)
 * can fetch and play it. The catalog stores embeddings only; this keeps the bytes beside it, one
 * file per stem id under `<dataDir>/audio/`, exactly as uploaded (no transcoding).
 *
 * Writes go to a temporary name, are fsynced and renamed over the final one, so a reader sees the
 * old or the new file, never half of one. An upsert keeps the stem id, so replacing a stem
 * replaces its audio in place.
 */
export class AudioStore {
  constructor(readonly root: string) {}

  async put(stemId: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(stemId);
    if (path === null) throw new Error(`not a storable stem id: ${JSON.stringify(stemId)}`);
    await mkdir(this.root, { recursive: true });
    const temporary = join(this.root, `.${randomUUID()}.tmp`);
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** The stored file's path, size and media type, or null when no audio is kept for the stem. */
  async locate(stemId: string): Promise<StoredAudio | null> {
    const path = this.pathOf(stemId);
    if (path === null) return null;
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return null;
    }
    const head = Buffer.alloc(12);
    const handle = await open(path, 'r');
    try {
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
    return { path, size, contentType: sniffAudioType(head) };
  }

  async remove(stemId: string): Promise<void> {
    const path = this.pathOf(stemId);
    if (path !== null) await rm(path, { force: true });
  }

  /** Ids come from URLs too: anything that is not a plain id maps to no file at all. */
  private pathOf(stemId: string): string | null {
    return STEM_ID.test(stemId) ? join(this.root, stemId) : null;
  }
}

export interface StoredAudio {
  path: string;
  size: number;
  contentType: string;
}

const STEM_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

/** The media type of audio bytes, from the container's magic numbers (the formats we decode). */
export function sniffAudioType(head: Uint8Array): string {
  const ascii = (start: number, end: number) => String.fromCharCode(...head.subarray(start, end));
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/wav';
  if (ascii(0, 4) === 'fLaC') return 'audio/flac';
  if (ascii(0, 4) === 'OggS') return 'audio/ogg';
  // An ID3v2 tag, or an MPEG audio frame sync (11 set bits).
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0)) return 'audio/mpeg';
  return 'application/octet-stream';
}
