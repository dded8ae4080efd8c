import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ApiError } from '../server/errors.js';

/**
 * Resolves a client-supplied path inside `root`, following symlinks: the real path must still lie
 * under the real root, so neither `..` nor a symlink pointing outside can escape it.
 */
export async function resolveUnderRoot(root: string, requested: string): Promise<string> {
  if (requested.length === 0 || requested.includes('\0') || isAbsolute(requested)) {
    throw new ApiError(
      'PATH_NOT_ALLOWED',
      `path ${JSON.stringify(requested)} must be relative to the ingest root`,
    );
  }
  const realRoot = await realpath(root);
  const lexical = resolve(realRoot, requested);
  if (!isInside(realRoot, lexical)) {
    throw new ApiError('PATH_NOT_ALLOWED', `path ${JSON.stringify(requested)} escapes the ingest root`);
  }
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw new ApiError('FILE_NOT_FOUND', `no file ${JSON.stringify(requested)} under the ingest root`);
  }
  if (!isInside(realRoot, real)) {
    throw new ApiError('PATH_NOT_ALLOWED', `path ${JSON.stringify(requested)} leads outside the ingest root`);
  }
  if (!(await stat(real)).isFile()) {
    throw new ApiError('FILE_NOT_FOUND', `${JSON.stringify(requested)} is not a regular file`);
  }
  return real;
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
