import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveUnderRoot } from '../../src/ingest/safe-path.js';
import { tempDir } from '../helpers/app.js';

describe('resolveUnderRoot', () => {
  const dir = tempDir();
  const root = join(dir.path, 'root');
  mkdirSync(join(root, 'songs'), { recursive: true });
  writeFileSync(join(root, 'songs', 'a.wav'), 'x');
  writeFileSync(join(dir.path, 'outside.wav'), 'x');
  symlinkSync(join(dir.path, 'outside.wav'), join(root, 'link-out.wav'));
  symlinkSync(join(root, 'songs', 'a.wav'), join(root, 'link-in.wav'));
  symlinkSync(dir.path, join(root, 'parent-link'));
  afterAll(() => dir.remove());

  const code = async (path: string) =>
    resolveUnderRoot(root, path).then(
      () => 'ok',
      (error: { code: string }) => error.code,
    );

  it('accepts files under the root, including symlinks that stay inside', async () => {
    expect(await resolveUnderRoot(root, 'songs/a.wav')).toBe(join(root, 'songs', 'a.wav'));
    expect(await code('link-in.wav')).toBe('ok');
    expect(await code('songs/../songs/a.wav')).toBe('ok');
  });

  it('refuses .. escapes, absolute paths and symlinks leading outside', async () => {
    expect(await code('../outside.wav')).toBe('PATH_NOT_ALLOWED');
    expect(await code('songs/../../outside.wav')).toBe('PATH_NOT_ALLOWED');
    expect(await code(join(dir.path, 'outside.wav'))).toBe('PATH_NOT_ALLOWED');
    expect(await code('link-out.wav')).toBe('PATH_NOT_ALLOWED');
    expect(await code('parent-link/outside.wav')).toBe('PATH_NOT_ALLOWED');
    expect(await code('a\0b')).toBe('PATH_NOT_ALLOWED');
  });

  it('reports missing files and folders as FILE_NOT_FOUND', async () => {
    expect(await code('songs/missing.wav')).toBe('FILE_NOT_FOUND');
    expect(await code('songs')).toBe('FILE_NOT_FOUND');
  });
});
