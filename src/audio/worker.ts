/**
 * Piscina worker entry: runs AudioProcessor.extract off the main thread. Loaded by FrontEndPool,
 * which passes the FrontEndConfig as workerData. Failures that belong to the input come back as
 * a plain reply (code + message) so the pool can rebuild the typed error on the main thread.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { AudioDecodeError, AudioOptionError } from './errors.js';
import { FrontEndConfigSchema } from './frontend-config.js';
import { AudioProcessor, type ChunkFeatures, type ExtractFromBytesOptions } from './processor.js';

export interface ExtractTask {
  bytes: Uint8Array;
  options?: ExtractFromBytesOptions;
}

export type ExtractReply =
  | { ok: true; features: ChunkFeatures[] }
  | { ok: false; error: { kind: 'decode'; code: AudioDecodeError['code']; message: string } }
  | { ok: false; error: { kind: 'option'; message: string } };

const processor = new AudioProcessor(FrontEndConfigSchema.parse((workerData as { config: unknown }).config));

export default async function extract(task: ExtractTask): Promise<unknown> {
  try {
    const features = await processor.extract(task.bytes, task.options);
    const reply: ExtractReply = { ok: true, features };
    // Hand the spectrogram buffers to the main thread instead of copying them.
    return move({
      get [transferableSymbol]() {
        return features.map((chunk) => chunk.logMel.data.buffer);
      },
      get [valueSymbol]() {
        return reply;
      },
    });
  } catch (error) {
    if (error instanceof AudioDecodeError) {
      return {
        ok: false,
        error: { kind: 'decode', code: error.code, message: error.message },
      } satisfies ExtractReply;
    }
    if (error instanceof AudioOptionError) {
      return { ok: false, error: { kind: 'option', message: error.message } } satisfies ExtractReply;
    }
    throw error;
  }
}
