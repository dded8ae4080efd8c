export {
  type AudioChunk,
  assertAudible,
  type ChunkOptions,
  chunkSignal,
  DEFAULT_SILENCE_DB,
  isSilent,
  rmsLevelDb,
} from './chunk.js';
export { ConstantQSpectrogram, cqtFrequencies } from './cqt.js';
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
  type CqtConfig,
  chunkFeatureSize,
  chunkSamples,
  DEFAULT_CQT_FRONT_END,
  DEFAULT_FRONT_END,
  defaultFrontEnd,
  FRONT_END_KINDS,
  type FrontEndConfig,
  FrontEndConfigSchema,
  type FrontEndKind,
  featureBins,
  frontEndDifferences,
  type LogMelConfig,
  longestWindow,
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
export { createFrontEnd, type FrontEnd, type Spectrogram } from './spectrogram.js';
export { encodeWav, parseWav, type WavEncoding } from './wav.js';
export { FrontEndPool, type FrontEndPoolOptions } from './worker-pool.js';
