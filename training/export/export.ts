import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FRONT_END, type FrontEndConfig, featureBins } from '../../src/audio/frontend-config.js';
import { type ModelManifest, ModelManifestSchema } from '../../src/inference/manifest.js';
import { INSTRUMENTS } from '../../src/instruments.js';
import { type ModelConfig, ModelConfigSchema, patchGrid } from '../model/config.js';
import { ModelError } from '../model/errors.js';
import { countParams, type NamedArrays, paramSpecs } from '../model/params.js';
import { buildEncoderOnnx } from './export-encoder.js';
import { buildPredictorOnnx } from './export-predictor.js';
import { EXPORT_FORMAT, OPSET } from './graph-io.js';

export const ENCODER_FILE = 'encoder.onnx';
export const PREDICTOR_FILE = 'predictor.onnx';
export const MANIFEST_FILE = 'manifest.json';

export class ExportError extends ModelError {
  constructor(message: string) {
    super('EXPORT', message);
  }
}

export interface ExportOptions {
  /** Defaults to `stem-jepa-<config.name>`. */
  name?: string;
  /** Defaults to the package version. */
  version?: string;
  /** Front end the model was trained on; defaults to the service's DEFAULT_FRONT_END. */
  frontEnd?: FrontEndConfig;
  /** Which encoder the weights came from, recorded in the manifest (`architecture.exportedEncoder`). */
  exportedEncoder?: 'context' | 'target';
  metrics?: Record<string, unknown>;
}

export const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/**
 * Writes `encoder.onnx`, `predictor.onnx` and `manifest.json` into `outDir` (each via a temporary
 * file and a rename, the manifest last, so a reader never sees a manifest without its graphs).
 * `weights` must hold the `encoder.*` weights to export and the `predictor.*` weights.
 */
export function exportModel(
  weights: NamedArrays,
  config: ModelConfig,
  outDir: string,
  training: Record<string, unknown>,
  options: ExportOptions = {},
): ModelManifest {
  config = ModelConfigSchema.parse(config);
  const frontEnd = options.frontEnd ?? DEFAULT_FRONT_END;
  checkCompatible(config, frontEnd);
  const version = options.version ?? PACKAGE_VERSION;
  mkdirSync(outDir, { recursive: true });
  const encoder = writeGraph(outDir, ENCODER_FILE, buildEncoderOnnx(config, weights, PACKAGE_VERSION));
  const predictor = writeGraph(outDir, PREDICTOR_FILE, buildPredictorOnnx(config, weights, PACKAGE_VERSION));
  const grid = patchGrid(config);
  const manifest = ModelManifestSchema.parse({
    name: options.name ?? `stem-jepa-${config.name}`,
    version,
    createdAt: new Date().toISOString(),
    frontEnd,
    patch: {
      height: config.patchHeight,
      width: config.patchWidth,
      gridFreq: grid.gridFreq,
      gridTime: grid.gridTime,
    },
    embeddingDim: config.dim,
    instruments: [...INSTRUMENTS],
    opset: OPSET,
    graphs: { encoder, predictor },
    architecture: {
      ...config,
      parameters: countParams(paramSpecs(config)),
      patchOrder: 'frequency-row-major',
      exportedEncoder: options.exportedEncoder ?? 'context',
      exportFormat: EXPORT_FORMAT,
    },
    training,
    metrics: options.metrics ?? {},
  } satisfies ModelManifest);
  writeAtomically(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function checkCompatible(config: ModelConfig, frontEnd: FrontEndConfig): void {
  const bins = featureBins(frontEnd);
  if (config.nMels !== bins || config.chunkFrames !== frontEnd.chunkFrames) {
    throw new ExportError(
      `model input ${config.nMels}x${config.chunkFrames} does not match the ${frontEnd.kind} front end's ${bins}x${frontEnd.chunkFrames}`,
    );
  }
  if (config.numInstruments !== INSTRUMENTS.length) {
    throw new ExportError(
      `model has ${config.numInstruments} instrument labels, vocabulary has ${INSTRUMENTS.length}`,
    );
  }
}

function writeGraph(outDir: string, file: string, bytes: Uint8Array): ModelManifest['graphs']['encoder'] {
  writeAtomically(join(outDir, file), bytes);
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

function writeAtomically(path: string, contents: Uint8Array | string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
