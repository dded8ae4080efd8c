/**
 * `npm run parity [-- --checkpoint <dir> | --preset <name>] [--seed <n>] [--out <dir>] [--backend cpu|native]`
 *
 * Exports a model (a checkpoint, or by default a seeded `small` model), runs random normalised
 * log-mels and synthetic music through TF.js and onnxruntime-node, and prints the largest
 * absolute output difference of each graph as the last line. Exits 1 above the tolerance.
 * `--backend native` runs the TF.js side on the native training kernels, checking them too.
 */
import { Command } from 'commander';
import {
  defaultFrontEnd,
  FRONT_END_KINDS,
  type FrontEndKind,
  featureBins,
} from '../../src/audio/frontend-config.js';
import { initTrainingBackend } from '../backend/index.js';
import { readCheckpointWeights } from '../model/checkpoint.js';
import { isPresetName, MODEL_PRESETS, presetConfig } from '../model/config.js';
import { initParams } from '../model/params.js';
import { synthMusicLogMels } from './parity-audio.js';
import { checkParity, type ParityInput, randomLogMels } from './parity-check.js';

export const PARITY_TOLERANCE = 1e-4;

const program = new Command()
  .name('parity')
  .option('--checkpoint <dir>', 'export this checkpoint instead of a freshly initialised model')
  .option('--encoder <which>', 'encoder weights to export from a checkpoint: context or target', 'context')
  .option('--preset <name>', 'model size when no checkpoint is given', 'small')
  .option('--seed <n>', 'seed for weights and random inputs', '7')
  .option('--front-end <kind>', 'front end of the model and the synthetic music: log-mel or cqt', 'log-mel')
  .option('--out <dir>', 'keep the exported graphs here (default: a temporary directory)')
  .option(
    '--backend <name>',
    'TensorFlow.js side: cpu (stock kernels) or native (the training kernels)',
    'cpu',
  )
  .parse();

const options = program.opts<{
  checkpoint?: string;
  encoder: string;
  preset: string;
  seed: string;
  frontEnd: string;
  out?: string;
  backend: string;
}>();
const seed = Number(options.seed);
if (options.backend !== 'cpu' && options.backend !== 'native')
  program.error('--backend must be cpu or native');
await initTrainingBackend({ backend: options.backend === 'native' ? 'native' : 'cpu' });

if (!(FRONT_END_KINDS as readonly string[]).includes(options.frontEnd))
  program.error(`--front-end must be one of ${FRONT_END_KINDS.join(', ')}`);
const frontEnd = defaultFrontEnd(options.frontEnd as FrontEndKind);

const { config, weights } = options.checkpoint
  ? readCheckpointWeights(options.checkpoint, options.encoder === 'target' ? 'target' : 'context')
  : fromPreset(options.preset, seed);

const inputs: ParityInput[] = [
  randomLogMels(config, 1, seed),
  randomLogMels(config, 3, seed + 1),
  synthMusicLogMels(seed, frontEnd),
];
const results = await checkParity(config, weights, inputs, options.out, frontEnd);
for (const result of results) {
  console.log(
    `${result.label.padEnd(28)} encoder_max_abs=${result.encoderMaxAbs.toExponential(2)} predictor_max_abs=${result.predictorMaxAbs.toExponential(2)}`,
  );
}
const encoderMaxAbs = Math.max(...results.map((result) => result.encoderMaxAbs));
const predictorMaxAbs = Math.max(...results.map((result) => result.predictorMaxAbs));
console.log(
  `parity encoder_max_abs=${encoderMaxAbs.toExponential(2)} predictor_max_abs=${predictorMaxAbs.toExponential(2)}`,
);
if (!(Math.max(encoderMaxAbs, predictorMaxAbs) <= PARITY_TOLERANCE)) process.exitCode = 1;

function fromPreset(preset: string, seed: number) {
  if (!isPresetName(preset)) throw new Error(`unknown preset "${preset}"`);
  // The preset on this front end's input height; full-height patches when its rows do not divide it.
  const height = featureBins(frontEnd);
  const patchHeight = height % MODEL_PRESETS[preset].patchHeight === 0 ? undefined : height;
  const config = presetConfig(preset, { nMels: height, ...(patchHeight ? { patchHeight } : {}) });
  return { config, weights: initParams(config, seed) };
}
