import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { DecodeOptions } from './decoded-audio.js';
import { AudioDecodeError, AudioOptionError } from './errors.js';
import { type FrontEndConfig, FrontEndConfigSchema } from './frontend-config.js';
import type { ChunkFeatures, ExtractFromBytesOptions } from './processor.js';
import type { ExtractReply, FrontEndFailure, FrontEndTask, LoadMonoReply } from './worker.js';

export interface FrontEndPoolOptions {
  config: FrontEndConfig;
  /** Worker threads; defaults to piscina's choice (based on available cores). */
  threads?: number;
}

/**
 * Runs AudioProcessor.extract / loadMono in worker threads so decoding and feature extraction
 * never block the event loop. Results are identical to AudioProcessor's; result buffers are
 * transferred back, not copied. Input-related failures arrive as AudioDecodeError with the same
 * code as on the main thread.
 */
export class FrontEndPool {
  readonly config: FrontEndConfig;
  private readonly pool: Piscina;

  constructor(options: FrontEndPoolOptions) {
    this.config = FrontEndConfigSchema.parse(options.config);
    const entry = workerEntry();
    this.pool = new Piscina({
      filename: entry.filename,
      execArgv: entry.execArgv,
      workerData: { config: this.config },
      ...(options.threads === undefined ? {} : { minThreads: options.threads, maxThreads: options.threads }),
    });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async extract(bytes: Uint8Array, options?: ExtractFromBytesOptions): Promise<ChunkFeatures[]> {
    const reply = (await this.run({ kind: 'extract', bytes, options })) as ExtractReply;
    if (!reply.ok) throw rebuildError(reply);
    return reply.features;
  }

  /** AudioProcessor.loadMono in a worker: mono samples at config.sampleRate. */
  async loadMono(bytes: Uint8Array, options?: DecodeOptions): Promise<Float32Array> {
    const reply = (await this.run({ kind: 'loadMono', bytes, options })) as LoadMonoReply;
    if (!reply.ok) throw rebuildError(reply);
    return reply.mono;
  }

  private run(task: FrontEndTask): Promise<unknown> {
    // The input is copied to the worker, not transferred: it may share its buffer with the caller.
    return this.pool.run(task);
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

function rebuildError(failure: FrontEndFailure): Error {
  const { error } = failure;
  return error.kind === 'decode'
    ? new AudioDecodeError(error.code, error.message)
    : new AudioOptionError(error.message);
}

/**
 * The compiled `worker.js` next to this module when running from dist/; otherwise (tsx, vitest)
 * the TypeScript source, loaded through tsx's ESM loader inside the worker.
 */
function workerEntry(): { filename: string; execArgv: string[] } {
  const compiled = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(compiled)) return { filename: compiled, execArgv: [] };
  const source = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename: source, execArgv: ['--import', tsxLoader] };
}
