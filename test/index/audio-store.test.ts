import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioStore, sniffAudioType } from '../../src/index/audio-store.js';
import { tempDir } from '../helpers/app.js';

const dir = tempDir('stemdex-audio-');
afterAll(() => dir.remove());

const bytes = (text: string, ...rest: number[]) => Uint8Array.from([...Buffer.from(text, 'latin1'), ...rest]);

describe('AudioStore', () => {
  it('keeps, replaces and removes a stem’s bytes, leaving no temporary files', async () => {
    const store = new AudioStore(join(dir.path, 'audio'));
    await store.put('stem-1', bytes('fLaC....'));
    await store.put('stem-1', bytes('OggS....'));
    const located = await store.locate('stem-1');
    expect(located).toMatchObject({ size: 8, contentType: 'audio/ogg' });
    expect(readFileSync(located!.path, 'latin1')).toBe('OggS....');
    expect(readdirSync(store.root)).toEqual(['stem-1']);
    await store.remove('stem-1');
    expect(await store.locate('stem-1')).toBeNull();
  });

  it('maps ids that could name another path to no file', async () => {
    const store = new AudioStore(join(dir.path, 'audio'));
    expect(await store.locate('../catalog.sqlite')).toBeNull();
    await expect(store.put('a/b', bytes('RIFF'))).rejects.toThrow(/not a storable stem id/);
  });
});

describe('sniffAudioType', () => {
  it('names each container we decode from its magic numbers', () => {
    expect(sniffAudioType(bytes('RIFF\0\0\0\0WAVE'))).toBe('audio/wav');
    expect(sniffAudioType(bytes('fLaC'))).toBe('audio/flac');
    expect(sniffAudioType(bytes('OggS'))).toBe('audio/ogg');
    expect(sniffAudioType(bytes('ID3\x04'))).toBe('audio/mpeg');
    expect(sniffAudioType(Uint8Array.from([0xff, 0xfb, 0x90, 0x00]))).toBe('audio/mpeg');
    expect(sniffAudioType(bytes('junk'))).toBe('application/octet-stream');
  });
});
