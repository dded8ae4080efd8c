import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
}

export const MAX_FIELDS = 64;
export const MAX_FIELD_BYTES = 64 * 1024;

/** Field values by name; a repeated field keeps every value in order. */
export type FormFields = Record<string, string | string[]>;

export interface UploadedFile {
  fieldname: string;
  filename: string;
  mimetype: string;
}

export interface BufferedFile extends UploadedFile {
  data: Buffer;
}

export interface StagedFile extends UploadedFile {
  path: string;
  bytes: number;
}

/** Busboy limits for @fastify/multipart; the body is cut off as soon as one is exceeded. */
export function busboyLimits({ maxFileBytes, maxFiles }: MultipartLimits) {
  return {
    fileSize: maxFileBytes,
    files: maxFiles,
    fields: MAX_FIELDS,
    fieldSize: MAX_FIELD_BYTES,
    parts: maxFiles + MAX_FIELDS,
  };
}

/**
 * Refuses a request whose declared length cannot fit the limits before reading a byte of it, so an
 * oversized upload costs the server nothing.
 */
function assertMultipart(request: FastifyRequest, limits: MultipartLimits): void {
  if (!request.isMultipart()) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'expected a multipart/form-data body');
  }
  // Busboy throws an uncoded Error for a missing boundary; refuse it here as the client's mistake.
  if (!/;\s*boundary=/i.test(String(request.headers['content-type']))) {
    throw new ApiError('BAD_REQUEST', 'multipart/form-data needs a boundary parameter');
  }
  const declared = Number(request.headers['content-length']);
  const ceiling = limits.maxFiles * limits.maxFileBytes + MAX_FIELDS * MAX_FIELD_BYTES;
  if (Number.isFinite(declared) && declared > ceiling) {
    throw new ApiError('PAYLOAD_TOO_LARGE', `request body of ${declared} bytes exceeds ${ceiling} bytes`);
  }
}

/**
 * Busboy reports a body cut short with plain, uncoded Errors; those are the client's malformed
 * form (or its dropped connection), not a server fault, so they become a 400.
 */
const MALFORMED_MULTIPART = /unexpected end of multipart data|needle cannot/i;

/** Maps busboy's parse errors to a client error; anything else passes through unchanged. */
function clientFault(error: unknown): unknown {
  const coded = (error as { code?: unknown })?.code !== undefined;
  if (!coded && error instanceof Error && MALFORMED_MULTIPART.test(error.message)) {
    return new ApiError('BAD_REQUEST', `malformed multipart body: ${error.message}`);
  }
  return error;
}

function addField(fields: FormFields, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

function tooLarge(limits: MultipartLimits): ApiError {
  return new ApiError('PAYLOAD_TOO_LARGE', `an uploaded file exceeds ${limits.maxFileBytes} bytes`, {
    maxFileBytes: limits.maxFileBytes,
  });
}

/**
 * Busboy only marks an over-limit file as truncated and keeps reading (and discarding) the body to
 * its end; failing the file stream at the limit makes the 413 go out at once instead.
 */
function cutOffAtLimit(
  file: NodeJS.ReadableStream & { destroy(error?: Error): void },
  limits: MultipartLimits,
) {
  file.once('limit', () => file.destroy(tooLarge(limits)));
}

/** Reads a form whose files are small enough to hold in memory (single-stem upload, search). */
export async function readBufferedForm(
  request: FastifyRequest,
  limits: MultipartLimits,
): Promise<{ fields: FormFields; files: BufferedFile[] }> {
  assertMultipart(request, limits);
  return readBuffered(request, limits).catch((error: unknown) => {
    throw clientFault(error);
  });
}

async function readBuffered(
  request: FastifyRequest,
  limits: MultipartLimits,
): Promise<{ fields: FormFields; files: BufferedFile[] }> {
  const fields: FormFields = {};
  const files: BufferedFile[] = [];
  for await (const part of request.parts({ limits: busboyLimits(limits) })) {
    if (part.type === 'field') {
      addField(fields, part.fieldname, String(part.value));
      continue;
    }
    cutOffAtLimit(part.file, limits);
    let data: Buffer;
    try {
      data = await part.toBuffer();
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(limits);
      throw error;
    }
    files.push({ fieldname: part.fieldname, filename: part.filename, mimetype: part.mimetype, data });
  }
  return { fields, files };
}

/**
 * Streams every file of a form into `dir` (batch ingestion: many files, never all in memory).
 * Files are named by their position so client-chosen names never become paths.
 */
export async function readStagedForm(
  request: FastifyRequest,
  limits: MultipartLimits,
  dir: string,
): Promise<{ fields: FormFields; files: StagedFile[] }> {
  assertMultipart(request, limits);
  await mkdir(dir, { recursive: true });
  return readStaged(request, limits, dir).catch((error: unknown) => {
    throw clientFault(error);
  });
}

async function readStaged(
  request: FastifyRequest,
  limits: MultipartLimits,
  dir: string,
): Promise<{ fields: FormFields; files: StagedFile[] }> {
  const fields: FormFields = {};
  const files: StagedFile[] = [];
  for await (const part of request.parts({ limits: busboyLimits(limits) })) {
    if (part.type === 'field') {
      addField(fields, part.fieldname, String(part.value));
      continue;
    }
    const path = join(dir, `${String(files.length).padStart(5, '0')}.upload`);
    const sink = createWriteStream(path);
    cutOffAtLimit(part.file, limits);
    await pipeline(part.file, sink);
    if (part.file.truncated) throw tooLarge(limits);
    files.push({
      fieldname: part.fieldname,
      filename: part.filename,
      mimetype: part.mimetype,
      path,
      bytes: sink.bytesWritten,
    });
  }
  return { fields, files };
}
