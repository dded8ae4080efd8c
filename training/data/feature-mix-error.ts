import { chunkSamples, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { loadSong } from './corpus.js';
import { type CacheableFrontEnd, CODE_STEP, cacheableFrontEnd, readSongFeatures } from './feature-cache.js';
import { Rng } from './random.js';

/**
 * How far the feature-domain mix (ln Σ g_i² E_i + ε from cached codes) is from the features of
 * the exact mix (the front end on Σ g_i · stem_i): phase cross terms, 8-bit codes and the crop's
 * edge frames together. Measured on random crops, stem subsets and gains, as the sampler draws them.
 */

export interface MixErrorReport {
  crops: number;
  /** Mean |cached − exact| over all bins, in nats of the un-normalised log feature. */
  meanAbsNats: number;
  /** The same over bins where the exact mix is within 40 dB of the crop's loudest bin. */
  meanAbsActiveNats: number;
  /** 95th percentile of |cached − exact| over active bins. */
  p95ActiveNats: number;
}

const NATS_TO_DB = 10 / Math.LN10;

export { NATS_TO_DB };

export function measureMixError(
  corpusDir: string,
  songIds: readonly string[],
  config: FrontEndConfig,
  crops: number,
  seed = 1,
): MixErrorReport {
  const frontEnd: CacheableFrontEnd = cacheableFrontEnd(config);
  const rng = new Rng(seed);
  const length = chunkSamples(config);
  const frames = config.chunkFrames;
  const floor = Math.log(config.logEpsilon);
  const exact = new Float32Array(frontEnd.bins * frames);
  const all: number[] = [];
  const active: number[] = [];
  for (let c = 0; c < crops; c++) {
    const songId = rng.pick(songIds);
    const cached = readSongFeatures(corpusDir, frontEnd, songId);
    const { stems } = loadSong(corpusDir, songId);
    const available = Math.min(...cached.stems.map((stem) => stem.frames));
    const startFrame = rng.int(0, Math.max(0, available - frames));
    const chosen = rng.shuffle(cached.stems).slice(0, rng.int(2, Math.max(2, cached.stems.length)));
    const gains = chosen.map((stem) => stem.gain * 10 ** (rng.uniform(-6, 6) / 20));
    const mix = new Float32Array(length);
    chosen.forEach((stem, k) => {
      const audio = stems.get(stem.name)!;
      const start = startFrame * config.hopLength;
      for (let i = 0; i < length && start + i < audio.length; i++) mix[i] += gains[k] * audio[start + i];
    });
    frontEnd.computeInto(mix, exact, 0);
    let loudest = -Infinity;
    for (const value of exact) loudest = Math.max(loudest, value);
    for (let bin = 0; bin < frontEnd.bins; bin++) {
      for (let f = 0; f < frames; f++) {
        let energy = 0;
        chosen.forEach((stem, k) => {
          const code = stem.codes[bin * stem.frames + startFrame + f];
          energy += gains[k] ** 2 * (Math.exp(floor + code * CODE_STEP) - config.logEpsilon);
        });
        const error = Math.abs(Math.log(energy + config.logEpsilon) - exact[bin * frames + f]);
        all.push(error);
        if (exact[bin * frames + f] > loudest - 40 / NATS_TO_DB) active.push(error);
      }
    }
  }
  const mean = (values: number[]) =>
    values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  active.sort((a, b) => a - b);
  return {
    crops,
    meanAbsNats: mean(all),
    meanAbsActiveNats: mean(active),
    p95ActiveNats: active[Math.floor(0.95 * (active.length - 1))] ?? 0,
  };
}
