/**
 * Piscina worker entry: runs AudioProcessor off the main thread. Loaded by FrontEndPool, which
 * passes the FrontEndConfig as workerData. Failures that belong to the input come back as a plain
 * reply (code + message) so the pool can rebuild the typed error on the main thread; result
 * buffers are transferred, not copied.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { DecodeOptions } from './decoded-audio.js';
import { AudioDecodeError, AudioOptionError } from './errors.js';
import { FrontEndConfigSchema } from './frontend-config.js';
import { AudioProcessor, type ChunkFeatures, type ExtractFromBytesOptions } from './processor.js';

export type FrontEndTask =
  | { kind: 'extract'; bytes: Uint8Array; options?: ExtractFromBytesOptions }
  | { kind: 'loadMono'; bytes: Uint8Array; options?: DecodeOptions };

export type FrontEndFailure =
  | { ok: false; error: { kind: 'decode'; code: AudioDecodeError['code']; message: string } }
  | { ok: false; error: { kind: 'option'; message: string } };

export type ExtractReply = { ok: true; features: ChunkFeatures[] } | FrontEndFailure;
export type LoadMonoReply = { ok: true; mono: Float32Array } | FrontEndFailure;

const processor = new AudioProcessor(FrontEndConfigSchema.parse((workerData as { config: unknown }).config));

export default async function runTask(task: FrontEndTask): Promise<unknown> {
  try {
    if (task.kind === 'loadMono') {
      const mono = await processor.loadMono(task.bytes, task.options);
      return transferring({ ok: true, mono } satisfies LoadMonoReply, [mono.buffer]);
    }
    const features = await processor.extract(task.bytes, task.options);
    return transferring(
      { ok: true, features } satisfies ExtractReply,
      features.map((chunk) => chunk.spectrogram.data.buffer),
    );
  } catch (error) {
    if (error instanceof AudioDecodeError) {
      return {
        ok: false,
        error: { kind: 'decode', code: error.code, message: error.message },
      } satisfies FrontEndFailure;
    }
    if (error instanceof AudioOptionError) {
      return { ok: false, error: { kind: 'option', message: error.message } } satisfies FrontEndFailure;
    }
    throw error;
  }
}

function transferring(value: object, buffers: ArrayBufferLike[]): unknown {
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  });
}
