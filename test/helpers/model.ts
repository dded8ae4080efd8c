import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevModel } from '../../training/export/dev-model.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shipped model; absent until training lands one in `models/`. */
export const SHIPPED_MODEL_DIR = join(REPO_ROOT, 'models');

/** Quality assertions (held-out stem ranks high) only make sense with trained weights. */
export const trainedModelAvailable = existsSync(join(SHIPPED_MODEL_DIR, 'manifest.json'));

/** The model tests run against: the shipped one when present, else the seeded dev model. */
export async function testModelDir(): Promise<string> {
  return trainedModelAvailable ? SHIPPED_MODEL_DIR : ensureDevModel();
}
