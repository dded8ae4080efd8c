import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../src/inference/manifest.js';
import { type PresetName, presetConfig } from '../model/config.js';
import { initParams } from '../model/params.js';
import { exportModel, MANIFEST_FILE } from './export.js';
import { EXPORT_FORMAT } from './graph-io.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEV_MODEL_DIR = join(REPO_ROOT, '.cache', 'dev-model');
export const DEV_MODEL_SEED = 20_240_802;

/**
 * A seeded, untrained model in ONNX form, so the service can be developed and tested against real
 * graphs before a trained model exists. Exported once; later calls reuse it while its manifest and
 * hashes check out. Safe to call from concurrent processes: each exports into its own temporary
 * directory and the first rename wins.
 */
export async function ensureDevModel(
  dir: string = DEV_MODEL_DIR,
  preset: PresetName = 'small',
): Promise<string> {
  if (isUsable(dir, preset)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.staging-`);
  chmodSync(staging, 0o755);
  const config = presetConfig(preset);
  exportModel(initParams(config, DEV_MODEL_SEED), config, staging, {
    status: 'untrained-dev-model',
    seed: DEV_MODEL_SEED,
    data: 'none: randomly initialised weights, for development and tests only',
  });
  if (isUsable(dir, preset)) {
    // Another process finished first while we were exporting.
    rmSync(staging, { recursive: true, force: true });
    return dir;
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process won the race; its model is equivalent (same preset and seed).
    rmSync(staging, { recursive: true, force: true });
    if (!isUsable(dir, preset)) throw error;
  }
  return dir;
}

function isUsable(dir: string, preset: PresetName): boolean {
  if (!existsSync(join(dir, MANIFEST_FILE))) return false;
  try {
    const manifest = loadManifest(dir);
    return (
      manifest.architecture.name === preset &&
      manifest.architecture.exportFormat === EXPORT_FORMAT &&
      manifest.training.status === 'untrained-dev-model'
    );
  } catch {
    return false;
  }
}
