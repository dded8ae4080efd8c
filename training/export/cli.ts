/**
 * `tsx training/export/cli.ts --checkpoint <dir> --out models/ [--encoder context|target]
 *   [--training <file.json>] [--metrics <file.json>] [--front-end <file.json>] [--name <name>]
 *   [--model-version <v>]`
 *
 * Exports a training checkpoint to `encoder.onnx`, `predictor.onnx` and `manifest.json`.
 * `--training` / `--metrics` are JSON objects merged into the manifest's `training` / `metrics`.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { FrontEndConfigSchema } from '../../src/audio/frontend-config.js';
import { readCheckpointWeights } from '../model/checkpoint.js';
import { exportModel } from './export.js';

const program = new Command()
  .name('export')
  .requiredOption('--checkpoint <dir>', 'checkpoint directory written by training')
  .requiredOption('--out <dir>', 'output directory (e.g. models/)')
  .option('--encoder <which>', 'encoder weights to export: context or target', 'context')
  .option('--training <file>', 'JSON object describing the training data and run')
  .option('--metrics <file>', 'JSON object of measured metrics')
  .option('--front-end <file>', 'JSON FrontEndConfig the model was trained with (default: DEFAULT_FRONT_END)')
  .option('--name <name>', 'model name (default stem-jepa-<preset>)')
  .option('--model-version <version>', 'model version (default: package version)')
  .parse();

const options = program.opts<{
  checkpoint: string;
  out: string;
  encoder: string;
  training?: string;
  metrics?: string;
  frontEnd?: string;
  name?: string;
  modelVersion?: string;
}>();
if (options.encoder !== 'context' && options.encoder !== 'target') {
  program.error(`--encoder must be context or target, got "${options.encoder}"`);
}
const encoder = options.encoder === 'target' ? 'target' : 'context';
const { config, step, seed, weights } = readCheckpointWeights(options.checkpoint, encoder);
const manifest = exportModel(
  weights,
  config,
  options.out,
  { checkpointStep: step, seed, schedule: config.schedule, ...readJsonObject(options.training) },
  {
    name: options.name,
    version: options.modelVersion,
    exportedEncoder: encoder,
    metrics: readJsonObject(options.metrics),
    frontEnd: options.frontEnd ? FrontEndConfigSchema.parse(readJsonObject(options.frontEnd)) : undefined,
  },
);
console.log(
  `exported ${manifest.name} ${manifest.version} (step ${step}) to ${options.out}: ` +
    `encoder ${manifest.graphs.encoder.bytes} B, predictor ${manifest.graphs.predictor.bytes} B`,
);

function readJsonObject(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    program.error(`${path} must contain a JSON object`);
  }
  return value as Record<string, unknown>;
}
