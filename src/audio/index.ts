export {
  type AudioChunk,
  assertAudible,
  type ChunkOptions,
  chunkSignal,
  DEFAULT_SILENCE_DB,
  isSilent,
  rmsLevelDb,
} from './chunk.js';
export { decodeAudio, sniffFormat } from './decode.js';
export {
  type AudioFormat,
  DEFAULT_MAX_DURATION_SECONDS,
  type DecodedAudio,
  type DecodeOptions,
  MAX_CHANNELS,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  PCM_SAMPLES_PER_LIMIT_SECOND,
} from './decoded-audio.js';
export {
  AudioDecodeError,
  type AudioDecodeErrorCode,
  AudioOptionError,
  isAudioDecodeErrorCode,
  SilentAudioError,
} from './errors.js';
export {
  chunkSamples,
  DEFAULT_FRONT_END,
  type FrontEndConfig,
  FrontEndConfigSchema,
  frontEndDifferences,
} from './frontend-config.js';
export { type LogMel, LogMelSpectrogram } from './log-mel.js';
export { buildMelFilterbank, hzToMel, type MelFilter, melToHz } from './mel-filterbank.js';
export { downmixToMono } from './mono.js';
export { LogMelStatistics } from './normalisation.js';
export {
  AudioProcessor,
  type ChunkFeatures,
  type ExtractFromBytesOptions,
  type ExtractOptions,
} from './processor.js';
export {
  DEFAULT_RESAMPLER_DESIGN,
  Resampler,
  type ResamplerDesign,
  type ResamplerEngine,
  resample,
} from './resample.js';
export { encodeWav, parseWav, type WavEncoding } from './wav.js';
export { FrontEndPool, type FrontEndPoolOptions } from './worker-pool.js';
