/**
 * `tsx training/export/preset-report.ts [--presets tiny,small,base] [--runs 5] [--batch 8] [--threads n]`
 *
 * For each model preset: parameter count, ONNX graph sizes, and onnxruntime-node CPU inference
 * time per 8-second chunk (encoder + predictor) at batch 1 and at `--batch`, median of `--runs`
 * runs after a warm-up. Weights are seeded random: speed and size do not depend on training.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { isPresetName, presetConfig } from '../model/config.js';
import { countParams, initParams, paramSpecs } from '../model/params.js';
import { ENCODER_FILE, exportModel, PREDICTOR_FILE } from './export.js';
import { ENCODER_IO, PREDICTOR_IO } from './graph-io.js';
import { randomLogMels } from './parity-check.js';

const options = new Command()
  .option('--presets <names>', 'comma-separated presets', 'tiny,small,base')
  .option('--runs <n>', 'timed runs per measurement', '5')
  .option('--batch <n>', 'batch size of the batched measurement', '8')
  .option('--threads <n>', 'onnxruntime intra-op threads (default: onnxruntime decides)')
  .parse()
  .opts<{ presets: string; runs: string; batch: string; threads?: string }>();

const runs = Number(options.runs);
const threads = options.threads ? Number(options.threads) : undefined;
const batches = [1, Number(options.batch)];
for (const name of options.presets.split(',')) {
  if (!isPresetName(name)) throw new Error(`unknown preset "${name}"`);
  const config = presetConfig(name);
  const dir = mkdtempSync(join(tmpdir(), `stemdex-preset-${name}-`));
  try {
    const manifest = exportModel(initParams(config, 1), config, dir, { status: 'preset-report' });
    const sessionOptions = threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {};
    const encoder = await ort.InferenceSession.create(join(dir, ENCODER_FILE), sessionOptions);
    const predictor = await ort.InferenceSession.create(join(dir, PREDICTOR_FILE), sessionOptions);
    const perChunk = [];
    for (const batch of batches) {
      const logMel = new ort.Tensor('float32', randomLogMels(config, batch, 2).logMel, [batch, 1, 80, 800]);
      const ids = new ort.Tensor('int64', new BigInt64Array(batch), [batch]);
      const once = async () => {
        const started = performance.now();
        const embeddings = (await encoder.run({ [ENCODER_IO.input]: logMel }))[ENCODER_IO.output];
        await predictor.run({ [PREDICTOR_IO.embeddings]: embeddings, [PREDICTOR_IO.instrumentId]: ids });
        return performance.now() - started;
      };
      await once();
      const times = [];
      for (let run = 0; run < runs; run++) times.push(await once());
      times.sort((a, b) => a - b);
      perChunk.push(`batch ${batch}: ${(times[Math.floor(times.length / 2)] / batch).toFixed(1)} ms/chunk`);
    }
    await encoder.release();
    await predictor.release();
    console.log(
      `${name.padEnd(6)} dim=${config.dim} depth=${config.depth} heads=${config.heads} ` +
        `params=${countParams(paramSpecs(config))} encoder.onnx=${manifest.graphs.encoder.bytes}B ` +
        `predictor.onnx=${manifest.graphs.predictor.bytes}B ${perChunk.join(', ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
